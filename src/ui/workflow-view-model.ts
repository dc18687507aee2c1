/**
 * What the live workflow view shows, as plain data: the run's events folded into one state per
 * job. Pure (the clock comes in as `now`), so it is tested without ink; workflow-view.ts draws it.
 * It mirrors the scheduler's rules (scheduler.ts) for what an event means — a failed attempt
 * with retries left goes back to pending, a failure while cancelling is a cancel — because the
 * events do not say so themselves.
 */
import { topologicalOrder } from '../workflow/dag.ts';
import type { RunEvent } from '../workflow/orchestrator.ts';
import { runsWhenCancelled } from '../workflow/scheduler-context.ts';
import type { JobStatus, RunResult } from '../workflow/scheduler.ts';
import type { Workflow } from '../workflow/workflow-types.ts';

/** One job as the view shows it. */
export interface JobView {
  readonly id: string;
  /** Its longest chain of needs: 0 for a job that needs none. */
  readonly depth: number;
  readonly needs: readonly string[];
  readonly status: JobStatus;
  /** The agent of its latest attempt. */
  readonly agent?: string;
  /** Attempts started so far (0 before the first). */
  readonly attempt: number;
  /** When its current or last attempt started (for a running job's live duration). */
  readonly startedAt?: number;
  /** When it finished (succeeded, failed, skipped or cancelled). */
  readonly finishedAt?: number;
  /** How long its last attempt took, as the orchestrator measured it. */
  readonly ms?: number;
  /** The command of the step running now. */
  readonly command?: string;
  /** Its last non-blank output line, control characters removed. */
  readonly lastLine?: string;
  /** Why it failed, was skipped or cancelled, waits for a retry, or lost its agent. */
  readonly reason?: string;
}

/** The whole view: the run and its jobs, deepest needs last. */
export interface WorkflowViewModel {
  readonly runId: string;
  readonly workflow: string;
  readonly startedAt: number;
  /** By depth, then in topological order (ties in file order). */
  readonly order: readonly string[];
  readonly jobs: Readonly<Record<string, JobView>>;
  readonly cancelling: boolean;
  /** Set once the run finished. */
  readonly result?: RunResult;
  readonly ms?: number;
}

/** What a resumed run starts from: its jobs' states (a RunState's `jobs` fits). */
export type ResumedJobs = Readonly<
  Record<string, { readonly status: JobStatus; readonly attempts: number }>
>;

/** The view before the first event; jobs of a resumed run keep the state they had. */
export function createViewModel(
  runId: string,
  workflow: Workflow,
  startedAt: number,
  resumed: ResumedJobs = {},
): WorkflowViewModel {
  const depths = new Map<string, number>();
  for (const id of topologicalOrder(workflow.jobs)) {
    const needs = workflow.jobs[id]?.needs ?? [];
    depths.set(id, Math.max(-1, ...needs.map((n) => depths.get(n) ?? -1)) + 1);
  }
  const order = [...depths.keys()].sort((a, b) => (depths.get(a) ?? 0) - (depths.get(b) ?? 0));
  const jobs: Record<string, JobView> = {};
  for (const id of order) {
    // Resuming keeps succeeded jobs and runs every other one afresh (scheduler-state.ts).
    const before = resumed[id]?.status === 'succeeded' ? resumed[id] : undefined;
    jobs[id] = {
      id,
      depth: depths.get(id) ?? 0,
      needs: workflow.jobs[id]?.needs ?? [],
      status: before === undefined ? 'pending' : 'succeeded',
      attempt: before?.attempts ?? 0,
      ...(before === undefined ? {} : { reason: 'succeeded in an earlier run' }),
    };
  }
  return { runId, workflow: workflow.name, startedAt, order, jobs, cancelling: false };
}

/** The view after `event`, which arrived at `now`. */
export function reduceRunEvent(
  model: WorkflowViewModel,
  workflow: Workflow,
  event: RunEvent,
  now: number,
): WorkflowViewModel {
  const update = (id: string, change: (job: JobView) => JobView): WorkflowViewModel => {
    const job = model.jobs[id];
    return job === undefined ? model : { ...model, jobs: { ...model.jobs, [id]: change(job) } };
  };
  switch (event.type) {
    case 'job-started':
      return update(event.job, ({ reason: _, command: __, lastLine, ...job }) => {
        // Moving to another agent is the same attempt: its clock and output go on.
        const same = event.attempt === job.attempt;
        return {
          ...job,
          status: 'running',
          agent: event.agent,
          attempt: event.attempt,
          startedAt: same ? (job.startedAt ?? now) : now,
          ...(same && lastLine !== undefined ? { lastLine } : {}),
        };
      });
    case 'step-started':
      return update(event.job, (job) => ({ ...job, command: sanitizeLine(event.command) }));
    case 'output': {
      const line = sanitizeLine(event.line);
      if (line.trim() === '') return model;
      return update(event.job, (job) => ({ ...job, lastLine: line }));
    }
    case 'job-held':
      return update(event.job, (job) => ({
        ...job,
        reason: `waiting for ${event.agent}'s owner to approve it (${sanitizeLine(event.approval)})`,
      }));
    case 'worker-lost':
      return update(event.job, (job) => ({
        ...job,
        reason: `lost ${event.agent} (${sanitizeLine(event.reason)}); moving to another agent`,
      }));
    case 'job-finished':
      return update(event.job, (job) => finished(model, workflow, job, event, now));
    case 'job-skipped':
      return update(event.job, (job) => ({
        ...job,
        status: 'skipped',
        reason: sanitizeLine(event.reason),
        finishedAt: now,
      }));
    case 'run-cancelling':
      return { ...cancelWaiting(model, workflow, now, true), cancelling: true };
    case 'run-finished':
      return { ...cancelWaiting(model, workflow, now, false), result: event.result, ms: event.ms };
  }
}

/** A job after an attempt ended, by the scheduler's rules (onJobFinished). */
function finished(
  model: WorkflowViewModel,
  workflow: Workflow,
  job: JobView,
  event: Extract<RunEvent, { type: 'job-finished' }>,
  now: number,
): JobView {
  const { reason: _, command: __, ...rest } = job;
  const base = { ...rest, attempt: event.attempt, ms: event.ms };
  if (event.ok) return { ...base, status: 'succeeded', finishedAt: now };
  const error = sanitizeLine(event.error ?? 'failed');
  if (model.cancelling)
    return {
      ...base,
      status: 'cancelled',
      reason: `cancelled while running: ${error}`,
      finishedAt: now,
    };
  const definition = workflow.jobs[job.id];
  const retries = definition?.retry.retries ?? 0;
  if (event.attempt <= retries) {
    const { startedAt: ___, ...waiting } = base;
    return {
      ...waiting,
      status: 'pending',
      reason: `attempt ${String(event.attempt)} of ${String(retries + 1)} failed: ${error}; retrying`,
    };
  }
  const note = definition?.continueOnError ? ' (continue-on-error: later jobs go on)' : '';
  return { ...base, status: 'failed', reason: `${error}${note}`, finishedAt: now };
}

/**
 * Jobs still waiting when the run is cancelled or ends: cancelled. On the cancel itself, jobs
 * whose `if` runs them after a cancel (cleanup) keep waiting, as the scheduler's `cancel` does.
 */
function cancelWaiting(
  model: WorkflowViewModel,
  workflow: Workflow,
  now: number,
  keepCleanup: boolean,
): WorkflowViewModel {
  const jobs: Record<string, JobView> = { ...model.jobs };
  for (const job of Object.values(model.jobs)) {
    if (job.status !== 'pending') continue;
    const definition = workflow.jobs[job.id];
    const cleanup = job.attempt === 0 && definition !== undefined && runsWhenCancelled(definition);
    if (keepCleanup && cleanup) continue;
    jobs[job.id] = {
      ...job,
      status: 'cancelled',
      reason: 'the run was cancelled',
      finishedAt: now,
    };
  }
  return { ...model, jobs };
}

/** How many jobs are in each status. */
export function countByStatus(model: WorkflowViewModel): Record<JobStatus, number> {
  const counts: Record<JobStatus, number> = {
    pending: 0,
    running: 0,
    succeeded: 0,
    failed: 0,
    skipped: 0,
    cancelled: 0,
  };
  for (const job of Object.values(model.jobs)) counts[job.status] += 1;
  return counts;
}

// CSI and OSC sequences, then any other C0/C1 control character: a remote program's output
// must not move our cursor, recolour or retitle the user's terminal.
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const ESCAPES = /\u001b\[[0-?]*[ -/]*[@-~]|\u001b\][^\u0007\u001b]*(?:\u0007|\u001b\\)?|\u001b./g;
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const CONTROLS = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g;

/** A line of remote output made safe and single-line for the screen. */
export function sanitizeLine(line: string): string {
  return line
    .replace(ESCAPES, '')
    .replace(/[\t\n]/g, ' ')
    .replace(CONTROLS, '');
}
