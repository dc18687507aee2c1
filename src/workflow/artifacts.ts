/**
 * Artifacts: files a job leaves for the jobs that need it, carried as context bundles
 * (src/context/): collected on the producing worker inside the job's working directory with
 * the same rules as `share-context --files` (no path or link out of it, secrets scrubbed from
 * text, caps), stored as a gzipped blob whose reference travels in the signed result, then
 * fetched by the consuming worker, checked (size, sha256, every file's hash) and written into
 * its job's working directory, again refusing any path that would lead out of it.
 */
import { encodeBundle, decodeBundle, packBundle, unpackBundle } from '../context/bundle-codec.ts';
import { decodeContent } from '../context/bundle.ts';
import { newBundleId } from '../context/build-bundle.ts';
import { collectFiles } from '../context/shared-files.ts';
import { writeSharedFile } from '../context/write-bundle.ts';
import { messageOf, RemoteFailureError } from '../errors.ts';
import { isBlobRef } from '../transport/blob-ref.ts';
import type { BlobRef, JsonObject, Transport, WaitOptions } from '../transport/transport.ts';

/** A job's artifacts as stored: the blob, and what the bundle in it is. */
export interface ArtifactRef {
  readonly blob: BlobRef;
  /** sha256 (hex) and size of the bundle's JSON, before gzip. */
  readonly sha256: string;
  readonly size: number;
  /** Files in it, and files or parts held back (secrets, links out, too large). */
  readonly files: number;
  readonly withheld: number;
}

/** Collect `globs` under `cwd` into a bundle and store it with `transport`. */
export async function storeArtifacts(
  transport: Transport,
  cwd: string,
  globs: readonly string[],
  title: string,
  options: WaitOptions = {},
): Promise<ArtifactRef> {
  const { files, withheld } = await collectFiles(cwd, globs);
  const id = newBundleId();
  const encoded = encodeBundle({ v: 1, id, title, created: Date.now(), files, withheld });
  const blob = await transport.putBlob(
    await packBundle(encoded.bytes),
    { contentType: 'application/gzip', name: `${id}.json.gz` },
    options,
  );
  return {
    blob,
    sha256: encoded.sha256,
    size: encoded.bytes.byteLength,
    files: files.length,
    withheld: withheld.length,
  };
}

/** Fetch, check and write the artifacts of `ref` into `cwd`; the paths written. */
export async function unpackArtifacts(
  transport: Transport,
  ref: ArtifactRef,
  cwd: string,
  options: WaitOptions = {},
): Promise<string[]> {
  const bytes = await unpackBundle(await transport.getBlob(ref.blob, options));
  if (bytes.byteLength !== ref.size)
    throw new RemoteFailureError(
      `artifacts: expected ${String(ref.size)} bytes, got ${String(bytes.byteLength)} (altered in transit or storage)`,
    );
  const bundle = decodeBundle(bytes, ref.sha256, 'of artifacts');
  const written: string[] = [];
  for (const file of bundle.files) {
    await writeSharedFile(cwd, file.path, decodeContent(file.encoding, file.content), file.mode);
    written.push(file.path);
  }
  return written;
}

/** The same artifacts stored on another network (a blob of one is not reachable from the other). */
export async function relayArtifacts(
  from: Transport,
  to: Transport,
  ref: ArtifactRef,
  options: WaitOptions = {},
): Promise<ArtifactRef> {
  const packed = await from.getBlob(ref.blob, options);
  const blob = await to.putBlob(
    packed,
    {
      ...(ref.blob.contentType === undefined ? {} : { contentType: ref.blob.contentType }),
      ...(ref.blob.name === undefined ? {} : { name: ref.blob.name }),
    },
    options,
  );
  return { ...ref, blob };
}

/** An artifact reference as JSON, for a task request or result. */
export function artifactRefToJson(ref: ArtifactRef): JsonObject {
  return {
    blob: JSON.parse(JSON.stringify(ref.blob)) as JsonObject,
    sha256: ref.sha256,
    size: ref.size,
    files: ref.files,
    withheld: ref.withheld,
  };
}

/** Read an artifact reference; undefined when malformed. */
export function parseArtifactRef(value: unknown): ArtifactRef | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  const v = value as Record<string, unknown>;
  const count = (x: unknown): x is number =>
    typeof x === 'number' && Number.isSafeInteger(x) && x >= 0;
  if (!isBlobRef(v.blob) || typeof v.sha256 !== 'string' || !/^[0-9a-f]{64}$/.test(v.sha256))
    return undefined;
  if (!count(v.size) || !count(v.files) || !count(v.withheld)) return undefined;
  return { blob: v.blob, sha256: v.sha256, size: v.size, files: v.files, withheld: v.withheld };
}

/** A request's `fetch` and `artifacts` fields (when it has them), as JSON. */
export function artifactFieldsToJson(spec: {
  readonly fetch?: readonly ArtifactRef[];
  readonly collect?: readonly string[];
}): JsonObject {
  return {
    ...(spec.fetch === undefined ? {} : { fetch: spec.fetch.map(artifactRefToJson) }),
    ...(spec.collect === undefined ? {} : { artifacts: [...spec.collect] }),
  };
}

/** A request's `fetch` and `artifacts` fields; a reason when malformed. */
export function parseArtifactFields(
  body: JsonObject,
): { fetch?: readonly ArtifactRef[]; collect?: readonly string[] } | string {
  const out: { fetch?: ArtifactRef[]; collect?: string[] } = {};
  if (body.fetch !== undefined) {
    if (!Array.isArray(body.fetch) || body.fetch.length > 100)
      return 'fetch: expected a list of artifact references';
    const refs = body.fetch.map(parseArtifactRef);
    if (refs.some((r) => r === undefined)) return 'fetch: expected artifact references';
    out.fetch = refs as ArtifactRef[];
  }
  if (body.artifacts !== undefined) {
    const globs = body.artifacts;
    if (
      !Array.isArray(globs) ||
      globs.length > 100 ||
      !globs.every((g) => typeof g === 'string' && g !== '' && g.length <= 1024)
    )
      return 'artifacts: expected a list of paths or globs';
    out.collect = globs as string[];
  }
  return out;
}

/** Whether a request brings artifacts in or takes them out (its policy rule must allow it). */
export function movesArtifacts(spec: {
  readonly fetch?: readonly ArtifactRef[];
  readonly collect?: readonly string[];
}): boolean {
  return (spec.fetch?.length ?? 0) > 0 || (spec.collect?.length ?? 0) > 0;
}

/** On the worker, before the job: write the artifacts it was given into its directory. */
export async function bringArtifacts(
  transport: Transport,
  spec: { readonly fetch?: readonly ArtifactRef[] },
  cwd: string,
  timeoutMs: number,
): Promise<void> {
  for (const ref of spec.fetch ?? []) {
    try {
      await unpackArtifacts(transport, ref, cwd, { timeoutMs });
    } catch (error) {
      throw new RemoteFailureError(`the artifacts it was given: ${messageOf(error)}`, {
        cause: error,
      });
    }
  }
}

/**
 * On the worker, after the job: collect its artifacts when it succeeded and was asked to; what
 * to add to its result (the reference, or why there is none).
 */
export async function takeArtifacts(
  transport: Transport,
  spec: { readonly collect?: readonly string[]; readonly run: string; readonly job: string },
  cwd: string,
  result: {
    readonly exitCode: number | null;
    readonly timedOut: boolean;
    readonly cancelled: boolean;
  },
  timeoutMs: number,
): Promise<{ artifacts?: ArtifactRef; artifactsError?: string }> {
  if (spec.collect === undefined || spec.collect.length === 0) return {};
  if (result.exitCode !== 0 || result.timedOut || result.cancelled) return {};
  try {
    const title = `artifacts of job ${spec.job} of ${spec.run}`;
    return { artifacts: await storeArtifacts(transport, cwd, spec.collect, title, { timeoutMs }) };
  } catch (error) {
    return { artifactsError: messageOf(error) };
  }
}

/**
 * On the orchestrator: the artifacts a job was given (by the jobs it needs), as references its
 * worker can fetch: those stored on another network are copied over with `transportFor`.
 */
export async function artifactsFor(
  given: Readonly<Record<string, { readonly network: string; readonly ref: JsonObject }>>,
  consumer: Transport,
  transportFor: (network: string) => Transport | undefined,
  options: WaitOptions = {},
): Promise<ArtifactRef[]> {
  const refs: ArtifactRef[] = [];
  for (const [job, stored] of Object.entries(given)) {
    const ref = parseArtifactRef(stored.ref);
    if (ref === undefined) throw new RemoteFailureError(`artifacts of ${job}: not a reference`);
    if (stored.network === consumer.network) {
      refs.push(ref);
      continue;
    }
    const from = transportFor(stored.network);
    if (from === undefined)
      throw new RemoteFailureError(
        `artifacts of ${job} are stored on ${stored.network}, and this run has no profile there to fetch them`,
      );
    refs.push(await relayArtifacts(from, consumer, ref, options));
  }
  return refs;
}
