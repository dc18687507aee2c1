/**
 * Saving and resuming a run. The state is JSON; resuming keeps the jobs that succeeded (and
 * their outputs, which later jobs read) and puts every other job back to pending, so a run
 * cut short — or one that failed — goes on without redoing finished work.
 */
import { UsageError } from '../errors.ts';
import { findCycles } from './dag.ts';
import { freshJob, type JobRunState, type JobStatus, type RunState } from './scheduler.ts';

const STATUSES: readonly JobStatus[] = [
  'pending',
  'running',
  'succeeded',
  'failed',
  'skipped',
  'cancelled',
];

/** The state as JSON text. */
export function serializeState(state: RunState): string {
  return JSON.stringify(state);
}

/** A saved state, ready to go on: succeeded jobs kept, all others pending again. */
export function resumeState(json: string): RunState {
  let data: unknown;
  try {
    data = JSON.parse(json);
  } catch (error) {
    throw new UsageError(
      `run state: not JSON (${error instanceof Error ? error.message : String(error)})`,
    );
  }
  const problem = stateProblem(data);
  if (problem !== undefined) {
    throw new UsageError(
      `run state: ${problem}; the file is damaged or from another version of mx-agent`,
    );
  }
  return resumeFrom(data as RunState);
}

/** A state ready to go on: succeeded jobs kept, all others pending again, not cancelled. */
export function resumeFrom(state: RunState): RunState {
  const jobs = Object.fromEntries(
    Object.entries(state.jobs).map(([id, job]): [string, JobRunState] => [
      id,
      job.status === 'succeeded' ? job : freshJob(),
    ]),
  );
  return { ...state, jobs, cancelled: false };
}

function stateProblem(data: unknown): string | undefined {
  if (!isRecord(data) || data.v !== 1) return 'expected a version 1 run state';
  const workflowProblem = workflowShapeProblem(data.workflow);
  if (workflowProblem !== undefined) return `workflow: ${workflowProblem}`;
  if (!isRecord(data.inputs) || !Object.values(data.inputs).every(isScalar))
    return 'inputs: expected a map';
  if (typeof data.cancelled !== 'boolean' || typeof data.startedAt !== 'number') {
    return 'expected cancelled and startedAt';
  }
  if (data.maxParallel !== undefined && !isCount(data.maxParallel))
    return 'maxParallel: expected a number';
  const declared = Object.keys((data.workflow as { jobs: object }).jobs);
  if (!isRecord(data.jobs) || !sameKeys(Object.keys(data.jobs), declared)) {
    return `jobs: expected the workflow's jobs (${declared.join(', ')})`;
  }
  for (const [id, job] of Object.entries(data.jobs)) {
    if (!isRecord(job) || !STATUSES.includes(job.status as JobStatus) || !isCount(job.attempts)) {
      return `jobs.${id}: expected a status and a count of attempts`;
    }
    if (!isStringRecord(job.outputs)) return `jobs.${id}.outputs: expected a map of text`;
  }
  return undefined;
}

/** The parts of a Workflow the scheduler relies on: what is wrong with them, if anything. */
export function workflowShapeProblem(workflow: unknown): string | undefined {
  if (!isRecord(workflow) || typeof workflow.name !== 'string') return 'expected a workflow';
  if (!isStringRecord(workflow.env) || !isRecord(workflow.inputs)) return 'expected env and inputs';
  if (!isRecord(workflow.jobs) || Object.keys(workflow.jobs).length === 0) return 'expected jobs';
  const ids = Object.keys(workflow.jobs);
  for (const [id, job] of Object.entries(workflow.jobs)) {
    const problem = jobShapeProblem(job, ids);
    if (problem !== undefined) return `jobs.${id}: ${problem}`;
  }
  const cycle = findCycles(workflow.jobs as Record<string, { needs: string[] }>)[0];
  return cycle === undefined ? undefined : `jobs form a cycle: ${cycle.join(' → ')}`;
}

function jobShapeProblem(job: unknown, ids: readonly string[]): string | undefined {
  if (!isRecord(job)) return 'expected a job';
  if (
    !Array.isArray(job.needs) ||
    !job.needs.every((n) => typeof n === 'string' && ids.includes(n))
  ) {
    return 'needs: expected ids of jobs of the workflow';
  }
  if (job.if !== undefined && typeof job.if !== 'string') return 'if: expected text';
  if (job.timeoutMs !== undefined && !isCount(job.timeoutMs)) return 'timeoutMs: expected a number';
  const retry = job.retry;
  if (!isRecord(retry) || ![retry.retries, retry.backoffMs, retry.maxBackoffMs].every(isCount)) {
    return 'retry: expected retries, backoffMs and maxBackoffMs';
  }
  if (typeof job.continueOnError !== 'boolean') return 'continueOnError: expected true or false';
  if (!isStringRecord(job.env) || !isStringRecord(job.outputs)) return 'expected env and outputs';
  if (
    job.artifacts !== undefined &&
    !(Array.isArray(job.artifacts) && job.artifacts.every((a) => typeof a === 'string'))
  )
    return 'artifacts: expected a list of paths';
  if (!isRecord(job.runsOn) || !Array.isArray(job.steps)) return 'expected runsOn and steps';
  return undefined;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isStringRecord(value: unknown): value is Record<string, string> {
  return isRecord(value) && Object.values(value).every((v) => typeof v === 'string');
}

function isScalar(value: unknown): boolean {
  return typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean';
}

function isCount(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

function sameKeys(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((key) => b.includes(key));
}
