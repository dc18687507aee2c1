/**
 * The orchestrator: runs a workflow's DAG across peer agents. The pure scheduler
 * (scheduler.ts) decides what starts, retries, is skipped or cancelled; this loop carries it
 * out — each step a signed task request to the job's worker (task-client.ts), steps of a job
 * one after another on the same worker, independent jobs at once — and reports every event.
 */
import { messageOf, NetworkError } from '../errors.ts';
import type { EnvelopeSigner } from '../protocol/signed.ts';
import type { Transport } from '../transport/transport.ts';
import { artifactRefToJson, artifactsFor, type ArtifactRef } from './artifacts.ts';
import { interpolate } from './expressions-template.ts';
import {
  cancel,
  createRunState,
  nextActions,
  onJobFinished,
  type JobArtifacts,
  type JobOutcome,
  type RunResult,
  type RunState,
  type SchedulerAction,
} from './scheduler.ts';
import { runRemoteTask, type WorkerRef } from './task-client.ts';
import { LineSplitter, stepSpec } from './step-request.ts';
import { describeTask } from './tool-task.ts';
import type { InputValue, Job, RunsOn, Workflow } from './workflow-types.ts';

/** Something that happened in a run, for the text or JSON output. */
export type RunEvent =
  | {
      readonly type: 'job-started';
      readonly job: string;
      readonly attempt: number;
      readonly agent: string;
    }
  | {
      readonly type: 'step-started';
      readonly job: string;
      readonly step: string;
      readonly command: string;
    }
  | {
      readonly type: 'output';
      readonly job: string;
      readonly stream: 'stdout' | 'stderr';
      readonly line: string;
    }
  | {
      /** The job's agent holds its step until its owner approves it (`mx-agent approvals`). */
      readonly type: 'job-held';
      readonly job: string;
      readonly agent: string;
      readonly approval: string;
      /** When the agent refuses it unless approved (ms since the epoch, the agent's clock). */
      readonly expires: number;
    }
  | {
      /** The job's agent stopped answering; the job moves to another agent if one matches. */
      readonly type: 'worker-lost';
      readonly job: string;
      readonly agent: string;
      readonly reason: string;
    }
  | {
      readonly type: 'job-finished';
      readonly job: string;
      readonly attempt: number;
      readonly ok: boolean;
      readonly outputs: Readonly<Record<string, string>>;
      readonly error?: string;
      readonly ms: number;
      readonly artifacts?: JobArtifacts;
    }
  | { readonly type: 'job-skipped'; readonly job: string; readonly reason: string }
  | { readonly type: 'run-cancelling' }
  | { readonly type: 'run-finished'; readonly result: RunResult; readonly ms: number };

/**
 * Finds the worker for a job's `runs-on`, leaving out the agents in `exclude` (lost during
 * this run); a reason when there is none.
 */
export type WorkerResolver = (
  runsOn: RunsOn,
  job: string,
  exclude: ReadonlySet<string>,
) => ResolvedWorker | string;

/** A job's worker, and the transport that reaches it when it is not the run's own. */
export interface ResolvedWorker extends WorkerRef {
  readonly transport?: Transport;
}

/** How many times one attempt of a job moves to another agent after losing its agent. */
const MAX_MOVES = 2;

/** What a run needs. */
export interface RunOptions {
  readonly transport: Transport;
  readonly agent: string;
  readonly key: EnvelopeSigner;
  readonly workflow: Workflow;
  readonly inputs: Readonly<Record<string, InputValue>>;
  readonly runId: string;
  readonly resolveWorker: WorkerResolver;
  readonly signal: AbortSignal;
  readonly onEvent: (event: RunEvent) => void;
  readonly now?: () => number;
  /** Go on from this state (a resumed run) instead of starting afresh. */
  readonly initialState?: RunState;
  /** The run's connection to a network, to move artifacts between networks. */
  readonly transportFor?: (network: string) => Transport | undefined;
}

/** Run the workflow to the end (or until cancelled); resolves with how it ended. */
export async function runWorkflow(
  options: RunOptions,
): Promise<{ result: RunResult; state: RunState }> {
  const now = options.now ?? Date.now;
  const started = now();
  let state = options.initialState ?? createRunState(options.workflow, options.inputs, started);
  const lost = new Set<string>();
  const running = new Map<string, { controller: AbortController; done: Promise<void> }>();
  let cancelled = false;
  const wake = { resolve: (): void => undefined };
  const onAbort = (): void => {
    wake.resolve();
  };
  options.signal.addEventListener('abort', onAbort, { once: true });
  try {
    for (;;) {
      if (options.signal.aborted && !cancelled) {
        cancelled = true;
        options.onEvent({ type: 'run-cancelling' });
        const update = cancel(state, now());
        state = update.state;
        for (const action of update.actions)
          if (action.type === 'cancel') running.get(action.jobId)?.controller.abort();
      }
      const update = nextActions(state, now());
      state = update.state;
      let waitUntil: number | undefined;
      for (const action of update.actions) {
        if (action.type === 'start') {
          const controller = new AbortController();
          const done = runJob(options, action, controller.signal, lost).then((outcome) => {
            state = onJobFinished(state, action.jobId, outcome, now());
            running.delete(action.jobId);
            options.onEvent({
              type: 'job-finished',
              job: action.jobId,
              attempt: action.attempt,
              ok: outcome.ok,
              outputs: outcome.outputs ?? {},
              ...(outcome.artifacts === undefined ? {} : { artifacts: outcome.artifacts }),
              ...(outcome.error === undefined ? {} : { error: outcome.error }),
              ms: now() - (state.jobs[action.jobId]?.startedAt ?? now()),
            });
          });
          running.set(action.jobId, { controller, done });
        } else if (action.type === 'skip') {
          options.onEvent({ type: 'job-skipped', job: action.jobId, reason: action.reason });
        } else if (action.type === 'wait') {
          waitUntil = Math.min(waitUntil ?? Infinity, action.until);
        } else if (action.type === 'complete') {
          options.onEvent({ type: 'run-finished', result: action.result, ms: now() - started });
          return { result: action.result, state };
        }
      }
      const timer = Promise.withResolvers<undefined>();
      wake.resolve = () => {
        timer.resolve(undefined);
      };
      // Aborted while this pass started jobs (the listener woke an older timer): go round now.
      if (options.signal.aborted && !cancelled) timer.resolve(undefined);
      const handle =
        waitUntil === undefined
          ? undefined
          : setTimeout(
              () => {
                timer.resolve(undefined);
              },
              Math.max(0, waitUntil - now()),
            );
      await Promise.race([timer.promise, ...[...running.values()].map((r) => r.done)]);
      clearTimeout(handle);
    }
  } finally {
    options.signal.removeEventListener('abort', onAbort);
    for (const r of running.values()) r.controller.abort();
    await Promise.allSettled([...running.values()].map((r) => r.done));
  }
}

/**
 * One attempt of a job: its steps one after another on one worker. When that worker stops
 * answering (its machine or process died), the attempt starts over on another matching agent
 * — a lost agent is not the job's failure, so it uses none of the job's retries.
 */
async function runJob(
  options: RunOptions,
  action: Extract<SchedulerAction, { type: 'start' }>,
  signal: AbortSignal,
  lost: Set<string>,
): Promise<JobOutcome> {
  const job = options.workflow.jobs[action.jobId] as Job;
  for (let moves = 0; ; moves++) {
    const worker = options.resolveWorker(job.runsOn, action.jobId, lost);
    if (typeof worker === 'string') {
      const gone = moves > 0 ? ` (lost: ${[...lost].join(', ')})` : '';
      return { ok: false, error: `${worker}${gone}` };
    }
    const outcome = await runJobOn(options, action, signal, worker);
    if (!('lost' in outcome)) return outcome;
    lost.add(worker.agent);
    options.onEvent({
      type: 'worker-lost',
      job: action.jobId,
      agent: worker.agent,
      reason: outcome.lost,
    });
    if (signal.aborted || moves >= MAX_MOVES) return { ok: false, error: outcome.lost };
  }
}

/** The steps of one attempt on one worker; `lost` when the worker stopped answering. */
async function runJobOn(
  options: RunOptions,
  action: Extract<SchedulerAction, { type: 'start' }>,
  signal: AbortSignal,
  worker: ResolvedWorker,
): Promise<JobOutcome | { lost: string }> {
  const job = options.workflow.jobs[action.jobId] as Job;
  options.onEvent({
    type: 'job-started',
    job: action.jobId,
    attempt: action.attempt,
    agent: worker.agent,
  });
  const steps: Record<string, { outputs: Readonly<Record<string, string>> }> = {};
  const deadline = action.deadline;
  const transport = worker.transport ?? options.transport;
  let fetch: ArtifactRef[];
  try {
    fetch = await artifactsFor(action.artifacts ?? {}, transport, (network) =>
      network === options.transport.network ? options.transport : options.transportFor?.(network),
    );
  } catch (error) {
    return { ok: false, error: messageOf(error) };
  }
  let collected: ArtifactRef | undefined;
  const last = job.steps.length - 1;
  for (const [index, step] of job.steps.entries()) {
    const stepId = step.id ?? step.name ?? String(index);
    const context = {
      inputs: action.context.inputs,
      jobs: action.context.jobs,
      env: action.context.env,
      steps,
    };
    let spec;
    try {
      spec = stepSpec(options.runId, job, step, stepId, action, context);
    } catch (error) {
      return { ok: false, error: `step ${stepId}: ${messageOf(error)}` };
    }
    const left = deadline === undefined ? undefined : deadline - (options.now ?? Date.now)();
    if (left !== undefined && left <= 0)
      return { ok: false, error: `timed out before step ${stepId}` };
    const timeoutMs = Math.min(step.timeoutMs ?? Infinity, left ?? Infinity);
    options.onEvent({
      type: 'step-started',
      job: action.jobId,
      step: stepId,
      command: describeTask(spec),
    });
    const lines = new LineSplitter((stream, line) => {
      options.onEvent({ type: 'output', job: action.jobId, stream, line });
    });
    let outcome;
    try {
      outcome = await runRemoteTask(transport, {
        agent: options.agent,
        key: options.key,
        worker: { agent: worker.agent, address: worker.address, publicKey: worker.publicKey },
        spec: {
          ...spec,
          ...(Number.isFinite(timeoutMs) ? { timeoutMs: Math.ceil(timeoutMs) } : {}),
          // Artifacts come into the first step's directory and are taken from the last's.
          ...(index === 0 && fetch.length > 0 ? { fetch } : {}),
          ...(index === last && job.artifacts !== undefined ? { collect: job.artifacts } : {}),
        },
        signal,
        onOutput: (stream, data) => {
          lines.push(stream, data);
        },
        onHeld: (held) => {
          options.onEvent({
            type: 'job-held',
            job: action.jobId,
            agent: worker.agent,
            approval: held.approval,
            expires: held.expires,
          });
        },
      });
    } catch (error) {
      const message = `step ${stepId} on ${worker.agent}: ${messageOf(error)}`;
      if (error instanceof NetworkError && !signal.aborted) return { lost: message };
      return { ok: false, error: message };
    } finally {
      lines.end();
    }
    if (outcome.kind === 'rejected')
      return {
        ok: false,
        error: `step ${stepId}: ${worker.agent} refused it (${outcome.stage}): ${outcome.reason}`,
      };
    const r = outcome.result;
    if (r.cancelled) return { ok: false, error: `step ${stepId} was cancelled` };
    if (r.timedOut) return { ok: false, error: `step ${stepId} timed out` };
    if (r.exitCode !== 0)
      return {
        ok: false,
        error: `step ${stepId} exited with ${r.exitCode === null ? `signal ${String(r.signal)}` : String(r.exitCode)}`,
      };
    if (r.artifactsError !== undefined)
      return { ok: false, error: `artifacts: ${r.artifactsError}` };
    collected = r.artifacts ?? collected;
    steps[stepId] = { outputs: r.outputs };
  }
  const context = {
    inputs: action.context.inputs,
    jobs: action.context.jobs,
    env: action.context.env,
    steps,
  };
  const outputs: Record<string, string> = {};
  try {
    for (const [name, template] of Object.entries(job.outputs))
      outputs[name] = interpolate(template, context);
  } catch (error) {
    return { ok: false, error: `outputs: ${messageOf(error)}` };
  }
  const artifacts =
    collected === undefined
      ? {}
      : { artifacts: { network: transport.network, ref: artifactRefToJson(collected) } };
  return { ok: true, outputs, ...artifacts };
}
