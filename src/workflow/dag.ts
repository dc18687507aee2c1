/**
 * The jobs of a workflow as a graph: each job points at the jobs it needs. Ids a job needs
 * that are not in the graph are ignored here (the workflow check reports them).
 * Orders are deterministic: ties go to the job declared first.
 */
import { InternalError } from '../errors.ts';

/** What the graph functions need of a job: the ids of the jobs it needs. */
export interface DagNode {
  readonly needs: readonly string[];
}

/** Jobs by id, in declaration order. */
export type Dag = Readonly<Record<string, DagNode>>;

/** The longest chain of jobs by total duration: a lower bound of any run's makespan. */
export interface CriticalPath {
  /** Sum of the durations along the path. */
  readonly length: number;
  /** The jobs on it, first to run first. */
  readonly jobs: readonly string[];
}

/**
 * Every cycle of needs, each written from a job back to itself (`['build', 'test', 'build']`:
 * build needs test, which needs build); one cycle per edge that closes one.
 */
export function findCycles(dag: Dag): string[][] {
  const state = new Map<string, 'visiting' | 'done'>();
  const stack: string[] = [];
  const cycles: string[][] = [];
  const visit = (id: string): void => {
    state.set(id, 'visiting');
    stack.push(id);
    for (const need of needsOf(dag, id)) {
      const seen = state.get(need);
      if (seen === 'visiting') cycles.push([...stack.slice(stack.indexOf(need)), need]);
      else if (seen === undefined) visit(need);
    }
    stack.pop();
    state.set(id, 'done');
  };
  for (const id of Object.keys(dag)) if (!state.has(id)) visit(id);
  return cycles;
}

/** Jobs in an order where each comes after every job it needs. Throws on a cycle. */
export function topologicalOrder(dag: Dag): string[] {
  const cycle = findCycles(dag)[0];
  if (cycle !== undefined) throw new InternalError(`jobs form a cycle: ${cycle.join(' → ')}`);
  const placed = new Set<string>();
  const order: string[] = [];
  const visit = (id: string): void => {
    if (placed.has(id)) return;
    placed.add(id);
    for (const need of needsOf(dag, id)) visit(need);
    order.push(id);
  };
  for (const id of Object.keys(dag)) visit(id);
  return order;
}

/** Every job `jobId` needs, directly or through others. Safe on graphs with cycles. */
export function transitiveNeeds(dag: Dag, jobId: string): ReadonlySet<string> {
  const found = new Set<string>();
  const pending = [...needsOf(dag, jobId)];
  for (let id = pending.pop(); id !== undefined; id = pending.pop()) {
    if (found.has(id)) continue;
    found.add(id);
    pending.push(...needsOf(dag, id));
  }
  return found;
}

/**
 * The critical path given each job's duration (missing durations count as 0): the chain whose
 * durations add up to the most. With unlimited parallelism, a run cannot finish sooner.
 */
export function criticalPath(dag: Dag, durations: Readonly<Record<string, number>>): CriticalPath {
  const finish = new Map<string, number>();
  const before = new Map<string, string>();
  for (const id of topologicalOrder(dag)) {
    let start = 0;
    let from: string | undefined;
    for (const need of needsOf(dag, id)) {
      const end = finish.get(need) ?? 0;
      if (from === undefined || end > start) [start, from] = [end, need];
    }
    if (from !== undefined) before.set(id, from);
    const duration = Object.hasOwn(durations, id) ? (durations[id] ?? 0) : 0;
    finish.set(id, start + duration);
  }
  let last: string | undefined;
  for (const [id, end] of finish)
    if (last === undefined || end > (finish.get(last) ?? 0)) last = id;
  const jobs: string[] = [];
  for (let id = last; id !== undefined; id = before.get(id)) jobs.unshift(id);
  return { length: last === undefined ? 0 : (finish.get(last) ?? 0), jobs };
}

function needsOf(dag: Dag, id: string): readonly string[] {
  if (!Object.hasOwn(dag, id)) return [];
  return (dag[id]?.needs ?? []).filter((need) => Object.hasOwn(dag, need));
}
