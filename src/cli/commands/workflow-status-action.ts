import type { OptionValues } from 'commander';
import { resolvePaths } from '../../config/paths.ts';
import { securityFiles } from '../../config/security-files.ts';
import type { DiscoverySource } from '../../discovery/discover.ts';
import { UsageError, quote } from '../../errors.ts';
import { loadOrCreateSigningKey } from '../../security/signing-key.ts';
import { TrustStore } from '../../security/trust-store.ts';
import type { Transport } from '../../transport/transport.ts';
import type { JournalRecord } from '../../workflow/run-records.ts';
import {
  RunNotFoundError,
  followRun,
  readRunRecords,
  replayRun,
  type RunRecords,
} from '../../workflow/run-replay.ts';
import type { CliContext } from '../context.ts';
import { flagOption, stringOption } from '../option-values.ts';
import { connectProfiles, selectedProfiles, sourcesFor } from '../profile-sources.ts';
import type { RunEvent } from '../../workflow/orchestrator.ts';
import { describe, RUN_ID } from './workflow-run-action.ts';

/** A run found in a workspace's history. */
export interface LocatedRun {
  readonly transport: Transport;
  readonly workspace: string;
  readonly found: RunRecords;
}

/** Look for run `id` in every workspace of the sources; a UsageError when none has it. */
export async function locateRun(
  sources: readonly DiscoverySource[],
  id: string,
  context: CliContext,
): Promise<LocatedRun> {
  const looked: string[] = [];
  for (const source of sources) {
    for (const workspace of source.workspaces) {
      looked.push(workspace);
      try {
        const found = await readRunRecords(source.transport, workspace, id, {
          signal: context.signal,
        });
        return { transport: source.transport, workspace, found };
      } catch (error) {
        if (!(error instanceof RunNotFoundError)) throw error;
      }
    }
  }
  throw new UsageError(
    looked.length === 0
      ? `no workspace to look for run ${id} in: join the workspace it ran in, or give --workspace`
      : `no run ${id} in ${looked.join(', ')}: check the id (\`workflow run\` printed it), or give --workspace`,
  );
}

/** Connect every selected profile, find the run, and hand it to `work`. */
async function withRun<T>(
  id: string,
  values: OptionValues,
  context: CliContext,
  work: (run: LocatedRun) => T,
): Promise<T> {
  if (!RUN_ID.test(id))
    throw new UsageError(`expected a run id like run-0123456789ab, got ${quote(id)}`);
  const profiles = selectedProfiles(context);
  const transports = await connectProfiles(profiles, context);
  try {
    const wanted = stringOption(values, 'workspace');
    const sources = await sourcesFor(
      profiles,
      transports,
      wanted === undefined ? [] : [wanted],
      context,
    );
    return await work(await locateRun(sources, id, context));
  } finally {
    await Promise.allSettled(transports.map((t) => (t ? t.close() : Promise.resolve())));
  }
}

/** One job in `workflow status`. */
interface JobRow {
  readonly job: string;
  readonly status: string;
  readonly agent?: string;
  readonly attempts: number;
  readonly ms?: number;
  readonly reason?: string;
  readonly outputs: Readonly<Record<string, string>>;
}

/** `workflow status RUN`: where each job of a run is, from the run's journal. */
export async function showRunStatus(
  id: string,
  values: OptionValues,
  context: CliContext,
): Promise<void> {
  const report = await withRun(id, values, context, ({ workspace, found }) => {
    const replayed = replayRun(found);
    const now = Date.now();
    const jobs: JobRow[] = Object.entries(replayed.state.jobs).map(([job, s]) => {
      const end = s.finishedAt ?? (s.status === 'running' ? now : undefined);
      const agent = replayed.agents[job];
      const reason = s.reason ?? s.error;
      return {
        job,
        status: s.status,
        ...(agent === undefined ? {} : { agent }),
        attempts: s.attempts,
        ...(s.startedAt === undefined || end === undefined ? {} : { ms: end - s.startedAt }),
        ...(reason === undefined ? {} : { reason }),
        outputs: s.outputs,
      };
    });
    return {
      run: found.run,
      workflow: found.workflow.name,
      workspace,
      agent: found.agent,
      fingerprint: found.fingerprint,
      key: keyStanding(found),
      result: replayed.result ?? 'running',
      startedAt: new Date(found.startedAt).toISOString(),
      lastRecordAt: new Date(replayed.lastAt).toISOString(),
      resumes: replayed.resumes,
      missingRecords: replayed.gaps,
      rejectedRecords: found.rejected,
      jobs,
    };
  });
  context.output.result(report, () => {
    const ago = Math.round((Date.now() - Date.parse(report.lastRecordAt)) / 1000);
    const lines = [
      `run ${report.run} of "${report.workflow}" in ${report.workspace}`,
      `by ${report.agent} (${report.key}), started ${report.startedAt}${report.resumes > 0 ? `, resumed ${String(report.resumes)}×` : ''}`,
      report.result === 'running'
        ? `running — last record ${String(ago)} s ago (if its orchestrator died: \`mx-agent workflow run --resume ${report.run}\`)`
        : report.result,
    ];
    if (report.missingRecords > 0 || report.rejectedRecords > 0)
      lines.push(
        `warning: ${String(report.missingRecords)} record(s) missing, ${String(report.rejectedRecords)} not believed (wrong key or malformed)`,
      );
    const width = Math.max(3, ...report.jobs.map((j) => j.job.length));
    for (const j of report.jobs) {
      const time = j.ms === undefined ? '' : ` ${(j.ms / 1000).toFixed(1)} s`;
      const tries = j.attempts > 1 ? ` (${String(j.attempts)} attempts)` : '';
      const on = j.agent === undefined ? '' : ` on ${j.agent}`;
      const why = j.reason === undefined || j.status === 'succeeded' ? '' : `: ${j.reason}`;
      lines.push(`  ${j.job.padEnd(width)}  ${j.status.padEnd(9)}${on}${time}${tries}${why}`);
    }
    return lines.join('\n');
  });
}

/** `workflow logs RUN [JOB]`: what the run's steps printed, from its journal. */
export async function showRunLogs(
  id: string,
  job: string | undefined,
  values: OptionValues,
  context: CliContext,
): Promise<void> {
  const { output } = context;
  await withRun(id, values, context, async ({ transport, found }) => {
    const events = new RecordEvents(found.startedAt);
    const print = (record: JournalRecord): void => {
      const shown = events.of(record); // every record counts, for the times of later ones
      if (job !== undefined && !('job' in record.entry && record.entry.job === job)) return;
      for (const event of shown)
        output.line({ run: id, at: record.at, ...event }, () =>
          event.type === 'run-resumed' ? '— resumed —' : describe(event),
        );
    };
    if (job !== undefined && !Object.hasOwn(found.workflow.jobs, job))
      throw new UsageError(
        `run ${id} has no job ${quote(job)}; its jobs: ${Object.keys(found.workflow.jobs).join(', ')}`,
      );
    for (const record of found.records) print(record);
    const ended = found.records.some((r) => r.entry.t === 'end');
    if (!flagOption(values, 'follow') || ended) return;
    context.endsOnInterrupt();
    const last = found.records.at(-1)?.seq ?? 0;
    await followRun(transport, found, last, print, context.signal);
  });
}

/**
 * A run's records as the events `workflow run` printed (`describe`), for `workflow logs`: the
 * attempt and time of a finished job, and the run's, come from the records before it.
 */
class RecordEvents {
  readonly #startedAt: number;
  readonly #jobs = new Map<string, { attempt: number; at: number }>();

  constructor(startedAt: number) {
    this.#startedAt = startedAt;
  }

  /** The events one record stands for (`resumed` has none of `workflow run`'s). */
  of(record: JournalRecord): (RunEvent | { type: 'run-resumed' })[] {
    const e = record.entry;
    switch (e.t) {
      case 'job':
        this.#jobs.set(e.job, { attempt: e.attempt, at: record.at });
        return [{ type: 'job-started', job: e.job, attempt: e.attempt, agent: e.agent }];
      case 'step':
        return [{ type: 'step-started', job: e.job, step: e.step, command: e.command }];
      case 'out':
        return e.lines.map(([stream, line]) => ({
          type: 'output' as const,
          job: e.job,
          stream: stream === 'o' ? ('stdout' as const) : ('stderr' as const),
          line,
        }));
      case 'held':
        return [
          {
            type: 'job-held',
            job: e.job,
            agent: e.agent,
            approval: e.approval,
            expires: e.expires,
          },
        ];
      case 'lost':
        return [{ type: 'worker-lost', job: e.job, agent: e.agent, reason: e.reason }];
      case 'done': {
        const started = this.#jobs.get(e.job);
        return [
          {
            type: 'job-finished',
            job: e.job,
            attempt: started?.attempt ?? 1,
            ok: e.ok,
            outputs: e.outputs,
            ...(e.error === undefined ? {} : { error: e.error }),
            ms: record.at - (started?.at ?? record.at),
            ...(e.artifacts === undefined ? {} : { artifacts: e.artifacts }),
          },
        ];
      }
      case 'skip':
        return [{ type: 'job-skipped', job: e.job, reason: e.reason }];
      case 'cancel':
        return [{ type: 'run-cancelling' }];
      case 'end':
        return [{ type: 'run-finished', result: e.result, ms: record.at - this.#startedAt }];
      case 'resumed':
        return [{ type: 'run-resumed' }];
      case 'run':
        return [];
    }
  }
}

/** Whose key signed the run, as this installation sees it. */
function keyStanding(found: RunRecords): string {
  const dir = securityFiles(resolvePaths()).keyDir;
  if (loadOrCreateSigningKey(dir).fingerprint === found.fingerprint) return 'this agent';
  const trusted = new TrustStore(dir)
    .list()
    .some((t) => t.agent === found.agent && t.fingerprint === found.fingerprint);
  return trusted ? 'a key you trust' : `key ${found.fingerprint}, not trusted here`;
}
