/**
 * Several payloads in one Matrix event (specs/protocol.md §4.1.1). Every encrypted event costs
 * each member a Megolm decryption and the sender's identity checks, which dominate a busy
 * agent's CPU; payloads queued for one room while an earlier send is on the wire go out as one
 * event of type `org.mxagent._batch` and are unpacked into one message each on arrival.
 */
import { quote } from '../../errors.ts';
import { payloadProblem } from '../payload.ts';
import type { JsonObject, Payload } from '../transport.ts';

/**
 * The batch event type. The `_` cannot begin a payload kind (§1), so no payload's event type
 * (`org.mxagent.K`, codec.ts) can ever be mistaken for a batch.
 */
export const BATCH_EVENT_TYPE = 'org.mxagent._batch';

/** The batch format this code writes and reads. */
export const BATCH_VERSION = 1;

/** Most payloads in one batch. */
export const BATCH_MAX_ITEMS = 32;

/**
 * Largest batch content, serialized. An event is limited to 64 KiB and encryption adds a third
 * (base64) plus its envelope: 40 KiB fits with room to spare.
 */
export const BATCH_MAX_BYTES = 40 * 1024;

/** Bytes of `{"version":1,"payloads":[]}` and then some. */
const BATCH_OVERHEAD = 64;

/** What one payload adds to a batch's serialized size (its JSON and a comma). */
export function batchItemBytes(payload: Payload): number {
  const { kind, version, body } = payload;
  return Buffer.byteLength(JSON.stringify({ kind, version, body })) + 1;
}

/** How many of `sizes` (in order) fit one batch, at least one. */
export function batchFits(sizes: readonly number[]): number {
  let bytes = BATCH_OVERHEAD;
  let count = 0;
  for (const size of sizes) {
    if (count >= BATCH_MAX_ITEMS || (count > 0 && bytes + size > BATCH_MAX_BYTES)) break;
    bytes += size;
    count++;
  }
  return Math.max(count, 1);
}

/** The content of a batch event carrying these payloads, in order. */
export function encodeBatch(payloads: readonly Payload[]): JsonObject {
  return {
    version: BATCH_VERSION,
    payloads: payloads.map(({ kind, version, body }) => ({ kind, version, body })),
  };
}

/** The payloads of a batch event's content, or what is wrong with it. */
export function decodeBatch(
  content: Record<string, unknown>,
): { readonly payloads: readonly Payload[] } | { readonly problem: string } {
  const { version, payloads } = content;
  if (version !== BATCH_VERSION) {
    return { problem: `expected batch version ${String(BATCH_VERSION)}, got ${show(version)}` };
  }
  if (!Array.isArray(payloads) || payloads.length === 0 || payloads.length > BATCH_MAX_ITEMS) {
    return {
      problem: `expected "payloads" to be a list of 1 to ${String(BATCH_MAX_ITEMS)} payloads, got ${Array.isArray(payloads) ? `${String(payloads.length)} items` : show(payloads)}`,
    };
  }
  for (const [index, item] of payloads.entries()) {
    const problem =
      typeof item === 'object' && item !== null && !Array.isArray(item)
        ? payloadProblem(item as Record<string, unknown>)
        : `expected a payload object, got ${show(item)}`;
    if (problem) return { problem: `payloads[${String(index)}]: ${problem}` };
  }
  return {
    payloads: (payloads as Payload[]).map(({ kind, version: v, body }) => ({
      kind,
      version: v,
      body,
    })),
  };
}

/** The id of the payload at `index` of the batch event `eventId`, live and in history alike. */
export function batchItemId(eventId: string, index: number): string {
  return `${eventId}#${String(index)}`;
}

function show(value: unknown): string {
  if (Array.isArray(value)) return 'a list';
  return typeof value === 'object' && value !== null ? 'an object' : quote(value);
}
