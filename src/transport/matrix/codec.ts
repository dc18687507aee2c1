/**
 * Our content as Matrix events (specs/protocol.md §4): human text is `m.room.message` with
 * msgtype `m.text` (edits, mentions, media and confirmations: chat-content.ts; reactions:
 * reactions.ts); a payload of kind K is a timeline event of type `org.mxagent.K` whose
 * content is `{ "version": n, "body": {…} }`; workspace state of type T is a state event of
 * type `org.mxagent.T` keyed by the state key. Several payloads may share one event
 * (`org.mxagent._batch`, batch.ts).
 */
import { payloadProblem } from '../payload.ts';
import type { JsonObject, Outbound, Payload } from '../transport.ts';
import { BATCH_EVENT_TYPE, decodeBatch } from './batch.ts';
import { decodeMessage, encodeText, type DecodedText } from './chat-content.ts';
import { decodeReaction, REACTION_TYPE, type DecodedReaction } from './reactions.ts';

/** Prefix of every event type we define. */
export const EVENT_PREFIX = 'org.mxagent.';

/** The event type and content that carry one outbound message. */
export function encodeOutbound(content: Outbound): { type: string; content: JsonObject } {
  if (content.type === 'text') {
    return { type: 'm.room.message', content: encodeText(content) };
  }
  const { kind, version, body } = content.payload;
  return { type: `${EVENT_PREFIX}${kind}`, content: { version, body } };
}

/** What an inbound timeline event means to us. */
export type Decoded =
  | DecodedText
  | DecodedReaction
  | { readonly type: 'payload'; readonly payload: Payload }
  | { readonly type: 'batch'; readonly payloads: readonly Payload[] }
  | { readonly type: 'rejected'; readonly reason: string }
  | undefined;

/** Decode an event's (decrypted) type and content; undefined for events that are not input. */
export function decodeEvent(type: string, content: Record<string, unknown>): Decoded {
  if (type === 'm.room.message') return decodeMessage(content);
  if (type === REACTION_TYPE) return decodeReaction(content);
  if (!type.startsWith(EVENT_PREFIX)) return undefined;
  if (type === BATCH_EVENT_TYPE) {
    const batch = decodeBatch(content);
    return 'problem' in batch
      ? { type: 'rejected', reason: `malformed ${type} event: ${batch.problem}` }
      : { type: 'batch', payloads: batch.payloads };
  }
  const payload = {
    kind: type.slice(EVENT_PREFIX.length),
    version: content.version,
    body: content.body,
  };
  const problem = payloadProblem(payload);
  if (problem) return { type: 'rejected', reason: `malformed ${type} event: ${problem}` };
  return { type: 'payload', payload: payload as Payload };
}
