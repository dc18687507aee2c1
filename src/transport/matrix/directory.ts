/**
 * Searching the room directory (spec "Listing rooms", POST /publicRooms) for workspaces. Matrix
 * has no directory of agents: agents are found through the agent state of the workspaces.
 */
import type { IPublicRoomsChunkRoom, MatrixClient } from 'matrix-js-sdk';
import { UsageError, quote } from '../../errors.ts';
import type { DirectoryEntry, DirectoryQuery } from '../transport.ts';
import { isServerName } from './address.ts';
import { mapMatrixError } from './matrix-errors.ts';
import { WORKSPACE_ROOM_TYPE } from './room-defaults.ts';

/** At most this many entries are read from a directory, however many it has. */
export const DIRECTORY_MAX = 500;
const PAGE = 100;

/** Check a directory query, or throw UsageError naming the form. */
export function assertDirectoryQuery(query: DirectoryQuery): void {
  if (query.server !== undefined && !isServerName(query.server)) {
    throw new UsageError(
      `expected a Matrix server name like example.org, got ${quote(query.server)}`,
    );
  }
}

/**
 * The rooms a server's directory lists, at most DIRECTORY_MAX, paged with `since`. The server
 * filters by `generic_search_term` (name, topic, alias); we filter again, so every server meets
 * the DirectoryQuery contract whatever else its search matches.
 */
export async function searchRooms(
  client: MatrixClient,
  query: DirectoryQuery,
  signal: AbortSignal,
): Promise<DirectoryEntry[]> {
  const text = query.text?.trim();
  const entries: DirectoryEntry[] = [];
  let since: string | undefined;
  do {
    if (signal.aborted) throw signal.reason as Error;
    let page: Awaited<ReturnType<MatrixClient['publicRooms']>>;
    try {
      page = await client.publicRooms({
        ...(query.server === undefined ? {} : { server: query.server }),
        limit: Math.min(PAGE, DIRECTORY_MAX - entries.length),
        ...(since === undefined ? {} : { since }),
        // A filter makes the SDK POST; POST without a term lists everything as GET does.
        filter: text ? { generic_search_term: text } : {},
      });
    } catch (error) {
      throw mapMatrixError(error, `search the room directory of ${query.server ?? 'our server'}`);
    }
    entries.push(...page.chunk.map(toEntry));
    // An empty page with a token would page forever.
    since = page.chunk.length > 0 ? page.next_batch : undefined;
  } while (since !== undefined && entries.length < DIRECTORY_MAX);
  const needle = text?.toLowerCase();
  return entries
    .slice(0, DIRECTORY_MAX)
    .filter(
      (e) =>
        !needle ||
        [e.address, e.name, e.description].some((v) => v?.toLowerCase().includes(needle)),
    );
}

function toEntry(room: IPublicRoomsChunkRoom): DirectoryEntry {
  return {
    kind: 'workspace',
    address: room.canonical_alias ?? room.room_id,
    ...(room.name === undefined ? {} : { name: room.name }),
    ...(room.topic === undefined ? {} : { description: room.topic }),
    members: room.num_joined_members,
    mxAgent: room.room_type === WORKSPACE_ROOM_TYPE,
  };
}
