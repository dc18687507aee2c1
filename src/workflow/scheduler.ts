/**
 * The run of a workflow as a pure state machine. Nothing here waits, spawns or talks to the
 * network, and time comes in as `now` (ms): the caller starts the jobs an update asks for,
 * reports each outcome with `onJobFinished`, and asks again. So the same events always give
 * the same run, which is what the tests pin and what makes a saved state resumable.
 */
import { InternalError } from '../errors.ts';
import {
  decide,
  graphOf,
  jobContext,
  jobOf,
  countsAsSuccess,
  resultOf,
  runsWhenCancelled,
  type JobContext,
} from './scheduler-context.ts';
import { formatDuration } from '../security/policy-values.ts';
import type { JsonObject } from '../transport/transport.ts';
import type { InputValue, RetryPolicy, Workflow } from './workflow-types.ts';

/** Where a job is. `failed` with continue-on-error still counts as success for later jobs. */
export type JobStatus = 'pending' | 'running' | 'succeeded' | 'failed' | 'skipped' | 'cancelled';

/** How a finished run went. */
export type RunResult = 'succeeded' | 'failed' | 'cancelled';

/** One job of a run. */
export interface JobRunState {
  readonly status: JobStatus;
  /** Attempts started so far. */
  readonly attempts: number;
  /** Why it was skipped, failed or cancelled, or why it waits for a retry. */
  readonly reason?: string;
  /** The error of its last failed attempt. */
  readonly error?: string;
  readonly outputs: Readonly<Record<string, string>>;
  /** A retry waits until then (ms). */
  readonly retryAt?: number;
  readonly startedAt?: number;
  readonly finishedAt?: number;
  /** The files it left for the jobs that need it, once it succeeded. */
  readonly artifacts?: JobArtifacts;
}

/** A job's artifacts: a reference to them (artifacts.ts) and the network that stores them. */
export interface JobArtifacts {
  readonly network: string;
  readonly ref: JsonObject;
}

/** A whole run: plain JSON, so it can be saved and resumed (scheduler-state.ts). */
export interface RunState {
  readonly v: 1;
  readonly workflow: Workflow;
  readonly inputs: Readonly<Record<string, InputValue>>;
  readonly jobs: Readonly<Record<string, JobRunState>>;
  readonly cancelled: boolean;
  /** Overrides the workflow's `max-parallel`. */
  readonly maxParallel?: number;
  readonly startedAt: number;
}

/** What the caller should do now. */
export type SchedulerAction =
  | {
      readonly type: 'start';
      readonly jobId: string;
      /** 1 for the first attempt. */
      readonly attempt: number;
      readonly context: JobContext;
      /** When to give up on it (its `timeout`), if it has one. */
      readonly deadline?: number;
      /** Artifacts of the jobs it needs, by job id. */
      readonly artifacts?: Readonly<Record<string, JobArtifacts>>;
    }
  | { readonly type: 'skip'; readonly jobId: string; readonly reason: string }
  | { readonly type: 'cancel'; readonly jobId: string }
  | { readonly type: 'wait'; readonly until: number }
  | { readonly type: 'complete'; readonly result: RunResult };

/** A new state and what to do about it. */
export interface SchedulerUpdate {
  readonly state: RunState;
  readonly actions: readonly SchedulerAction[];
}

/** How an attempt of a job ended. */
export interface JobOutcome {
  readonly ok: boolean;
  readonly outputs?: Readonly<Record<string, string>>;
  readonly error?: string;
  readonly artifacts?: JobArtifacts;
}

/** A run that has not started anything yet. */
export function createRunState(
  workflow: Workflow,
  inputs: Readonly<Record<string, InputValue>>,
  now: number,
  options: { readonly maxParallel?: number } = {},
): RunState {
  graphOf(workflow); // refuses a cycle now rather than mid-run
  const jobs = Object.fromEntries(Object.keys(workflow.jobs).map((id) => [id, freshJob()]));
  return {
    v: 1,
    workflow,
    inputs,
    jobs,
    cancelled: false,
    ...(options.maxParallel === undefined ? {} : { maxParallel: options.maxParallel }),
    startedAt: now,
  };
}

/**
 * Decide every job whose needs have finished: skip it (its `if` is false) or start it, up to
 * the parallel limit; retries whose backoff has passed start again. Ends with `wait` when a
 * retry is due later, and `complete` when every job has finished.
 */
export function nextActions(state: RunState, now: number): SchedulerUpdate {
  const jobs = { ...state.jobs };
  const current = (): RunState => ({ ...state, jobs });
  const actions: SchedulerAction[] = [];
  const limit = state.maxParallel ?? state.workflow.maxParallel ?? Number.POSITIVE_INFINITY;
  let running = Object.values(jobs).filter((j) => j.status === 'running').length;
  let wakeAt = Number.POSITIVE_INFINITY;
  // A job is settled when it and every job it needs (through others too) have finished: after
  // a cancel, or a resume, a need can be finished while one of its own needs is not.
  // The same pass carries what success() and failure() say, so no job walks its ancestors.
  const settled = new Set<string>();
  const upstream = new Map<string, { readonly ok: boolean; readonly failed: boolean }>();
  for (const id of graphOf(state.workflow).order) {
    const job = jobs[id];
    const definition = jobOf(state, id);
    const needsSettled = definition.needs.every((n) => settled.has(n));
    upstream.set(id, upstreamOf(current(), definition.needs, upstream));
    if (needsSettled && isFinished(job)) settled.add(id);
    if (job?.status !== 'pending' || !needsSettled) continue;
    if (job.retryAt !== undefined && job.retryAt > now) {
      wakeAt = Math.min(wakeAt, job.retryAt);
      continue;
    }
    if (job.attempts === 0) {
      const { ok, failed } = upstream.get(id) ?? { ok: true, failed: false };
      const status = {
        success: ok && !state.cancelled,
        failure: failed,
        cancelled: state.cancelled,
      };
      const verdict = decide(current(), id, status);
      if ('skip' in verdict) {
        jobs[id] = { ...job, status: 'skipped', reason: verdict.skip, finishedAt: now };
        actions.push({ type: 'skip', jobId: id, reason: verdict.skip });
        settled.add(id);
        continue;
      }
    }
    if (running >= limit) continue;
    running += 1;
    const attempt = job.attempts + 1;
    const { retryAt: _, ...rest } = job;
    jobs[id] = { ...rest, status: 'running', attempts: attempt, startedAt: now };
    const deadline =
      definition.timeoutMs === undefined ? {} : { deadline: now + definition.timeoutMs };
    const given = definition.needs.flatMap((need) => {
      const artifacts = jobs[need]?.artifacts;
      return artifacts === undefined ? [] : [[need, artifacts] as const];
    });
    actions.push({
      type: 'start',
      jobId: id,
      attempt,
      context: jobContext(current(), id),
      ...deadline,
      ...(given.length === 0 ? {} : { artifacts: Object.fromEntries(given) }),
    });
  }
  if (wakeAt < Number.POSITIVE_INFINITY) actions.push({ type: 'wait', until: wakeAt });
  const next = current();
  if (isComplete(next)) actions.push({ type: 'complete', result: runResult(next) });
  return { state: next, actions };
}

/** Record how a running job's attempt ended: success, a retry after backoff, or failure. */
export function onJobFinished(
  state: RunState,
  jobId: string,
  outcome: JobOutcome,
  now: number,
): RunState {
  const job = state.jobs[jobId];
  if (job?.status !== 'running') {
    throw new InternalError(
      `job ${JSON.stringify(jobId)} finished but was ${job?.status ?? 'unknown'}`,
    );
  }
  const { retry, continueOnError } = jobOf(state, jobId);
  const base = {
    attempts: job.attempts,
    outputs: job.outputs,
    ...(job.startedAt === undefined ? {} : { startedAt: job.startedAt }),
  };
  let next: JobRunState;
  if (outcome.ok) {
    next = {
      ...base,
      status: 'succeeded',
      outputs: textRecord(outcome.outputs),
      finishedAt: now,
      ...(outcome.artifacts === undefined ? {} : { artifacts: outcome.artifacts }),
    };
  } else {
    const error = outcome.error ?? 'failed';
    if (state.cancelled) {
      next = {
        ...base,
        status: 'cancelled',
        error,
        reason: 'cancelled while running',
        finishedAt: now,
      };
    } else if (job.attempts <= retry.retries) {
      const delay = retryDelay(retry, job.attempts);
      const reason = `attempt ${job.attempts} of ${retry.retries + 1} failed (${error}); retrying in ${formatDuration(delay)}`;
      next = { ...base, status: 'pending', error, reason, retryAt: now + delay };
    } else {
      const tries = job.attempts > 1 ? ` after ${job.attempts} attempts` : '';
      const note = continueOnError ? ' (continue-on-error: later jobs go on)' : '';
      const reason = `failed${tries}: ${error}${note}`;
      const outputs = textRecord(outcome.outputs);
      next = { ...base, status: 'failed', outputs, error, reason, finishedAt: now };
    }
  }
  return { ...state, jobs: { ...state.jobs, [jobId]: next } };
}

/**
 * Cancel the run: jobs not started are cancelled, except those whose `if` calls `always()` or
 * `cancelled()` (they still run, as cleanup); running jobs are to be stopped (`cancel` actions)
 * and end as cancelled when they report a failure. Call `nextActions` afterwards.
 */
export function cancel(state: RunState, now: number): SchedulerUpdate {
  if (state.cancelled) return { state, actions: [] };
  const actions: SchedulerAction[] = [];
  const jobs = { ...state.jobs };
  for (const [id, job] of Object.entries(jobs)) {
    if (job.status === 'running') actions.push({ type: 'cancel', jobId: id });
    if (job.status !== 'pending') continue;
    if (job.attempts === 0 && runsWhenCancelled(jobOf(state, id))) continue;
    const { retryAt: _, ...rest } = job;
    jobs[id] = { ...rest, status: 'cancelled', reason: 'the run was cancelled', finishedAt: now };
  }
  return { state: { ...state, jobs, cancelled: true }, actions };
}

/** Whether every job has finished. */
export function isComplete(state: RunState): boolean {
  return Object.values(state.jobs).every(isFinished);
}

/**
 * The result of a finished run: cancelled if it was cancelled, failed if any job failed
 * without continue-on-error, else succeeded (every job succeeded or was skipped by its `if`).
 */
export function runResult(state: RunState): RunResult {
  if (!isComplete(state)) throw new InternalError('the run has not finished yet');
  if (state.cancelled) return 'cancelled';
  const failed = Object.entries(state.jobs).some(
    ([id, job]) => job.status === 'failed' && !jobOf(state, id).continueOnError,
  );
  return failed ? 'failed' : 'succeeded';
}

/** Wait before retrying after attempt `attempt` failed: backoff × 2^(attempt-1), capped. */
export function retryDelay(policy: RetryPolicy, attempt: number): number {
  return Math.min(policy.backoffMs * 2 ** Math.max(0, attempt - 1), policy.maxBackoffMs);
}

/** A job that has not run. */
export function freshJob(): JobRunState {
  return { status: 'pending', attempts: 0, outputs: {} };
}

/** Whether all jobs before `needs` (and they) count as success, and whether any failed. */
function upstreamOf(
  state: RunState,
  needs: readonly string[],
  upstream: ReadonlyMap<string, { readonly ok: boolean; readonly failed: boolean }>,
): { ok: boolean; failed: boolean } {
  let ok = true;
  let failed = false;
  for (const need of needs) {
    const before = upstream.get(need) ?? { ok: true, failed: false };
    ok &&= before.ok && countsAsSuccess(state, need);
    failed ||= before.failed || resultOf(state, need) === 'failure';
  }
  return { ok, failed };
}

function isFinished(job: JobRunState | undefined): boolean {
  return job !== undefined && job.status !== 'pending' && job.status !== 'running';
}

function textRecord(
  outputs: Readonly<Record<string, unknown>> | undefined,
): Record<string, string> {
  return Object.fromEntries(
    Object.entries(outputs ?? {}).filter((e): e is [string, string] => typeof e[1] === 'string'),
  );
}
