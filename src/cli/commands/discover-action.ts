import type { OptionValues } from 'commander';
import { resolvePaths } from '../../config/paths.ts';
import type { Profile } from '../../config/profile.ts';
import { WorkspaceList } from '../../config/workspace-list.ts';
import { CAPABILITY } from '../../discovery/card.ts';
import { discoverAgents, searchPublic, type DiscoverySource } from '../../discovery/discover.ts';
import { ConfigError, UsageError, quote } from '../../errors.ts';
import type { Transport } from '../../transport/transport.ts';
import { openProfileStore } from '../connect.ts';
import type { CliContext } from '../context.ts';
import { flagOption, listOption, stringOption } from '../option-values.ts';
import { openSession } from '../session-start.ts';
import { agentJson, agentRows, formatReport } from './discover-format.ts';

const LIVE_INTERVAL_MS = 3000;

/** `discover`: every profile, every workspace, merged. */
export async function discover(values: OptionValues, context: CliContext): Promise<void> {
  const capabilities = listOption(values, 'capability');
  for (const c of capabilities)
    if (!CAPABILITY.test(c.toLowerCase()))
      throw new UsageError(`expected --capability to be a name like code-review, got ${quote(c)}`);
  const wanted = listOption(values, 'workspace');
  const isPublic = flagOption(values, 'public');
  const text = stringOption(values, 'search');
  const server = stringOption(values, 'server');
  if (!isPublic && (text !== undefined || server !== undefined))
    throw new UsageError('--search and --server go with --public');
  const store = openProfileStore();
  const profiles = context.profile === undefined ? store.list() : [store.get(context.profile)];
  if (profiles.length === 0)
    throw new ConfigError(
      'no profile yet; log in first with `mx-agent login matrix` or `mx-agent login xmpp`',
    );
  const transports = await Promise.all(profiles.map((p) => connect(p, context)));
  try {
    const sources = await sourcesFor(profiles, transports, wanted, context);
    const load = (): ReturnType<typeof discoverAgents> =>
      discoverAgents(sources, { capabilities, signal: context.signal });
    const { output } = context;
    const live =
      output.stdio.stdout.isTTY === true && !output.options.json && !flagOption(values, 'once');
    if (live && !isPublic) {
      const { showDiscoverLive } = await import('../../ui/discover-view.ts');
      context.endsOnInterrupt();
      await showDiscoverLive({
        load,
        intervalMs: LIVE_INTERVAL_MS,
        rows: agentRows,
        signal: context.signal,
      });
      return;
    }
    const [report, found] = await Promise.all([
      load(),
      isPublic
        ? searchPublic(sources, {
            ...(text === undefined ? {} : { text }),
            ...(server === undefined ? {} : { server }),
            signal: context.signal,
          })
        : undefined,
    ]);
    for (const reason of report.rejected) output.debug(`ignored ${reason}`);
    const problems = [...report.problems, ...(found?.problems ?? [])];
    output.result(
      {
        agents: report.agents.map(agentJson),
        ...(found ? { public: found.entries } : {}),
        problems,
      },
      () => formatReport({ ...report, problems }, found?.entries),
    );
  } finally {
    await Promise.allSettled(transports.map((t) => (t ? t.close() : Promise.resolve())));
  }
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

/** Which workspaces to read on each connected profile. */
async function sourcesFor(
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
