/**
 * Our content as Matrix events (specs/protocol.md §4): human text is `m.room.message` with
 * msgtype `m.text`; a payload of kind K is a timeline event of type `org.mxagent.K` whose
 * content is `{ "version": n, "body": {…} }`; workspace state of type T is a state event of
 * type `org.mxagent.T` keyed by the state key. Several payloads may share one event
 * (`org.mxagent._batch`, batch.ts).
 */
import { payloadProblem } from '../payload.ts';
import type { JsonObject, Outbound, Payload } from '../transport.ts';
import { BATCH_EVENT_TYPE, decodeBatch } from './batch.ts';

/** Prefix of every event type we define. */
export const EVENT_PREFIX = 'org.mxagent.';

/** The event type and content that carry one outbound message. */
export function encodeOutbound(content: Outbound): { type: string; content: JsonObject } {
  if (content.type === 'text') {
    return { type: 'm.room.message', content: { msgtype: 'm.text', body: content.text } };
  }
  const { kind, version, body } = content.payload;
  return { type: `${EVENT_PREFIX}${kind}`, content: { version, body } };
}

/** What an inbound timeline event means to us. */
export type Decoded =
  | { readonly type: 'text'; readonly text: string }
  | { readonly type: 'payload'; readonly payload: Payload }
  | { readonly type: 'batch'; readonly payloads: readonly Payload[] }
  | { readonly type: 'rejected'; readonly reason: string }
  | undefined;

const TEXT_TYPES = new Set(['m.text', 'm.notice', 'm.emote']);

/** Decode an event's (decrypted) type and content; undefined for events that are not input. */
export function decodeEvent(type: string, content: Record<string, unknown>): Decoded {
  if (type === 'm.room.message') {
    const { msgtype, body } = content;
    if (typeof msgtype !== 'string' || !TEXT_TYPES.has(msgtype)) return undefined;
    if (typeof body !== 'string') {
      return { type: 'rejected', reason: `an m.room.message without a string body` };
    }
    // An edit (m.replace) repeats the text with "* "; the original was already delivered.
    const relation = content['m.relates_to'];
    if (typeof relation === 'object' && relation !== null && 'rel_type' in relation) {
      if (relation.rel_type === 'm.replace') return undefined;
    }
    return { type: 'text', text: msgtype === 'm.emote' ? `* ${body}` : body };
  }
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
