/**
 * Stanzas ⇄ our terms. Outbound: text as `<body/>` with its chat extensions (chat-xml.ts),
 * payloads as `<payload xmlns='urn:mx-agent:0'>` carrying the JSON body (specs/protocol.md §3).
 * Inbound: classify a `<message/>` as text, payload, a reaction or confirmation, something to
 * ignore (error stanzas, echoes, subjects, chat states), or malformed.
 */
import { randomUUID } from 'node:crypto';
import { xml, type Element } from '@xmpp/xml';
import { parseJsonObject, payloadProblem } from '../payload.ts';
import type {
  Availability,
  ConfirmationEvent,
  InboundMessage,
  Outbound,
  Payload,
  ReactionEvent,
  Target,
} from '../transport.ts';
import {
  NS_HINTS,
  readAttachments,
  readConfirm,
  readMentions,
  readReplace,
  readSignal,
  signalEvent,
  textExtras,
} from './chat-xml.ts';

export { NS_HINTS };

/** Our namespace (design.md §4). */
export const NS_MX = 'urn:mx-agent:0';
export const NS_SID = 'urn:xmpp:sid:0';
export const NS_DELAY = 'urn:xmpp:delay';
export const NS_MUC_USER = 'http://jabber.org/protocol/muc#user';

// XML 1.0 §2.2 Char: these code points cannot appear in a stream at all, escaped or not.
const NOT_XML_CHAR =
  // eslint-disable-next-line no-control-regex -- matching control characters is the point
  /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/** Replace characters XML cannot carry with U+FFFD, so one bad byte never kills the stream. */
export function xmlSafe(text: string): string {
  return text.replace(NOT_XML_CHAR, '\uFFFD');
}

/** Build the `<message/>` for one send. `id` doubles as the XEP-0359 origin-id peers dedupe on. */
export function encodeMessage(to: string, target: Target, content: Outbound, id: string): Element {
  const type = target.kind === 'workspace' ? 'groupchat' : 'chat';
  const inner =
    content.type === 'text'
      ? [xml('body', {}, xmlSafe(content.text)), ...textExtras(content)]
      : [encodePayload(content.payload), xml('store', { xmlns: NS_HINTS })];
  return xml('message', { to, type, id }, ...inner, xml('origin-id', { xmlns: NS_SID, id }));
}

/** `<payload xmlns='urn:mx-agent:0' kind='…' version='…'>{json}</payload>`. */
export function encodePayload(payload: Payload): Element {
  // JSON.stringify escapes control characters and lone surrogates, so the text is XML-safe.
  return xml(
    'payload',
    { xmlns: NS_MX, kind: payload.kind, version: String(payload.version) },
    JSON.stringify(payload.body),
  );
}

/** Parse a payload element, or describe why it is malformed. */
export function decodePayload(element: Element): Payload | string {
  const kind = element.attrs.kind;
  const versionText = element.attrs.version ?? '';
  const version = /^[1-9][0-9]{0,8}$/.test(versionText) ? Number(versionText) : versionText;
  const body = parseJsonObject(element.text());
  const problem = payloadProblem({ kind, version, body: body ?? element.text().slice(0, 40) });
  if (problem) return problem;
  return { kind: kind ?? '', version: Number(version), body: body ?? {} };
}

/** What an inbound `<message/>` turned out to be, as history reads it: a message or nothing. */
export type DecodedMessage =
  | { readonly outcome: 'message'; readonly message: InboundMessage }
  | { readonly outcome: 'ignored'; readonly why: string }
  | { readonly outcome: 'rejected'; readonly reason: string };

/** What an inbound `<message/>` turned out to be live: also a reaction or a confirmation. */
export type DecodedStanza =
  | DecodedMessage
  | {
      readonly outcome: 'event';
      /** The stanza's id (as a message's), for de-duplication. */
      readonly id: string;
      readonly event: ReactionEvent | ConfirmationEvent;
    };

/** What the decoder needs to know about our own session. */
export interface DecodeContext {
  /** Our nick in a joined workspace (room bare JID), undefined when not joined. */
  nickIn(room: string): string | undefined;
  /** Keep messages from our own nick: history reads them back, live delivery drops the echo. */
  readonly keepOwn?: boolean;
  /** Our own full address: a mention of our account or our nick reads as this. */
  readonly self?: string;
}

/** Classify and decode one inbound `<message/>`. */
export function decodeMessage(stanza: Element, context: DecodeContext): DecodedStanza {
  const type = stanza.attrs.type ?? 'normal';
  const from = stanza.attrs.from ?? '';
  // RFC 6120 §8.3: an error is a reply to something we sent, never a message from a person.
  if (type === 'error') return { outcome: 'ignored', why: 'error stanza' };
  // XEP-0045 §7.8 / XEP-0249: servers add a human body to invitations; it is not chat input.
  if (isInvitation(stanza)) return { outcome: 'ignored', why: 'a workspace invitation' };
  const [bare, resource] = splitResource(from);
  let target: Target;
  if (type === 'groupchat') {
    const nick = context.nickIn(bare);
    if (nick === undefined)
      return { outcome: 'ignored', why: `groupchat from a room we are not in (${bare})` };
    if (!resource) return { outcome: 'ignored', why: 'message from the room itself' };
    if (resource === nick && context.keepOwn !== true)
      return { outcome: 'ignored', why: 'our own echo' };
    target = { kind: 'workspace', workspace: bare };
  } else {
    target = { kind: 'direct', address: from };
  }
  const payloadElement = stanza.getChild('payload', NS_MX);
  const base = {
    id: messageId(stanza, type === 'groupchat' ? bare : undefined),
    from,
    target,
    ...timing(stanza),
  };
  const signal = readSignal(stanza);
  if (signal?.kind === 'malformed')
    return { outcome: 'rejected', reason: `malformed message from ${from}: ${signal.reason}` };
  // A reaction or an answer may carry a fallback body for old clients; it is not text.
  if (signal) return { outcome: 'event', id: base.id, event: signalEvent(signal, base) };
  if (payloadElement) {
    const payload = decodePayload(payloadElement);
    if (typeof payload === 'string')
      return { outcome: 'rejected', reason: `malformed payload from ${from}: ${payload}` };
    return { outcome: 'message', message: { ...base, type: 'payload', payload } };
  }
  const body = stanza.getChildText('body');
  if (body === null) return { outcome: 'ignored', why: 'no body (chat state, receipt or subject)' };
  const { text, attachments } = readAttachments(stanza, body);
  if (text.length === 0 && attachments.length === 0)
    return { outcome: 'ignored', why: 'empty body' };
  const room = type === 'groupchat' ? bare : undefined;
  const mentions = readMentions(stanza).map((m) => ownAddress(m, context, room));
  const replaces = readReplace(stanza);
  const confirm = readConfirm(stanza);
  return {
    outcome: 'message',
    message: {
      ...base,
      type: 'text',
      text,
      ...(mentions.length > 0 ? { mentions } : {}),
      ...(attachments.length > 0 ? { attachments } : {}),
      ...(replaces === undefined ? {} : { replaces }),
      ...(confirm === undefined ? {} : { confirm }),
    },
  };
}

/** A mention of our account (any resource) or of our nick in `room` reads as our own address. */
function ownAddress(address: string, context: DecodeContext, room: string | undefined): string {
  const self = context.self;
  if (self === undefined) return address;
  const [bare, resource] = splitResource(address);
  const ourBare = splitResource(self)[0];
  if (bare.toLowerCase() === ourBare.toLowerCase() && (resource === undefined || address === self))
    return self;
  if (room !== undefined && bare === room && resource === context.nickIn(room)) return self;
  return address;
}

/** A mediated invitation or decline (XEP-0045 §7.8.2) or a direct one (XEP-0249). */
function isInvitation(stanza: Element): boolean {
  const user = stanza.getChild('x', NS_MUC_USER);
  return (
    user?.getChild('invite') !== undefined ||
    user?.getChild('decline') !== undefined ||
    stanza.getChild('x', 'jabber:x:conference') !== undefined
  );
}

/** The id peers agree on: the sender's origin-id, else the room's stanza-id, else the stanza id. */
export function messageId(stanza: Element, room: string | undefined): string {
  const origin = stanza.getChild('origin-id', NS_SID)?.attrs.id;
  if (origin) return origin;
  const stanzaId = stanza
    .getChildren('stanza-id', NS_SID)
    .find((e) => room === undefined || e.attrs.by === room);
  return stanzaId?.attrs.id ?? stanza.attrs.id ?? randomUUID();
}

function timing(stanza: Element): { timestamp: number; delayed: boolean } {
  const stamp = stanza.getChild('delay', NS_DELAY)?.attrs.stamp;
  const parsed = stamp ? Date.parse(stamp) : NaN;
  return Number.isNaN(parsed)
    ? { timestamp: Date.now(), delayed: stamp !== undefined }
    : { timestamp: parsed, delayed: true };
}

/** `room@host/nick` → [`room@host`, `nick`]. The resource may itself contain '/'. */
export function splitResource(address: string): [string, string | undefined] {
  const slash = address.indexOf('/');
  return slash < 0 ? [address, undefined] : [address.slice(0, slash), address.slice(slash + 1)];
}

/** RFC 6121 §4.7.2.1 `<show/>` → our availability. */
export function availabilityOf(presence: Element): Availability {
  if (presence.attrs.type === 'unavailable') return 'offline';
  const show = presence.getChildText('show');
  if (show === 'away' || show === 'xa') return 'away';
  return show === 'dnd' ? 'busy' : 'available';
}

/** Our availability → `<show/>` children (none for plain available). */
export function showFor(availability: Availability): Element[] {
  switch (availability) {
    case 'away':
      return [xml('show', {}, 'away')];
    case 'busy':
      return [xml('show', {}, 'dnd')];
    case 'available':
    case 'offline':
      return [];
  }
}
