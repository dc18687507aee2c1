import type { OptionValues } from 'commander';
import { CAPABILITY } from '../../discovery/card.ts';
import { discoverAgents, searchPublic } from '../../discovery/discover.ts';
import { UsageError, quote } from '../../errors.ts';
import type { CliContext } from '../context.ts';
import { flagOption, listOption, stringOption } from '../option-values.ts';
import { connectProfiles, selectedProfiles, sourcesFor } from '../profile-sources.ts';
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
  const profiles = selectedProfiles(context);
  const transports = await connectProfiles(profiles, context);
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
