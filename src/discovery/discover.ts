/**
 * `discover`: the agents of every workspace of every profile, merged per agent, and the
 * public directories of their servers. What cannot be read (a workspace we were removed from,
 * a server that does not answer) is reported next to the result, never fatal.
 */
import { messageOf } from '../errors.ts';
import type { DirectoryEntry, Network, Transport } from '../transport/transport.ts';
import {
  mergeSightings,
  readWorkspaceAgents,
  withCapabilities,
  type DiscoveredAgent,
  type Sighting,
} from './agents.ts';

/** One profile's connection and the workspaces to look in. */
export interface DiscoverySource {
  readonly profile: string;
  readonly transport: Transport;
  readonly workspaces: readonly string[];
}

/** What `discover` found. */
export interface DiscoveryReport {
  readonly agents: readonly DiscoveredAgent[];
  /** Workspaces or directories that could not be read, and why. */
  readonly problems: readonly string[];
  /** Card entries rejected as malformed or not allowed. */
  readonly rejected: readonly string[];
}

/** A public directory hit, with where it was found. */
export interface PublicEntry extends DirectoryEntry {
  readonly network: Network;
  readonly profile: string;
}

const READ_TIMEOUT_MS = 20_000;

/** Read every source's workspaces and merge the agents found. */
export async function discoverAgents(
  sources: readonly DiscoverySource[],
  options: { readonly capabilities?: readonly string[]; readonly signal?: AbortSignal } = {},
): Promise<DiscoveryReport> {
  const problems: string[] = [];
  const rejected: string[] = [];
  const wait = {
    timeoutMs: READ_TIMEOUT_MS,
    ...(options.signal ? { signal: options.signal } : {}),
  };
  const reads = sources.flatMap((source) =>
    source.workspaces.map(async (workspace): Promise<Sighting[]> => {
      try {
        if (!source.transport.joinedWorkspaces().includes(workspace))
          await source.transport.joinWorkspace(workspace, wait);
        return await readWorkspaceAgents(source.transport, workspace, {
          ...wait,
          reject: (reason) => rejected.push(reason),
        });
      } catch (error) {
        problems.push(`${workspace} (profile ${source.profile}): ${messageOf(error)}`);
        return [];
      }
    }),
  );
  const sightings = (await Promise.all(reads)).flat();
  const merged = mergeSightings(sightings, Date.now());
  const agents = options.capabilities?.length
    ? withCapabilities(merged, options.capabilities)
    : merged;
  return { agents, problems, rejected };
}

/** Search the public directory of every source's server. */
export async function searchPublic(
  sources: readonly DiscoverySource[],
  options: { readonly text?: string; readonly server?: string; readonly signal?: AbortSignal } = {},
): Promise<{ entries: PublicEntry[]; problems: string[] }> {
  const problems: string[] = [];
  const query = {
    ...(options.text === undefined ? {} : { text: options.text }),
    ...(options.server === undefined ? {} : { server: options.server }),
  };
  const wait = { timeoutMs: 30_000, ...(options.signal ? { signal: options.signal } : {}) };
  const found = await Promise.all(
    sources.map(async (source) => {
      try {
        const entries = await source.transport.searchDirectory(query, wait);
        return entries.map((e): PublicEntry => ({
          ...e,
          network: source.transport.network,
          profile: source.profile,
        }));
      } catch (error) {
        problems.push(`directory of profile ${source.profile}: ${messageOf(error)}`);
        return [];
      }
    }),
  );
  const seen = new Set<string>();
  const entries = found.flat().filter((e) => {
    const key = `${e.network} ${e.address}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
  return { entries, problems };
}
