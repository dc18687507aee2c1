import { randomBytes } from 'node:crypto';
import type { OptionValues } from 'commander';
import { AgentSettingsStore } from '../../config/agent-settings.ts';
import { resolvePaths } from '../../config/paths.ts';
import { securityFiles } from '../../config/security-files.ts';
import type { DiscoveredAgent } from '../../discovery/agents.ts';
import { discoverAgents, type DiscoverySource } from '../../discovery/discover.ts';
import { RefusedError, UsageError, quote } from '../../errors.ts';
import { loadOrCreateSigningKey, type SigningKey } from '../../security/signing-key.ts';
import { TrustStore } from '../../security/trust-store.ts';
import type { Network, Transport } from '../../transport/transport.ts';
import {
  runWorkflow,
  type RunEvent,
  type RunOptions,
  type WorkerResolver,
} from '../../workflow/orchestrator.ts';
import { RunJournal } from '../../workflow/run-journal.ts';
import { readRunRecords, replayRun } from '../../workflow/run-replay.ts';
import type { RunResult, RunState } from '../../workflow/scheduler.ts';
import { resumeFrom } from '../../workflow/scheduler-state.ts';
import { toolsUsedBy } from '../../workflow/tool-task.ts';
import { resolveInputs } from '../../workflow/workflow-inputs.ts';
import type { InputValue, Workflow } from '../../workflow/workflow-types.ts';
import type { CliContext } from '../context.ts';
import { EXIT_CODES } from '../exit-codes.ts';
import { listOption, stringOption } from '../option-values.ts';
import { connectProfiles, selectedProfiles, sourcesFor } from '../profile-sources.ts';
import { readWorkflowFile } from './workflow-action.ts';

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
  let result: RunResult;
  try {
    const sources = await sourcesFor(
      profiles,
      transports,
      wanted === undefined ? [] : [wanted],
      context,
    );
    if (sources.length === 0)
      throw new RefusedError('no profile could connect, so no agent can be reached');
    const home =
      resume === undefined
        ? journalHome(sources, wanted)
        : await findRun(sources, resume, context, key);
    let run: Pick<RunOptions, 'workflow' | 'inputs' | 'runId'> & { initialState?: RunState };
    let nextSeq = 0;
    if (fresh !== undefined) {
      run = { ...fresh, runId: `run-${randomBytes(6).toString('hex')}` };
    } else {
      const found = home?.found;
      if (found === undefined) throw new UsageError(`no run ${resume ?? ''} found`);
      const replayed = replayRun(found);
      if (replayed.result === 'succeeded') {
        context.output.result({ run: found.run, result: 'succeeded', resumed: false }, () => {
          return `run ${found.run} already succeeded: nothing to resume`;
        });
        return;
      }
      run = {
        workflow: found.workflow,
        inputs: found.inputs,
        runId: found.run,
        initialState: resumeFrom(replayed.state),
      };
      nextSeq = (found.records.at(-1)?.seq ?? 0) + 1;
    }
    const { agents } = await discoverAgents(sources, { signal: context.signal });
    const resolveWorker = workerResolver(
      sources,
      agents,
      new TrustStore(securityFiles(paths).keyDir),
      run.workflow,
    );
    const { output } = context;
    const journal =
      home === undefined
        ? undefined
        : new RunJournal({
            transport: home.transport,
            workspace: home.workspace,
            key,
            agent,
            run: run.runId,
            nextSeq,
            warn: (m) => {
              output.warn(m);
            },
          });
    const jobCount = Object.keys(run.workflow.jobs).length;
    if (journal === undefined)
      output.warn('no workspace to keep the run in: it cannot be followed or resumed elsewhere');
    else if (run.initialState === undefined)
      await journal.begin(run.workflow, run.inputs, Date.now());
    else journal.resumed();
    const done =
      run.initialState === undefined
        ? 0
        : Object.values(run.initialState.jobs).filter((j) => j.status === 'succeeded').length;
    output.info(
      run.initialState === undefined
        ? `run ${run.runId} of "${run.workflow.name}" (${String(jobCount)} job(s))${home ? ` in ${home.workspace}` : ''}`
        : `resuming run ${run.runId} of "${run.workflow.name}": ${String(done)} of ${String(jobCount)} job(s) already succeeded`,
    );
    // In a terminal, a live view of the DAG; otherwise one line (or JSON event) per event.
    const view =
      output.stdio.stdout.isTTY === true && !output.options.json
        ? (await import('../../ui/workflow-view.ts')).startWorkflowView({
            runId: run.runId,
            workflow: run.workflow,
            stdout: process.stdout,
            ...(run.initialState === undefined ? {} : { resumed: run.initialState.jobs }),
          })
        : undefined;
    const onEvent = (event: RunEvent): void => {
      journal?.event(event);
      if (view) view.onEvent(event);
      else output.line({ run: run.runId, ...event }, () => describe(event));
    };
    try {
      ({ result } = await runWorkflow({
        transport: sources[0]?.transport as Transport,
        agent,
        key,
        ...run,
        resolveWorker,
        transportFor: (network) => sources.find((s) => s.transport.network === network)?.transport,
        signal: context.signal,
        onEvent,
      }));
    } finally {
      await view?.done();
      await journal?.close();
    }
  } finally {
    await Promise.allSettled(transports.map((t) => (t ? t.close() : Promise.resolve())));
  }
  if (result === 'failed') context.exitWith(EXIT_CODES.remote);
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
): { transport: Transport; workspace: string; found?: undefined } | undefined {
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
): Promise<
  | {
      transport: Transport;
      workspace: string;
      found: Awaited<ReturnType<typeof readRunRecords>>;
    }
  | undefined
> {
  const { locateRun } = await import('./workflow-status-action.ts');
  const located = await locateRun(sources, id, context);
  if (located.found.fingerprint !== key.fingerprint)
    throw new RefusedError(
      `run ${id} was started by agent ${located.found.agent} (key ${located.found.fingerprint}); only the agent that started a run can resume it`,
    );
  return located;
}

/**
 * Pick the worker of each job: the agent named, or a live agent you trust (with the key on its
 * card) that offers the capabilities and every tool the job's steps use, reached on any
 * network you have a profile for; among several, the one given the fewest jobs of this run,
 * then the least loaded.
 */
function workerResolver(
  sources: readonly DiscoverySource[],
  agents: readonly DiscoveredAgent[],
  trust: TrustStore,
  workflow: Workflow,
): WorkerResolver {
  const used = new Map<string, number>();
  const trusted = trust.list();
  const transports = new Map<Network, Transport>();
  for (const s of sources)
    if (!transports.has(s.transport.network)) transports.set(s.transport.network, s.transport);
  const route = (a: DiscoveredAgent): { address: string; transport: Transport } | undefined => {
    for (const entry of a.card.addresses) {
      const transport = transports.get(entry.network);
      if (transport !== undefined) return { address: entry.address, transport };
    }
    return undefined;
  };
  return (runsOn, job, exclude) => {
    const matching =
      'agent' in runsOn
        ? agents.filter((a) => a.id === runsOn.agent)
        : agents.filter((a) => runsOn.capabilities.every((c) => a.card.capabilities.includes(c)));
    const jobTools = toolsOf(workflow, job);
    const candidates = matching.filter((a) => offersTools(a, jobTools));
    const wanted =
      ('agent' in runsOn
        ? `agent ${runsOn.agent}`
        : `agent with ${runsOn.capabilities.join(', ')}`) +
      (jobTools.length === 0 ? '' : ` offering the tool(s) ${jobTools.join(', ')}`);
    if (candidates.length === 0)
      return `job ${job}: no ${wanted} in your workspaces (\`mx-agent discover\` lists who is there and their skills)`;
    const usable = candidates.filter(
      (a) =>
        a.liveness === 'active' &&
        !exclude.has(a.id) &&
        route(a) !== undefined &&
        trusted.some((t) => t.agent === a.id && t.fingerprint === a.card.signingKey),
    );
    if (usable.length === 0) {
      const a = candidates[0] as DiscoveredAgent;
      if (candidates.every((c) => exclude.has(c.id)))
        return `job ${job}: every ${wanted} stopped answering during this run`;
      if (!trusted.some((t) => t.agent === a.id))
        return `job ${job}: ${a.card.name} (${a.id}) is not trusted here: check its fingerprint ${a.card.signingKey ?? '(none)'} with its owner, then \`mx-agent trust add ${a.id} ${a.card.signingKey ?? 'FINGERPRINT'}\``;
      return `job ${job}: no ${wanted} is active and trusted with the key on its card right now`;
    }
    const pick = [...usable].sort(
      (x, y) =>
        (used.get(x.id) ?? 0) - (used.get(y.id) ?? 0) || (x.load?.jobs ?? 0) - (y.load?.jobs ?? 0),
    )[0] as DiscoveredAgent;
    used.set(pick.id, (used.get(pick.id) ?? 0) + 1);
    const entry = trusted.find(
      (t) => t.agent === pick.id && t.fingerprint === pick.card.signingKey,
    );
    const way = route(pick) as { address: string; transport: Transport };
    return {
      agent: pick.id,
      address: way.address,
      publicKey: entry?.key ?? '',
      transport: way.transport,
    };
  };
}

/** The tools job `id`'s steps use. */
function toolsOf(workflow: Workflow, id: string): string[] {
  const job = workflow.jobs[id];
  return job === undefined ? [] : toolsUsedBy(job);
}

/** True when `agent`'s card lists every tool of `tools` among its skills. */
function offersTools(agent: DiscoveredAgent, tools: readonly string[]): boolean {
  return tools.every((tool) => agent.card.skills.some((skill) => skill.name === tool));
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
