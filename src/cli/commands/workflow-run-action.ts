import { randomBytes } from 'node:crypto';
import type { OptionValues } from 'commander';
import { AgentSettingsStore } from '../../config/agent-settings.ts';
import { resolvePaths } from '../../config/paths.ts';
import { securityFiles } from '../../config/security-files.ts';
import { discoverAgents, type DiscoverySource } from '../../discovery/discover.ts';
import { RefusedError, UsageError, quote } from '../../errors.ts';
import { loadOrCreateSigningKey, type SigningKey } from '../../security/signing-key.ts';
import { TrustStore } from '../../security/trust-store.ts';
import type { Transport } from '../../transport/transport.ts';
import { runWorkflow, type RunEvent, type RunOptions } from '../../workflow/orchestrator.ts';
import { RunJournal } from '../../workflow/run-journal.ts';
import { readRunRecords, replayRun } from '../../workflow/run-replay.ts';
import type { RunResult, RunState } from '../../workflow/scheduler.ts';
import { resumeFrom } from '../../workflow/scheduler-state.ts';
import { workerResolver } from '../../workflow/worker-resolver.ts';
import { resolveInputs } from '../../workflow/workflow-inputs.ts';
import { readWorkflowFile } from '../../workflow/workflow-parse.ts';
import type { InputValue, Workflow } from '../../workflow/workflow-types.ts';
import type { CliContext } from '../context.ts';
import { EXIT_CODES } from '../exit-codes.ts';
import { listOption, stringOption } from '../option-values.ts';
import { connectProfiles, selectedProfiles, sourcesFor } from '../profile-sources.ts';

/** A run id: `run-` and 12 hex digits. */
export const RUN_ID = /^run-[0-9a-f]{12}$/;

/**
 * `workflow run FILE [--input K=V]... [--workspace W]`, or `workflow run --resume RUN`: run it
 * across the agents of every logged-in profile's workspaces (Matrix and XMPP together), with
 * its journal in one workspace so that it can be followed and resumed from anywhere.
 */
export async function runWorkflowFile(
  file: string | undefined,
  values: OptionValues,
  context: CliContext,
): Promise<void> {
  const resume = stringOption(values, 'resume');
  if ((file === undefined) === (resume === undefined))
    throw new UsageError('expected a workflow FILE, or --resume RUN to go on with a run');
  if (resume !== undefined && !RUN_ID.test(resume))
    throw new UsageError(`expected a run id like run-0123456789ab, got ${quote(resume)}`);
  if (resume !== undefined && listOption(values, 'input').length > 0)
    throw new UsageError('--input goes with a FILE: a resumed run keeps the inputs it had');
  const fresh = file === undefined ? undefined : prepareRun(file, values);
  const paths = resolvePaths();
  const key = loadOrCreateSigningKey(securityFiles(paths).keyDir);
  const agent = new AgentSettingsStore(paths).read().id;
  const wanted = stringOption(values, 'workspace');
  const profiles = selectedProfiles(context);
  const transports = await connectProfiles(profiles, context);
  let result: RunResult | undefined;
  try {
    const sources = await sourcesFor(
      profiles,
      transports,
      wanted === undefined ? [] : [wanted],
      context,
    );
    if (sources.length === 0)
      throw new RefusedError('no profile could connect, so no agent can be reached');
    const plan =
      fresh === undefined
        ? await resumePlan(sources, resume ?? '', context, key)
        : {
            ...fresh,
            runId: `run-${randomBytes(6).toString('hex')}`,
            nextSeq: 0,
            home: journalHome(sources, wanted),
          };
    if (plan === undefined) return;
    const connected = sources.map((s) => s.transport);
    const { agents } = await discoverAgents(sources, { signal: context.signal });
    const trusted = new TrustStore(securityFiles(paths).keyDir).list();
    const journal = await openJournal(plan, key, agent, context);
    const show = await eventSink(plan, journal, context);
    try {
      ({ result } = await runWorkflow({
        transport: connected[0] as Transport,
        agent,
        key,
        ...plan,
        resolveWorker: workerResolver(connected, agents, trusted, plan.workflow),
        transportFor: (network) => connected.find((t) => t.network === network),
        signal: context.signal,
        onEvent: show.onEvent,
      }));
    } finally {
      await show.done();
      await journal?.close();
    }
  } finally {
    await Promise.allSettled(transports.map((t) => (t ? t.close() : Promise.resolve())));
  }
  if (result === 'failed') context.exitWith(EXIT_CODES.remote);
}

/** What a run (new or resumed) is, and where its journal goes. */
interface RunPlan extends Pick<RunOptions, 'workflow' | 'inputs' | 'runId'> {
  readonly initialState?: RunState;
  /** The next record number of its journal. */
  readonly nextSeq: number;
  readonly home: { readonly transport: Transport; readonly workspace: string } | undefined;
}

/** A run to go on with; undefined (after saying so) when it already succeeded. */
async function resumePlan(
  sources: readonly DiscoverySource[],
  id: string,
  context: CliContext,
  key: SigningKey,
): Promise<RunPlan | undefined> {
  const { transport, workspace, found } = await findRun(sources, id, context, key);
  const replayed = replayRun(found);
  if (replayed.result === 'succeeded') {
    context.output.result({ run: found.run, result: 'succeeded', resumed: false }, () => {
      return `run ${found.run} already succeeded: nothing to resume`;
    });
    return undefined;
  }
  return {
    workflow: found.workflow,
    inputs: found.inputs,
    runId: found.run,
    initialState: resumeFrom(replayed.state),
    nextSeq: (found.records.at(-1)?.seq ?? 0) + 1,
    home: { transport, workspace },
  };
}

/** The run's journal, begun (or marked resumed); undefined, with a warning, without a workspace. */
async function openJournal(
  plan: RunPlan,
  key: SigningKey,
  agent: string,
  context: CliContext,
): Promise<RunJournal | undefined> {
  const { output } = context;
  const jobs = Object.keys(plan.workflow.jobs).length;
  if (plan.home === undefined) {
    output.warn('no workspace to keep the run in: it cannot be followed or resumed elsewhere');
    output.info(`run ${plan.runId} of "${plan.workflow.name}" (${String(jobs)} job(s))`);
    return undefined;
  }
  const journal = new RunJournal({
    ...plan.home,
    key,
    agent,
    run: plan.runId,
    nextSeq: plan.nextSeq,
    warn: (m) => {
      output.warn(m);
    },
  });
  if (plan.initialState === undefined) {
    await journal.begin(plan.workflow, plan.inputs, Date.now());
    output.info(
      `run ${plan.runId} of "${plan.workflow.name}" (${String(jobs)} job(s)) in ${plan.home.workspace}`,
    );
  } else {
    journal.resumed();
    const done = Object.values(plan.initialState.jobs).filter((j) => j.status === 'succeeded');
    output.info(
      `resuming run ${plan.runId} of "${plan.workflow.name}": ${String(done.length)} of ${String(jobs)} job(s) already succeeded`,
    );
  }
  return journal;
}

/** Where events go: the journal, and a live view of the DAG in a terminal or one line each. */
async function eventSink(
  plan: RunPlan,
  journal: RunJournal | undefined,
  context: CliContext,
): Promise<{ onEvent: (event: RunEvent) => void; done: () => Promise<void> }> {
  const { output } = context;
  const view =
    output.stdio.stdout.isTTY === true && !output.options.json
      ? (await import('../../ui/workflow-view.ts')).startWorkflowView({
          runId: plan.runId,
          workflow: plan.workflow,
          stdout: process.stdout,
          ...(plan.initialState === undefined ? {} : { resumed: plan.initialState.jobs }),
        })
      : undefined;
  return {
    onEvent: (event) => {
      journal?.event(event);
      if (view) view.onEvent(event);
      else output.line({ run: plan.runId, ...event }, () => describe(event));
    },
    done: async () => {
      await view?.done();
    },
  };
}

/** Read and check the file and its inputs before connecting to anything. */
function prepareRun(
  file: string,
  values: OptionValues,
): { workflow: Workflow; inputs: Readonly<Record<string, InputValue>> } {
  const workflow = readWorkflowFile(file);
  const given: Record<string, string> = {};
  for (const pair of listOption(values, 'input')) {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new UsageError(`expected --input NAME=VALUE, got ${quote(pair)}`);
    given[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  return { workflow, inputs: resolveInputs(workflow, given) };
}

/** Where a new run keeps its journal: --workspace, else the first workspace of the first profile. */
function journalHome(
  sources: readonly DiscoverySource[],
  wanted: string | undefined,
): { transport: Transport; workspace: string } | undefined {
  for (const source of sources) {
    const workspace = source.workspaces[0];
    if (workspace !== undefined) return { transport: source.transport, workspace };
  }
  if (wanted !== undefined) throw new UsageError(`no profile is in the workspace ${quote(wanted)}`);
  return undefined;
}

/** The workspace whose history holds run `id`, with what it says; only our own runs resume. */
async function findRun(
  sources: readonly DiscoverySource[],
  id: string,
  context: CliContext,
  key: SigningKey,
): Promise<{
  transport: Transport;
  workspace: string;
  found: Awaited<ReturnType<typeof readRunRecords>>;
}> {
  const { locateRun } = await import('./workflow-status-action.ts');
  const located = await locateRun(sources, id, context);
  if (located.found.fingerprint !== key.fingerprint)
    throw new RefusedError(
      `run ${id} was started by agent ${located.found.agent} (key ${located.found.fingerprint}); only the agent that started a run can resume it`,
    );
  return located;
}

/** One event as a line of text. */
export function describe(event: RunEvent): string {
  switch (event.type) {
    case 'job-started':
      return `[${event.job}] started on ${event.agent}${event.attempt > 1 ? ` (attempt ${String(event.attempt)})` : ''}`;
    case 'step-started':
      return `[${event.job}] $ ${event.command}`;
    case 'output':
      return `[${event.job}] ${event.line}`;
    case 'job-held':
      return `[${event.job}] held by ${event.agent} until its owner approves it: \`mx-agent approvals approve ${event.approval}\` there (refused at ${new Date(event.expires).toLocaleTimeString()} otherwise)`;
    case 'worker-lost':
      return `! ${event.job}: lost ${event.agent} (${event.reason}); trying another agent`;
    case 'job-finished':
      return event.ok
        ? `✓ ${event.job} (${(event.ms / 1000).toFixed(1)} s)`
        : `✗ ${event.job}: ${event.error ?? 'failed'}`;
    case 'job-skipped':
      return `- ${event.job} skipped: ${event.reason}`;
    case 'run-cancelling':
      return 'cancelling: stopping the running jobs on their agents…';
    case 'run-finished':
      return `workflow ${event.result} in ${(event.ms / 1000).toFixed(1)} s`;
  }
}
