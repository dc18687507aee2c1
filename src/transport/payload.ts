import { createHash } from 'node:crypto';
import { UsageError, describeValue, quote } from '../errors.ts';
import { PAYLOAD_KIND, type JsonObject, type Outbound, type Payload } from './transport.ts';

/** Largest payload body, serialized: fits a 64 KiB Matrix event once encrypted (specs/protocol.md §1). */
export const MAX_PAYLOAD_BYTES = 32 * 1024;

/** Throw UsageError unless `payload` is a well-formed payload we may send. */
export function assertValidPayload(payload: Payload): void {
  const problem = payloadProblem(payload);
  if (problem) throw new UsageError(problem);
}

/** A string as the user typed it; anything else by its type (payload fields come from anywhere). */
function shown(value: unknown): string {
  return typeof value === 'string' ? quote(value) : describeValue(value);
}

/** Describe what is wrong with a payload (from us or from the network), or undefined when fine. */
export function payloadProblem(payload: {
  kind?: unknown;
  version?: unknown;
  body?: unknown;
}): string | undefined {
  const { kind, version, body } = payload;
  if (typeof kind !== 'string' || !PAYLOAD_KIND.test(kind)) {
    return `expected a payload kind like "stream.chunk", got ${shown(kind)}`;
  }
  if (typeof version !== 'number' || !Number.isInteger(version) || version < 1) {
    return `expected a payload version that is a positive integer, got ${shown(version)}`;
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    return `expected a payload body that is a JSON object, got ${shown(body)}`;
  }
  const size = Buffer.byteLength(JSON.stringify(body));
  if (size > MAX_PAYLOAD_BYTES) {
    return `payload body is ${String(size)} bytes, more than the ${String(MAX_PAYLOAD_BYTES)} allowed; send large data as a blob`;
  }
  return undefined;
}

/** Parse a JSON text that must be an object (a payload body from the network). */
export function parseJsonObject(text: string): JsonObject | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null && !Array.isArray(value)
      ? (value as JsonObject)
      : undefined;
  } catch {
    return undefined;
  }
}

/** Validate outbound content before it is queued. */
export function assertValidOutbound(content: Outbound): void {
  if (content.type === 'payload') assertValidPayload(content.payload);
  else if (typeof content.text !== 'string' || content.text.length === 0) {
    throw new UsageError('expected a non-empty message text');
  } else if (content.id !== undefined && !/^[\w.:-]{1,128}$/.test(content.id)) {
    throw new UsageError(
      `expected a message id of 1 to 128 letters, digits and . : _ -, got ${quote(content.id)}`,
    );
  }
}

/** Lower-case hex sha256. */
export function sha256Hex(data: Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}
