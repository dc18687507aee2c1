/**
 * What a job sees when it is decided on and started: the results and outputs of the jobs it
 * needs, the run's inputs, its environment, and the status functions of its `if`.
 */
import { InternalError } from '../errors.ts';
import { topologicalOrder, transitiveNeeds } from './dag.ts';
import { astNodes, parseExpression } from './expressions.ts';
import type { StatusContext } from './expressions-eval.ts';
import { evaluateCondition, interpolate } from './expressions-template.ts';
import type { RunState } from './scheduler.ts';
import type { InputValue, Job, Workflow } from './workflow-types.ts';

/** A job's result as `jobs.ID.result` reads it (GitHub Actions' names). */
export type JobResult = 'success' | 'failure' | 'cancelled' | 'skipped';

/** A finished job as the jobs that need it see it. */
export type NeededJob = {
  readonly result: JobResult;
  readonly outputs: Readonly<Record<string, string>>;
};

/**
 * The expression context of a started job; its steps add `steps` as they run. (Type aliases,
 * not interfaces, so that they are assignable to an ExpressionContext's plain-data values.)
 */
export type JobContext = {
  readonly inputs: Readonly<Record<string, InputValue>>;
  /** Every job it needs, directly or through others. */
  readonly jobs: Readonly<Record<string, NeededJob>>;
  /** The workflow's env and the job's, interpolated. */
  readonly env: Readonly<Record<string, string>>;
};

/** The order of a workflow's jobs and each job's transitive needs (in file order). */
export interface JobGraph {
  readonly order: readonly string[];
  readonly needs: ReadonlyMap<string, readonly string[]>;
}

// Workflows are immutable data, so their graph is computed once per object, not once per call.
const graphs = new WeakMap<Workflow, JobGraph>();

/** The graph of a workflow (throws on a cycle). */
export function graphOf(workflow: Workflow): JobGraph {
  let graph = graphs.get(workflow);
  if (graph === undefined) {
    const order = topologicalOrder(workflow.jobs);
    const ids = Object.keys(workflow.jobs);
    const needs = new Map(
      ids.map((id) => {
        const all = transitiveNeeds(workflow.jobs, id);
        return [id, ids.filter((need) => all.has(need))];
      }),
    );
    graph = { order, needs };
    graphs.set(workflow, graph);
  }
  return graph;
}

/** Every job `id` needs, directly or through others, in file order. */
export function needsOf(state: RunState, id: string): readonly string[] {
  return graphOf(state.workflow).needs.get(id) ?? [];
}

/** A job's definition; throws when the state names a job its workflow lacks. */
export function jobOf(state: RunState, id: string): Job {
  const job = Object.hasOwn(state.workflow.jobs, id) ? state.workflow.jobs[id] : undefined;
  if (job === undefined) throw new InternalError(`no job ${JSON.stringify(id)} in the workflow`);
  return job;
}

/** A job that succeeded, or failed with `continue-on-error` (which counts as success). */
export function countsAsSuccess(state: RunState, id: string): boolean {
  const status = state.jobs[id]?.status;
  return status === 'succeeded' || (status === 'failed' && jobOf(state, id).continueOnError);
}

/** `jobs.ID.result` of a finished job. */
export function resultOf(state: RunState, id: string): JobResult {
  if (countsAsSuccess(state, id)) return 'success';
  const status = state.jobs[id]?.status;
  if (status === 'failed') return 'failure';
  return status === 'cancelled' ? 'cancelled' : 'skipped';
}

/** The context a job starts with. */
export function jobContext(state: RunState, id: string): JobContext {
  const job = jobOf(state, id);
  const jobs = neededJobs(state, id);
  const base = { inputs: state.inputs, jobs, env: workflowEnv(state) };
  const env = { ...base.env, ...mapValues(job.env, (value) => interpolate(value, base)) };
  return { inputs: state.inputs, jobs, env };
}

/**
 * Whether a job should run, or why not; its needs must all have finished. `status` comes from
 * the scheduler, which works it out for every job in one pass over the graph.
 */
export function decide(
  state: RunState,
  id: string,
  status: StatusContext,
): { readonly run: true } | { readonly skip: string } {
  const job = jobOf(state, id);
  if (job.if === undefined) {
    if (status.success) return { run: true };
    const blocker = [...job.needs, ...needsOf(state, id)].find((n) => !countsAsSuccess(state, n));
    if (blocker === undefined) return { skip: 'the run was cancelled' };
    return { skip: `needs ${blocker}, which ${VERB[resultOf(state, blocker)]}` };
  }
  const context = {
    inputs: state.inputs,
    jobs: neededJobs(state, id),
    env: workflowEnv(state),
    status,
  };
  return evaluateCondition(job.if, context) ? { run: true } : { skip: `if: ${job.if} was false` };
}

const VERB: Readonly<Record<JobResult, string>> = {
  failure: 'failed',
  cancelled: 'was cancelled',
  skipped: 'was skipped',
  success: 'succeeded',
};

function neededJobs(state: RunState, id: string): Record<string, NeededJob> {
  return Object.fromEntries(
    needsOf(state, id).map((need) => [
      need,
      { result: resultOf(state, need), outputs: state.jobs[need]?.outputs ?? {} },
    ]),
  );
}

/** Whether a job's `if` asks to run even when the run is cancelled (`always()`, `cancelled()`). */
export function runsWhenCancelled(job: Job): boolean {
  if (job.if === undefined) return false;
  const parsed = parseExpression(job.if);
  if (!parsed.ok) return false;
  return [...astNodes(parsed.ast)].some(
    (node) => node.type === 'call' && (node.name === 'always' || node.name === 'cancelled'),
  );
}

function workflowEnv(state: RunState): Record<string, string> {
  return mapValues(state.workflow.env, (value) => interpolate(value, { inputs: state.inputs }));
}

function mapValues(
  record: Readonly<Record<string, string>>,
  map: (value: string) => string,
): Record<string, string> {
  return Object.fromEntries(Object.entries(record).map(([key, value]) => [key, map(value)]));
}
