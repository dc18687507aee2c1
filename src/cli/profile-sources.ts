/**
 * Commands that read every logged-in profile at once (`discover`, `workflow run`): the
 * profiles selected, a session for each that connects, and the workspaces to read on each.
 */
import { resolvePaths } from '../config/paths.ts';
import type { Profile } from '../config/profile.ts';
import { WorkspaceList } from '../config/workspace-list.ts';
import type { DiscoverySource } from '../discovery/discover.ts';
import { ConfigError, UsageError, quote } from '../errors.ts';
import type { Transport } from '../transport/transport.ts';
import { openProfileStore } from './connect.ts';
import type { CliContext } from './context.ts';
import { openSession } from './session-start.ts';

/** The profile given with --profile, else every stored profile. */
export function selectedProfiles(context: CliContext): Profile[] {
  const store = openProfileStore();
  const profiles = context.profile === undefined ? store.list() : [store.get(context.profile)];
  if (profiles.length === 0)
    throw new ConfigError(
      'no profile yet; log in first with `mx-agent login matrix` or `mx-agent login xmpp`',
    );
  return profiles;
}

/** A session for each profile, undefined (with a warning) for those that cannot connect. */
export async function connectProfiles(
  profiles: readonly Profile[],
  context: CliContext,
): Promise<(Transport | undefined)[]> {
  return Promise.all(profiles.map((p) => connect(p, context)));
}

/** A profile's session, or undefined (with a warning) when it cannot connect. */
async function connect(profile: Profile, context: CliContext): Promise<Transport | undefined> {
  try {
    return await openSession(profile, context);
  } catch (error) {
    if (context.signal.aborted) throw error;
    context.output.warn(
      `skipping profile ${profile.name}: ${error instanceof Error ? error.message : String(error)}`,
    );
    return undefined;
  }
}

/** Which workspaces to read on each connected profile: `wanted`, else each profile's list. */
export async function sourcesFor(
  profiles: readonly Profile[],
  transports: readonly (Transport | undefined)[],
  wanted: readonly string[],
  context: CliContext,
): Promise<DiscoverySource[]> {
  const list = new WorkspaceList(resolvePaths());
  const sources: DiscoverySource[] = [];
  const claimed = new Set<string>();
  for (const [i, profile] of profiles.entries()) {
    const transport = transports[i];
    if (!transport) continue;
    let workspaces = list.of(profile.name);
    if (wanted.length > 0) {
      workspaces = [];
      for (const name of wanted) {
        const target = await transport
          .resolveTarget(name, { signal: context.signal })
          .catch(() => undefined);
        if (target?.kind === 'workspace') {
          workspaces.push(target.workspace);
          claimed.add(name);
        }
      }
    }
    sources.push({ profile: profile.name, transport, workspaces });
  }
  const unknown = wanted.filter((w) => !claimed.has(w));
  if (unknown.length > 0)
    throw new UsageError(
      `no logged-in profile can reach the workspace ${quote(unknown[0] ?? '')}: expected a Matrix room alias like #team:example.org or an XMPP room like team@conference.example.org on a network you have a profile for`,
    );
  return sources;
}
