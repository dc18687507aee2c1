/**
 * Archived messages → history entries. Each is decoded by the decoder live delivery uses
 * (codec.ts), so ids, senders and payloads read the same. Unlike live delivery, our own messages
 * are kept, and every entry is delayed, timed by the archive's stamp.
 */
import { xml, type Element } from '@xmpp/xml';
import {
  NS_SID,
  decodeMessage,
  splitResource,
  type DecodeContext,
  type DecodedMessage,
} from './codec.ts';
import { archiveResultOf, type ArchivedEntry } from './mam.ts';

/** An entry of a room's archive (`room` is its bare JID, `nick` ours there). */
export function workspaceEntry(entry: ArchivedEntry, room: string, nick: string): DecodedMessage {
  const decoded = decodeArchived(withArchiveId(entry, room), {
    nickIn: (r) => (sameBare(r, room) ? nick : undefined),
    keepOwn: true,
  });
  return stamped(decoded, entry);
}

/** The direct conversation a history read is about. */
export interface DirectConversation {
  /** The archive's `with`: the peer's bare JID, or an occupant's full JID in a room. */
  readonly with: string;
  /** Our own full address: the `from` of our own messages in history. */
  readonly self: string;
}

/** An entry of our own archive: a message from the peer, or one of ours to the peer. */
export function directEntry(
  entry: ArchivedEntry,
  conversation: DirectConversation,
): DecodedMessage {
  const { message } = entry;
  const self = bareOf(conversation.self);
  // RFC 6120 §8.1.2.1: a stanza without 'from' comes from our own account.
  const from = message.attrs.from ?? '';
  const own = from === '' || sameBare(bareOf(from), self);
  const counterpart = own ? (message.attrs.to ?? '') : from;
  if (!inConversation(counterpart, conversation.with))
    return { outcome: 'ignored', why: `not part of the conversation with ${conversation.with}` };
  // No room counts as joined here: a groupchat message is never part of a direct conversation.
  const decoded = decodeArchived(withArchiveId(entry, self), { nickIn: () => undefined });
  if (decoded.outcome !== 'message' || !own) return stamped(decoded, entry);
  return stamped(
    {
      outcome: 'message',
      message: {
        ...decoded.message,
        from: conversation.self,
        target: { kind: 'direct', address: counterpart },
      },
    },
    entry,
  );
}

function decodeArchived(message: Element, context: DecodeContext): DecodedMessage {
  // Live delivery never takes a message carrying an archive result (archive.ts); nor does history.
  if (archiveResultOf(message)) return { outcome: 'ignored', why: 'it carries an archive result' };
  const decoded = decodeMessage(message, context);
  // History is messages; a reaction or an answer to a confirmation is not one.
  if (decoded.outcome === 'event') return { outcome: 'ignored', why: `a ${decoded.event.type}` };
  return decoded;
}

function stamped(decoded: DecodedMessage, entry: ArchivedEntry): DecodedMessage {
  if (decoded.outcome !== 'message') return decoded;
  return {
    outcome: 'message',
    message: { ...decoded.message, timestamp: entry.stamp, delayed: true },
  };
}

/**
 * Live delivery falls back to the XEP-0359 stanza-id the archive put on the message when the
 * sender gave no origin-id; the archived copy lacks it, so restore it from the result id.
 */
function withArchiveId(entry: ArchivedEntry, archive: string): Element {
  const { message } = entry;
  const ids = message.getChildren('stanza-id', NS_SID);
  if (ids.some((e) => sameBare(e.attrs.by ?? '', archive))) return message;
  const restored = xml('stanza-id', { xmlns: NS_SID, by: archive, id: entry.archiveId });
  return xml('message', message.attrs, ...message.children, restored);
}

/** A bare `with` matches any resource of the account, a full one only itself (XEP-0313 §4.1.1). */
function inConversation(jid: string, withJid: string): boolean {
  const [bare, resource] = splitResource(jid);
  const [withBare, withResource] = splitResource(withJid);
  return sameBare(bare, withBare) && (withResource === undefined || resource === withResource);
}

function bareOf(jid: string): string {
  return splitResource(jid)[0];
}

// Localparts are case-folded by nodeprep and domains are case-insensitive (RFC 7622 §3.2, §3.3).
function sameBare(a: string, b: string): boolean {
  return a.toLowerCase() === b.toLowerCase();
}
