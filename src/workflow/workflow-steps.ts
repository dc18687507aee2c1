/** Reading a job's `steps:` — each a command line (`run`) or a tool with inputs (`uses`). */
import { isMap, isScalar, isSeq, type Node } from 'yaml';
import type { JsonValue } from '../transport/transport.ts';
import { splitCommandLine } from './workflow-command-line.ts';
import {
  ID,
  readDuration,
  readEnv,
  readTemplate,
  readText,
  readWorkingDirectory,
} from './workflow-fields.ts';
import type { DeclaredJob, ExpressionSite } from './workflow-references.ts';
import type { Step } from './workflow-types.ts';
import type { Path, YamlSource } from './workflow-yaml.ts';

/** Keys a step may have. */
export const STEP_KEYS = [
  'id',
  'name',
  'run',
  'uses',
  'with',
  'env',
  'working-directory',
  'timeout',
] as const;

/** The steps read, and what the references check needs of them. */
export interface ReadSteps {
  readonly steps: Step[];
  readonly declared: DeclaredJob['steps'];
}

// `with` is free-form JSON; bounded so that a self-referencing YAML alias cannot loop forever.
const MAX_WITH_DEPTH = 16;

/** Read `steps:` of job `job`. */
export function readSteps(
  src: YamlSource,
  node: Node | null,
  path: Path,
  job: string,
  sites: ExpressionSite[],
): ReadSteps {
  const items = src.items(node, path) ?? [];
  if (isSeq(node) && items.length === 0) src.report(node, path, 'expected at least one step');
  const read = items.map((item, i) => readStep(src, item.node, item.path, job, i, sites));
  const steps = read.map((r) => r.step);
  const named = steps.map((step) => implicitId(step, steps));
  reportDuplicateIds(src, read);
  return {
    steps: steps.map((step, i) => {
      const id = named[i];
      return id === undefined || step.id !== undefined ? step : { ...step, id };
    }),
    declared: steps.map((step, i) => ({ id: step.id ?? named[i], env: Object.keys(step.env) })),
  };
}

function readStep(
  src: YamlSource,
  node: Node | null,
  path: Path,
  job: string,
  index: number,
  sites: ExpressionSite[],
): { step: Step; idAt: { node: Node | null; path: Path } } {
  const entries = src.entries(node, path, STEP_KEYS) ?? [];
  let idAt = { node, path };
  const place = { scope: 'step', job, step: index } as const;
  const base: {
    id?: string;
    name?: string;
    env: Record<string, string>;
    workingDirectory?: string;
    timeoutMs?: number;
  } = { env: {} };
  let run: string | undefined;
  let uses: string | undefined;
  let withNode: { value: Node | null; path: Path } | undefined;
  for (const { key, value, path: at } of entries) {
    switch (key) {
      case 'id': {
        idAt = { node: value, path: at };
        const id = readText(src, value, at);
        if (id !== undefined && !ID.test(id)) src.report(value, at, idHint('step id', id));
        else if (id !== undefined) base.id = id;
        break;
      }
      case 'name':
        base.name = readText(src, value, at);
        break;
      case 'run':
        run = readRun(src, value, at, place, sites);
        break;
      case 'uses':
        uses = readText(src, value, at);
        if (uses !== undefined && !/^\S+$/.test(uses))
          src.report(value, at, 'expected a tool name without spaces');
        break;
      case 'with':
        withNode = { value, path: at };
        break;
      case 'env':
        base.env = readEnv(src, value, at, { scope: 'step-env', job, step: index }, sites);
        break;
      case 'working-directory':
        base.workingDirectory = readWorkingDirectory(src, value, at, place, sites);
        break;
      case 'timeout':
        base.timeoutMs = readDuration(src, value, at);
        break;
    }
  }
  const has = (key: string): boolean => entries.some((e) => e.key === key);
  if (has('run') && has('uses')) src.report(node, path, 'a step has run or uses, not both');
  if (!has('run') && !has('uses') && isMap(node)) {
    src.report(node, path, 'a step needs run (a command line) or uses (a tool the agent offers)');
  }
  const inputs =
    withNode === undefined ? {} : readWith(src, withNode.value, withNode.path, place, sites);
  if (has('run') && Object.keys(inputs).length > 0) {
    src.report(
      withNode?.value ?? node,
      withNode?.path ?? path,
      'with is for uses steps; a run step takes its arguments in run',
    );
  }
  const step: Step =
    uses !== undefined && !has('run')
      ? { type: 'uses', ...base, uses, with: inputs }
      : { type: 'run', ...base, run: run ?? '' };
  return { step, idAt };
}

function readRun(
  src: YamlSource,
  node: Node | null,
  path: Path,
  place: ExpressionSite['place'],
  sites: ExpressionSite[],
): string | undefined {
  const run = readTemplate(src, node, path, place, sites);
  if (run === undefined) return undefined;
  const split = splitCommandLine(run);
  if (!split.ok)
    src.report(node, path, split.message, run.trim() === '' ? undefined : split.column - 1);
  return run;
}

function readWith(
  src: YamlSource,
  node: Node | null,
  path: Path,
  place: ExpressionSite['place'],
  sites: ExpressionSite[],
): Record<string, JsonValue> {
  const entries = src.entries(node, path) ?? [];
  return Object.fromEntries(
    entries.map((e) => [e.key, readJson(src, e.value, e.path, place, sites, 1)]),
  );
}

function readJson(
  src: YamlSource,
  node: Node | null,
  path: Path,
  place: ExpressionSite['place'],
  sites: ExpressionSite[],
  depth: number,
): JsonValue {
  if (depth > MAX_WITH_DEPTH) {
    src.report(node, path, `nested more than ${MAX_WITH_DEPTH} levels deep`);
    return null;
  }
  if (isSeq(node))
    return node.items.map((item, i) =>
      readJson(src, src.resolve(item), [...path, i], place, sites, depth + 1),
    );
  if (isMap(node)) {
    const entries = src.entries(node, path) ?? [];
    return Object.fromEntries(
      entries.map((e) => [e.key, readJson(src, e.value, e.path, place, sites, depth + 1)]),
    );
  }
  const value: unknown = isScalar(node) ? node.value : null;
  if (typeof value === 'string') return readTemplate(src, node, path, place, sites) ?? value;
  if (typeof value === 'number' || typeof value === 'boolean' || value === null) return value;
  src.expected(node, path, 'text, a number, true, false, a list or a map');
  return null;
}

/** A step without an id is known by its name when that is a valid id no other step claims. */
function implicitId(step: Step, steps: readonly Step[]): string | undefined {
  if (step.id !== undefined || step.name === undefined || !ID.test(step.name)) return undefined;
  const name = step.name;
  const claimed = steps.filter((s) => s.id === name || (s.id === undefined && s.name === name));
  return claimed.length === 1 ? name : undefined;
}

function reportDuplicateIds(
  src: YamlSource,
  read: readonly { step: Step; idAt: { node: Node | null; path: Path } }[],
): void {
  read.forEach(({ step, idAt }, i) => {
    const first = read.findIndex((r) => r.step.id === step.id);
    if (step.id !== undefined && first < i) {
      src.report(
        idAt.node,
        idAt.path,
        `step id ${JSON.stringify(step.id)} is already used by steps[${first}]`,
      );
    }
  });
}

/** The message for a malformed id. */
export function idHint(what: string, id: string): string {
  return `invalid ${what} ${JSON.stringify(id)}: expected letters, digits, _ and -, starting with a letter or _`;
}
