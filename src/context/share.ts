/**
 * Context shares on the wire (specs/protocol.md §7): one `context.share` payload per share. A
 * bundle up to INLINE_LIMIT bytes travels inside it as JSON text; a larger one is gzipped and
 * stored as a blob (an encrypted attachment on Matrix, an HTTP upload or in-band data on XMPP).
 * Either way the payload names the bundle's sha256, checked before anything is believed.
 */
import { MxAgentError, RemoteFailureError, messageOf } from '../errors.ts';
import { isBlobRef } from '../transport/blob-ref.ts';
import type {
  BlobRef,
  InboundMessage,
  JsonObject,
  Target,
  Transport,
  WaitOptions,
} from '../transport/transport.ts';
import { BUNDLE_ID, type ContextBundle } from './bundle.ts';
import { decodeBundle, encodeBundle, packBundle, unpackBundle } from './bundle-codec.ts';

/** Payload kind and version of a share. */
export const SHARE_KIND = 'context.share';
export const SHARE_VERSION = 1;
/** Bundles up to this many bytes travel inline. */
export const INLINE_LIMIT = 24 * 1024;

/** What a share says about its bundle, readable without fetching it. */
export interface ShareSummary {
  readonly title?: string;
  readonly branch?: string;
  readonly head?: string;
  readonly files: number;
  readonly diffBytes: number;
  readonly envVars: number;
  readonly withheld: number;
  readonly notes: boolean;
}

/** A share as found in a conversation. */
export interface ShareMessage {
  readonly id: string;
  readonly messageId: string;
  readonly from: string;
  readonly target: Target;
  readonly timestamp: number;
  readonly created: number;
  readonly summary: ShareSummary;
  readonly sha256: string;
  readonly size: number;
  readonly inline?: string;
  readonly blob?: BlobRef;
}

/** What was sent. */
export interface SentShare {
  readonly id: string;
  readonly messageId: string;
  readonly size: number;
  readonly sha256: string;
  readonly inline: boolean;
}

/** The summary of a bundle. */
export function summarizeBundle(bundle: ContextBundle): ShareSummary {
  return {
    ...(bundle.title === undefined ? {} : { title: bundle.title }),
    ...(bundle.git?.branch === undefined ? {} : { branch: bundle.git.branch }),
    ...(bundle.git ? { head: bundle.git.head } : {}),
    files: bundle.files.length,
    diffBytes: bundle.git?.diff.bytes ?? 0,
    envVars: Object.keys(bundle.env?.vars ?? {}).length,
    withheld: bundle.withheld.length,
    notes: bundle.notes !== undefined && bundle.notes !== '',
  };
}

/** Send a bundle to a peer or a workspace. */
export async function sendShare(
  transport: Transport,
  target: Target,
  bundle: ContextBundle,
  options: WaitOptions = {},
): Promise<SentShare> {
  const { bytes, sha256 } = encodeBundle(bundle);
  const base: JsonObject = {
    id: bundle.id,
    created: bundle.created,
    summary: summaryJson(summarizeBundle(bundle)),
    sha256,
    size: bytes.byteLength,
  };
  let body: JsonObject;
  if (bytes.byteLength <= INLINE_LIMIT) {
    body = { ...base, inline: new TextDecoder().decode(bytes) };
  } else {
    const packed = await packBundle(bytes);
    const ref = await transport.putBlob(
      packed,
      { contentType: 'application/gzip', name: `${bundle.id}.json.gz` },
      options,
    );
    body = { ...base, blob: ref as unknown as JsonObject, packing: 'gzip' };
  }
  const payload = { kind: SHARE_KIND, version: SHARE_VERSION, body };
  const { id } = await transport.send(target, { type: 'payload', payload }, options);
  return {
    id: bundle.id,
    messageId: id,
    size: bytes.byteLength,
    sha256,
    inline: body.inline !== undefined,
  };
}

/** Read a share from a message; a reason when it is not a well-formed one. */
export function parseShare(message: InboundMessage): ShareMessage | string | undefined {
  if (message.type !== 'payload' || message.payload.kind !== SHARE_KIND) return undefined;
  if (message.payload.version !== SHARE_VERSION)
    return `context.share v${String(message.payload.version)} is not supported`;
  const b = message.payload.body;
  if (typeof b.id !== 'string' || !BUNDLE_ID.test(b.id)) return 'context.share: bad id';
  if (typeof b.sha256 !== 'string' || !/^[0-9a-f]{64}$/.test(b.sha256))
    return `context.share ${b.id}: bad sha256`;
  if (!isCount(b.size) || !isCount(b.created)) return `context.share ${b.id}: bad size or time`;
  const summary = parseSummary(b.summary);
  if (!summary) return `context.share ${b.id}: bad summary`;
  const inline = typeof b.inline === 'string' ? b.inline : undefined;
  const blob = isBlobRef(b.blob) ? b.blob : undefined;
  if ((inline === undefined) === (blob === undefined))
    return `context.share ${b.id}: expected either inline data or a blob`;
  return {
    id: b.id,
    messageId: message.id,
    from: message.from,
    target: message.target,
    timestamp: message.timestamp,
    created: b.created,
    summary,
    sha256: b.sha256,
    size: b.size,
    ...(inline === undefined ? {} : { inline }),
    ...(blob === undefined ? {} : { blob }),
  };
}

/** Fetch (when stored as a blob), verify and decode a share's bundle. */
export async function fetchBundle(
  transport: Transport,
  share: ShareMessage,
  options: WaitOptions = {},
): Promise<ContextBundle> {
  let bytes: Uint8Array;
  if (share.inline !== undefined) {
    bytes = new TextEncoder().encode(share.inline);
  } else if (share.blob) {
    let packed: Uint8Array;
    try {
      packed = await transport.getBlob(share.blob, options);
    } catch (error) {
      if (error instanceof MxAgentError && /integrity/.test(error.message))
        throw new RemoteFailureError(
          `context share ${share.id} failed its integrity check: ${messageOf(error)} (the bundle was altered in storage or in transit)`,
          { cause: error },
        );
      throw error;
    }
    try {
      bytes = await unpackBundle(packed);
    } catch (error) {
      throw new RemoteFailureError(
        `context share ${share.id} failed its integrity check: it does not unpack (${messageOf(error)})`,
        { cause: error },
      );
    }
  } else {
    throw new RemoteFailureError(`context share ${share.id} has no data`);
  }
  if (bytes.byteLength !== share.size)
    throw new RemoteFailureError(
      `context share ${share.id} failed its integrity check: expected ${String(share.size)} bytes, got ${String(bytes.byteLength)}`,
    );
  return decodeBundle(bytes, share.sha256, share.id);
}

/** Shares in a conversation's history, newest first, reading at most `pages` pages. */
export async function findShares(
  transport: Transport,
  target: Target,
  options: WaitOptions & { readonly pages?: number; readonly reject?: (r: string) => void } = {},
): Promise<ShareMessage[]> {
  const found: ShareMessage[] = [];
  let before: string | undefined;
  for (let page = 0; page < (options.pages ?? 20); page++) {
    const result = await transport.history(
      target,
      { limit: 100, ...(before === undefined ? {} : { before }) },
      options,
    );
    for (const message of result.messages) {
      const share = parseShare(message);
      if (typeof share === 'string') options.reject?.(share);
      else if (share) found.push(share);
    }
    if (result.next === undefined) break;
    before = result.next;
  }
  return found;
}

function summaryJson(s: ShareSummary): JsonObject {
  return {
    ...(s.title === undefined ? {} : { title: s.title }),
    ...(s.branch === undefined ? {} : { branch: s.branch }),
    ...(s.head === undefined ? {} : { head: s.head }),
    files: s.files,
    diff_bytes: s.diffBytes,
    env_vars: s.envVars,
    withheld: s.withheld,
    notes: s.notes,
  };
}

function parseSummary(value: unknown): ShareSummary | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  const v = value as JsonObject;
  if (!isCount(v.files) || !isCount(v.diff_bytes) || !isCount(v.env_vars) || !isCount(v.withheld))
    return undefined;
  const text = (x: unknown): string | undefined =>
    typeof x === 'string' && x.length <= 500 ? x : undefined;
  const title = text(v.title);
  const branch = text(v.branch);
  const head = text(v.head);
  return {
    ...(title === undefined ? {} : { title }),
    ...(branch === undefined ? {} : { branch }),
    ...(head === undefined ? {} : { head }),
    files: v.files,
    diffBytes: v.diff_bytes,
    envVars: v.env_vars,
    withheld: v.withheld,
    notes: v.notes === true,
  };
}

function isCount(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}
