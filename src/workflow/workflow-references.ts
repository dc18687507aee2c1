/**
 * The checks that need the whole file: `needs` naming existing jobs without cycles, and every
 * `${{ }}` parsing and reading only what exists where it is written (a job reads the outputs
 * of jobs it needs, directly or through others; a step reads the steps before it).
 */
import type { Node } from 'yaml';
import { findCycles, transitiveNeeds, type Dag } from './dag.ts';
import { astNodes, parseExpression, STATUS_FUNCTIONS, type Ast } from './expressions.ts';
import { conditionSource, parseTemplate } from './expressions-template.ts';
import type { Path, YamlSource } from './workflow-yaml.ts';

/** Where an expression is written, which decides what it may read. */
export type Place =
  | { readonly scope: 'workflow-env' }
  | { readonly scope: 'job-if'; readonly job: string }
  | { readonly scope: 'job-env'; readonly job: string }
  | { readonly scope: 'job-working-directory'; readonly job: string }
  | { readonly scope: 'job-outputs'; readonly job: string }
  | { readonly scope: 'step'; readonly job: string; readonly step: number }
  | { readonly scope: 'step-env'; readonly job: string; readonly step: number };

/** A string holding `${{ }}` (or an `if:` condition) and where it is. */
export interface ExpressionSite {
  readonly place: Place;
  readonly path: Path;
  readonly node: Node;
  readonly text: string;
  /** An `if:` value: one expression, with or without `${{ }}`. */
  readonly condition: boolean;
}

/** What the file declares, as far as it could be read. */
export interface Declared {
  readonly inputs: readonly string[];
  readonly env: readonly string[];
  readonly jobs: ReadonlyMap<string, DeclaredJob>;
}

/** What one job declares. */
export interface DeclaredJob {
  readonly needs: readonly { readonly id: string; readonly node: Node; readonly path: Path }[];
  readonly outputs: readonly string[];
  readonly env: readonly string[];
  readonly steps: readonly { readonly id?: string; readonly env: readonly string[] }[];
}

/** Report needs naming unknown jobs, needs listed twice, and cycles. */
export function checkNeeds(src: YamlSource, declared: Declared): void {
  const ids = [...declared.jobs.keys()];
  for (const [id, job] of declared.jobs) {
    const seen = new Set<string>();
    for (const need of job.needs) {
      if (!declared.jobs.has(need.id)) {
        src.report(
          need.node,
          need.path,
          `unknown job ${JSON.stringify(need.id)} (jobs: ${ids.join(', ')})`,
        );
      } else if (need.id === id) src.report(need.node, need.path, 'a job cannot need itself');
      else if (seen.has(need.id))
        src.report(need.node, need.path, `${JSON.stringify(need.id)} is listed twice`);
      seen.add(need.id);
    }
  }
  for (const cycle of findCycles(dagOf(declared))) {
    const [from, to] = cycle.slice(-2);
    const edge = declared.jobs.get(from ?? '')?.needs.find((n) => n.id === to);
    if (edge !== undefined && from !== to) {
      src.report(
        edge.node,
        edge.path,
        `jobs form a cycle: ${cycle.join(' → ')} (each needs the next)`,
      );
    }
  }
}

/** Report expressions that do not parse or read what is not there. */
export function checkExpressions(
  src: YamlSource,
  declared: Declared,
  sites: readonly ExpressionSite[],
): void {
  const dag = dagOf(declared);
  for (const site of sites) {
    for (const { ast, at } of parseSite(src, site)) {
      for (const node of astNodes(ast)) {
        const problem = checkNode(node, site.place, declared, dag);
        if (problem !== undefined) src.report(site.node, site.path, problem, at + node.start);
      }
    }
  }
}

/** The expressions of a site with the index each starts at, syntax errors reported. */
function parseSite(src: YamlSource, site: ExpressionSite): { ast: Ast; at: number }[] {
  if (!site.condition) {
    const parsed = parseTemplate(site.text);
    if (parsed.ok)
      return parsed.parts.flatMap((p) =>
        p.type === 'expression' ? [{ ast: p.ast, at: p.start }] : [],
      );
    src.report(site.node, site.path, parsed.message, parsed.column - 1);
    return [];
  }
  const condition = conditionSource(site.text);
  if ('error' in condition) {
    src.report(site.node, site.path, condition.error);
    return [];
  }
  const parsed = parseExpression(condition.source);
  if (parsed.ok) return [{ ast: parsed.ast, at: condition.start }];
  src.report(site.node, site.path, parsed.message, condition.start + parsed.column - 1);
  return [];
}

function checkNode(node: Ast, place: Place, declared: Declared, dag: Dag): string | undefined {
  if (node.type === 'call') {
    return STATUS_FUNCTIONS.has(node.name) && place.scope !== 'job-if'
      ? `${node.name}() is only allowed in a job's if`
      : undefined;
  }
  if (node.type !== 'context') return undefined;
  const [first = '', ...rest] = node.path;
  const written = [node.context, ...node.path].join('.');
  switch (node.context) {
    case 'inputs':
      if (node.path.length !== 1) return `expected inputs.NAME, got ${written}`;
      return known('input', first, declared.inputs);
    case 'env':
      if (node.path.length !== 1) return `expected env.NAME, got ${written}`;
      return known('env variable', first, visibleEnv(place, declared));
    case 'jobs':
      return checkJobReference(first, rest, written, place, declared, dag);
    case 'steps':
      return checkStepReference(first, rest, written, place, declared);
  }
}

function checkJobReference(
  id: string,
  rest: readonly string[],
  written: string,
  place: Place,
  declared: Declared,
  dag: Dag,
): string | undefined {
  if (place.scope === 'workflow-env') return 'the workflow env can only read inputs';
  const job = declared.jobs.get(id);
  if (job === undefined) return known('job', id, [...declared.jobs.keys()]);
  if (!transitiveNeeds(dag, place.job).has(id)) {
    return `${written}: job ${JSON.stringify(place.job)} does not need ${JSON.stringify(id)}, so it cannot read its outputs or result; add it to needs`;
  }
  if (rest.length === 1 && rest[0] === 'result') return undefined;
  if (rest.length !== 2 || rest[0] !== 'outputs') {
    return `expected jobs.${id}.outputs.NAME or jobs.${id}.result, got ${written}`;
  }
  const output = rest[1] ?? '';
  return job.outputs.includes(output)
    ? undefined
    : `job ${JSON.stringify(id)} has no output ${JSON.stringify(output)} (outputs: ${list(job.outputs)})`;
}

function checkStepReference(
  id: string,
  rest: readonly string[],
  written: string,
  place: Place,
  declared: Declared,
): string | undefined {
  if (place.scope !== 'step' && place.scope !== 'step-env' && place.scope !== 'job-outputs') {
    return "steps can only be read in a job's steps and outputs";
  }
  const steps = declared.jobs.get(place.job)?.steps ?? [];
  const index = steps.findIndex((s) => s.id === id);
  const before = place.scope === 'job-outputs' ? steps.length : place.step;
  if (index >= before)
    return `${written}: step ${JSON.stringify(id)} has not run yet at this point`;
  if (index < 0) {
    const ids = steps.slice(0, before).flatMap((s) => (s.id === undefined ? [] : [s.id]));
    return `unknown step ${JSON.stringify(id)} (steps with an id: ${list(ids)})`;
  }
  return rest.length === 2 && rest[0] === 'outputs'
    ? undefined
    : `expected steps.${id}.outputs.NAME, got ${written}`;
}

function visibleEnv(place: Place, declared: Declared): readonly string[] {
  if (place.scope === 'workflow-env') return [];
  const job = declared.jobs.get(place.job);
  if (place.scope === 'job-if' || place.scope === 'job-env' || job === undefined)
    return declared.env;
  const own = place.scope === 'step' ? (job.steps[place.step]?.env ?? []) : [];
  return [...declared.env, ...job.env, ...own];
}

function known(what: string, name: string, names: readonly string[]): string | undefined {
  return names.includes(name)
    ? undefined
    : `unknown ${what} ${JSON.stringify(name)} (${what}s: ${list(names)})`;
}

function list(names: readonly string[]): string {
  return names.length === 0 ? 'none' : [...new Set(names)].join(', ');
}

function dagOf(declared: Declared): Dag {
  return Object.fromEntries(
    [...declared.jobs].map(([id, job]) => [
      id,
      { needs: [...new Set(job.needs.map((n) => n.id))] },
    ]),
  );
}
