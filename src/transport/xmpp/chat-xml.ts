/**
 * The chat extensions of a `<message/>`, both ways: chat states (XEP-0085) with storage hints
 * (XEP-0334), corrections (XEP-0308), mentions as references (XEP-0372), attachments as OOB links
 * (XEP-0066), reactions (XEP-0444), and Fluux Agent's confirm requests and answers
 * (urn:fluux:agent:0#confirm). specs/protocol.md §10.1.
 */
import { xml, type Element } from '@xmpp/xml';
import type {
  Attachment,
  ConfirmRequest,
  ConfirmationEvent,
  OutboundText,
  ReactionEvent,
} from '../transport.ts';
import { NS_AGENT_CONFIRM } from './agent-xml.ts';

export const NS_HINTS = 'urn:xmpp:hints';
export const NS_CHATSTATES = 'http://jabber.org/protocol/chatstates';
export const NS_CORRECT = 'urn:xmpp:message-correct:0';
export const NS_OOB = 'jabber:x:oob';
export const NS_REFERENCE = 'urn:xmpp:reference:0';
export const NS_REACTIONS = 'urn:xmpp:reactions:0';

/** The elements beside the `<body/>` of a text we send. */
export function textExtras(content: OutboundText): Element[] {
  return [
    // XEP-0085 §5.1: every message of a conversation that uses chat states carries `<active/>`.
    xml('active', { xmlns: NS_CHATSTATES }),
    ...(content.replaces === undefined
      ? []
      : [xml('replace', { xmlns: NS_CORRECT, id: content.replaces })]),
    ...(content.mentions ?? []).map((address) =>
      xml('reference', { xmlns: NS_REFERENCE, type: 'mention', uri: xmppUri(address) }),
    ),
    ...(content.confirm === undefined ? [] : [confirmElement(content.confirm)]),
  ];
}

/** A standalone chat state (XEP-0085 §5.2), never stored or archived (XEP-0334 §4). */
export function chatStateMessage(
  to: string,
  type: 'chat' | 'groupchat',
  state: 'composing' | 'paused',
  id: string,
): Element {
  return xml(
    'message',
    { to, type, id },
    xml(state, { xmlns: NS_CHATSTATES }),
    xml('no-store', { xmlns: NS_HINTS }),
    xml('no-permanent-store', { xmlns: NS_HINTS }),
  );
}

/** Our whole set of reactions to `messageId` (XEP-0444 §3.2: it replaces the previous set). */
export function reactionsMessage(
  to: string,
  type: 'chat' | 'groupchat',
  id: string,
  messageId: string,
  emojis: readonly string[],
): Element {
  return xml(
    'message',
    { to, type, id },
    xml(
      'reactions',
      { xmlns: NS_REACTIONS, id: messageId },
      ...emojis.map((emoji) => xml('reaction', {}, emoji)),
    ),
    // §5: a reaction is worth storing, though it has no body.
    xml('store', { xmlns: NS_HINTS }),
  );
}

/** `<confirm xmlns='urn:fluux:agent:0#confirm' id><action type/><risk level/><expires/></confirm>`. */
export function confirmElement(confirm: ConfirmRequest): Element {
  return xml(
    'confirm',
    { xmlns: NS_AGENT_CONFIRM, id: confirm.id },
    xml('action', { type: confirm.action }),
    ...(confirm.risk === undefined ? [] : [xml('risk', { level: confirm.risk })]),
    xml('expires', {}, new Date(confirm.expires).toISOString()),
  );
}

/** A confirm request carried by a message, or undefined when absent or malformed. */
export function readConfirm(stanza: Element): ConfirmRequest | undefined {
  const element = stanza.getChild('confirm', NS_AGENT_CONFIRM);
  if (!element) return undefined;
  const id = element.attrs.id;
  const action = element.getChild('action')?.attrs.type;
  const expires = Date.parse(element.getChildText('expires') ?? '');
  const risk = element.getChild('risk')?.attrs.level;
  if (!id || !action || Number.isNaN(expires)) return undefined;
  return {
    id,
    action,
    expires,
    ...(risk === 'low' || risk === 'medium' || risk === 'high' ? { risk } : {}),
  };
}

/** What a chat element of a message stands for instead of text, or why it is malformed. */
export type ChatSignal =
  | { readonly kind: 'reaction'; readonly reactsTo: string; readonly emojis: readonly string[] }
  | {
      readonly kind: 'confirmation';
      readonly confirm: string;
      readonly decision: 'approve' | 'deny';
    }
  | { readonly kind: 'malformed'; readonly reason: string };

/** A reaction (XEP-0444) or a `<confirmed/>` answer carried by the message, if any. */
export function readSignal(stanza: Element): ChatSignal | undefined {
  const reactions = stanza.getChild('reactions', NS_REACTIONS);
  if (reactions) {
    const reactsTo = reactions.attrs.id;
    if (!reactsTo) return { kind: 'malformed', reason: 'a reaction without the id it reacts to' };
    const emojis = reactions
      .getChildren('reaction')
      .map((r) => r.text().trim())
      .filter((e) => e.length > 0);
    return { kind: 'reaction', reactsTo, emojis: [...new Set(emojis)] };
  }
  const confirmed = stanza.getChild('confirmed', NS_AGENT_CONFIRM);
  if (confirmed) {
    const { id, decision } = confirmed.attrs;
    if (!id || (decision !== 'approve' && decision !== 'deny'))
      return {
        kind: 'malformed',
        reason: `expected <confirmed id=… decision='approve|deny'/>, got id ${JSON.stringify(id ?? null)} decision ${JSON.stringify(decision ?? null)}`,
      };
    return { kind: 'confirmation', confirm: id, decision };
  }
  return undefined;
}

/** The event a signal becomes, given what every event of the message carries. */
export function signalEvent(
  signal: Exclude<ChatSignal, { kind: 'malformed' }>,
  base: Pick<ReactionEvent, 'id' | 'from' | 'target' | 'timestamp'>,
): ReactionEvent | ConfirmationEvent {
  if (signal.kind === 'reaction')
    return { type: 'reaction', ...base, reactsTo: signal.reactsTo, emojis: signal.emojis };
  const { from, target } = base;
  return { type: 'confirmation', from, target, confirm: signal.confirm, decision: signal.decision };
}

/**
 * XEP-0066 links → attachments, and the body without them. Fluux Agent's rule: every OOB URL is
 * taken out of the text, each line trimmed, and blank lines dropped.
 */
export function readAttachments(
  stanza: Element,
  body: string,
): { readonly text: string; readonly attachments: readonly Attachment[] } {
  const urls = stanza
    .getChildren('x', NS_OOB)
    .map((x) => x.getChildText('url')?.trim() ?? '')
    .filter((url) => url.length > 0);
  if (urls.length === 0) return { text: body, attachments: [] };
  let text = body;
  for (const url of urls) text = text.split(url).join('');
  text = text
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line.length > 0)
    .join('\n');
  return { text, attachments: urls.map((url) => ({ url, ...nameOf(url) })) };
}

/** The file name a URL's path ends with, when it has one. */
function nameOf(url: string): { name?: string } {
  try {
    const last = new URL(url).pathname.split('/').pop() ?? '';
    const name = decodeURIComponent(last);
    return name.length > 0 ? { name } : {};
  } catch {
    return {};
  }
}

/** The addresses a message mentions (XEP-0372 references of type `mention` to `xmpp:` URIs). */
export function readMentions(stanza: Element): string[] {
  return stanza
    .getChildren('reference', NS_REFERENCE)
    .filter((r) => r.attrs.type === 'mention')
    .flatMap((r) => {
      const address = addressOfUri(r.attrs.uri ?? '');
      return address === undefined ? [] : [address];
    });
}

/** The correction (XEP-0308) a message makes: the id of the message it replaces. */
export function readReplace(stanza: Element): string | undefined {
  return stanza.getChild('replace', NS_CORRECT)?.attrs.id || undefined;
}

/** `xmpp:` + the JID, percent-encoded where RFC 5122 §2.2 wants it (spaces in a nick, `?`, `#`). */
export function xmppUri(address: string): string {
  return `xmpp:${encodeURI(address).replace(/[?#]/g, (c) => encodeURIComponent(c))}`;
}

/** The JID of an `xmpp:` URI (query and fragment dropped), or undefined for anything else. */
export function addressOfUri(uri: string): string | undefined {
  if (!uri.startsWith('xmpp:')) return undefined;
  const path =
    uri
      .slice('xmpp:'.length)
      .replace(/^\/\/[^/]*\//, '')
      .split(/[?#]/)[0] ?? '';
  try {
    const address = decodeURIComponent(path);
    return address.length > 0 ? address : undefined;
  } catch {
    return undefined;
  }
}
