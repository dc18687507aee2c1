/**
 * The streams of a workspace, as durable state (one `stream` entry per stream id): what
 * `stream list` shows and `stream attach` uses to find a stream's start without reading all
 * history. A live sharer refreshes its entry every HEARTBEAT_MS; an entry still marked live
 * but not refreshed for STALE_MS belongs to a sharer that went away without ending it.
 */
import type { JsonObject, Transport } from '../transport/transport.ts';
import { STREAM_ID } from './protocol.ts';

/** The state type of stream entries. */
export const STREAM_STATE = 'stream';

/** How often a live sharer refreshes its entry. */
export const HEARTBEAT_MS = 60_000;

/** A live entry older than this is reported as `lost`. */
export const STALE_MS = 3 * HEARTBEAT_MS;

/** One stream as the workspace records it. */
export interface StreamRecord {
  readonly stream: string;
  readonly title: string;
  readonly command: readonly string[];
  readonly sharer: string;
  readonly startedAt: number;
  readonly updatedAt: number;
  readonly status: 'live' | 'ended';
  readonly exitCode?: number | null;
  readonly bytes?: number;
}

/** A record with its liveness judged now. */
export type ListedStream = StreamRecord & { readonly state: 'live' | 'ended' | 'lost' };

/** Write (replace) the entry of a stream. */
export async function putStreamRecord(
  transport: Transport,
  workspace: string,
  record: StreamRecord,
): Promise<void> {
  const content: JsonObject = {
    stream: record.stream,
    title: record.title,
    command: [...record.command],
    sharer: record.sharer,
    started_at: record.startedAt,
    updated_at: record.updatedAt,
    status: record.status,
    ...(record.exitCode === undefined ? {} : { exit_code: record.exitCode }),
    ...(record.bytes === undefined ? {} : { bytes: record.bytes }),
  };
  await transport.putState(workspace, STREAM_STATE, record.stream, content, { timeoutMs: 30_000 });
}

/** The streams of a workspace, newest first; malformed entries are skipped. */
export async function listStreams(
  transport: Transport,
  workspace: string,
  now = Date.now(),
): Promise<ListedStream[]> {
  const entries = await transport.listState(workspace, STREAM_STATE, { timeoutMs: 30_000 });
  const records = entries.flatMap((e) => {
    const record = parseRecord(e.content);
    return record ? [record] : [];
  });
  return records
    .map((r) => ({
      ...r,
      state:
        r.status === 'ended'
          ? ('ended' as const)
          : now - r.updatedAt > STALE_MS
            ? ('lost' as const)
            : ('live' as const),
    }))
    .sort((a, b) => b.startedAt - a.startedAt);
}

function parseRecord(c: JsonObject): StreamRecord | undefined {
  const { stream, title, command, sharer, started_at, updated_at, status, exit_code, bytes } = c;
  if (typeof stream !== 'string' || !STREAM_ID.test(stream)) return undefined;
  if (typeof title !== 'string' || typeof sharer !== 'string') return undefined;
  if (!Array.isArray(command) || !command.every((s) => typeof s === 'string')) return undefined;
  if (typeof started_at !== 'number' || typeof updated_at !== 'number') return undefined;
  if (status !== 'live' && status !== 'ended') return undefined;
  return {
    stream,
    title,
    command,
    sharer,
    startedAt: started_at,
    updatedAt: updated_at,
    status,
    ...(typeof exit_code === 'number' || exit_code === null ? { exitCode: exit_code } : {}),
    ...(typeof bytes === 'number' ? { bytes } : {}),
  };
}
