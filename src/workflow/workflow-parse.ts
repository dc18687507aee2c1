import { readFileSync } from 'node:fs';
/**
 * `parseWorkflow`: a workflow file (specs/workflow.schema.json) to a typed Workflow, or a
 * UsageError listing every problem found, one per line, as `file:line:column: path: message`.
 */
import { basename, extname } from 'node:path';
import { isMap, isScalar, type Node } from 'yaml';
import { UsageError, messageOf, quote } from '../errors.ts';
import { conditionSource } from './expressions-template.ts';
import {
  ID,
  readBoolean,
  readDuration,
  readEnv,
  readInteger,
  readArtifacts,
  readRetry,
  readRunsOn,
  readTemplate,
  readText,
  readWorkingDirectory,
} from './workflow-fields.ts';
import { readInputs } from './workflow-inputs.ts';
import {
  checkExpressions,
  checkNeeds,
  type DeclaredJob,
  type ExpressionSite,
} from './workflow-references.ts';
import { idHint, readSteps } from './workflow-steps.ts';
import { DEFAULT_RETRY, type Job, type Workflow } from './workflow-types.ts';
import { YamlSource, type Entry, type Path, type WorkflowProblem } from './workflow-yaml.ts';

/** Keys at the top of a workflow file. */
export const WORKFLOW_KEYS = [
  'name',
  'description',
  'inputs',
  'env',
  'max-parallel',
  'jobs',
] as const;
/** Keys of a job. */
export const JOB_KEYS = [
  'name',
  'needs',
  'runs-on',
  'if',
  'timeout',
  'retries',
  'continue-on-error',
  'env',
  'working-directory',
  'steps',
  'outputs',
  'artifacts',
] as const;

/** The outcome of checking a file: the workflow when there is no problem. */
export interface WorkflowCheck {
  readonly workflow?: Workflow;
  readonly problems: readonly WorkflowProblem[];
}

// Enough to fix a file in a few rounds without flooding the terminal.
const MAX_LISTED = 50;

/** Parse and check a workflow file; throws a UsageError naming every problem. */
export function parseWorkflow(text: string, fileName: string): Workflow {
  const { workflow, problems } = checkWorkflow(text, fileName);
  if (workflow === undefined) throw new UsageError(formatProblems(fileName, problems));
  return workflow;
}

/** `file:line:column: path: message`, one problem per line. */
export function formatProblems(fileName: string, problems: readonly WorkflowProblem[]): string {
  const lines = problems
    .slice(0, MAX_LISTED)
    .map(
      (p) => `${fileName}:${p.line}:${p.column}: ${p.path === '' ? '' : `${p.path}: `}${p.message}`,
    );
  if (problems.length > MAX_LISTED)
    lines.push(`… and ${problems.length - MAX_LISTED} more problems`);
  return lines.join('\n');
}

/** Check a workflow file and report all its problems, sorted by position. */
export function checkWorkflow(text: string, fileName: string): WorkflowCheck {
  const src = new YamlSource(text);
  if (src.problems.length > 0) return { problems: src.problems };
  const sites: ExpressionSite[] = [];
  const entries = readTop(src);
  const get = (key: string): Entry | undefined => entries.find((e) => e.key === key);
  const textOf = (key: string): string | undefined => {
    const entry = get(key);
    return entry === undefined ? undefined : readText(src, entry.value, entry.path);
  };
  const parallel = get('max-parallel');
  const maxParallel = parallel && readInteger(src, parallel.value, parallel.path, 1, 256);
  const description = textOf('description');
  const envEntry = get('env');
  const env = envEntry
    ? readEnv(src, envEntry.value, envEntry.path, { scope: 'workflow-env' }, sites)
    : {};
  const inputsEntry = get('inputs');
  const inputs = inputsEntry ? readInputs(src, inputsEntry.value, inputsEntry.path) : {};
  const jobs = readJobs(src, get('jobs'), sites);
  const workflow: Workflow = {
    name: textOf('name') ?? defaultName(fileName),
    ...(description === undefined ? {} : { description }),
    inputs,
    env,
    ...(maxParallel === undefined ? {} : { maxParallel }),
    jobs: Object.fromEntries(jobs.map((j) => [j.job.id, j.job])),
  };
  const declared = {
    inputs: Object.keys(inputs),
    env: Object.keys(env),
    jobs: new Map(jobs.map((j) => [j.job.id, j.declared])),
  };
  checkNeeds(src, declared);
  checkExpressions(src, declared, sites);
  const problems = [...src.problems].sort((a, b) => a.line - b.line || a.column - b.column);
  return problems.length > 0 ? { problems } : { workflow, problems };
}

function readTop(src: YamlSource): Entry[] {
  if (src.root === null) {
    src.report(null, [], 'the file is empty; a workflow needs at least jobs');
    return [];
  }
  const entries = src.entries(src.root, [], WORKFLOW_KEYS);
  if (entries !== undefined) src.require(src.root, [], entries, ['jobs']);
  return entries ?? [];
}

function readJobs(
  src: YamlSource,
  entry: Entry | undefined,
  sites: ExpressionSite[],
): { job: Job; declared: DeclaredJob }[] {
  if (entry === undefined) return [];
  const entries = src.entries(entry.value, entry.path) ?? [];
  if (isMap(entry.value) && entries.length === 0)
    src.report(entry.value, entry.path, 'expected at least one job');
  return entries.map((e) => {
    if (!ID.test(e.key)) src.report(e.keyNode, e.path, idHint('job id', e.key));
    return readJob(src, e, sites);
  });
}

function readJob(
  src: YamlSource,
  entry: Entry,
  sites: ExpressionSite[],
): { job: Job; declared: DeclaredJob } {
  const id = entry.key;
  const entries = src.entries(entry.value, entry.path, JOB_KEYS) ?? [];
  if (isMap(entry.value)) src.require(entry.value, entry.path, entries, ['runs-on', 'steps']);
  const job: { -readonly [K in keyof Job]: Job[K] } = {
    id,
    needs: [],
    runsOn: { capabilities: [] },
    retry: { retries: 0, ...DEFAULT_RETRY },
    continueOnError: false,
    env: {},
    steps: [],
    outputs: {},
  };
  let declared: DeclaredJob = { needs: [], outputs: [], env: [], steps: [] };
  for (const { key, value, path } of entries) {
    switch (key) {
      case 'name':
        job.name = readText(src, value, path);
        break;
      case 'needs':
        declared = { ...declared, needs: readNeeds(src, value, path) };
        job.needs = [...new Set(declared.needs.map((n) => n.id))];
        break;
      case 'runs-on':
        job.runsOn = readRunsOn(src, value, path) ?? job.runsOn;
        break;
      case 'if':
        job.if = readCondition(src, value, path, id, sites);
        break;
      case 'timeout':
        job.timeoutMs = readDuration(src, value, path);
        break;
      case 'retries':
        job.retry = readRetry(src, value, path) ?? job.retry;
        break;
      case 'continue-on-error':
        job.continueOnError = readBoolean(src, value, path) ?? false;
        break;
      case 'env':
        job.env = readEnv(src, value, path, { scope: 'job-env', job: id }, sites);
        declared = { ...declared, env: Object.keys(job.env) };
        break;
      case 'working-directory': {
        const place = { scope: 'job-working-directory', job: id } as const;
        job.workingDirectory = readWorkingDirectory(src, value, path, place, sites);
        break;
      }
      case 'steps': {
        const read = readSteps(src, value, path, id, sites);
        job.steps = read.steps;
        declared = { ...declared, steps: read.declared };
        break;
      }
      case 'outputs':
        job.outputs = readOutputs(src, value, path, id, sites);
        declared = { ...declared, outputs: Object.keys(job.outputs) };
        break;
      case 'artifacts':
        job.artifacts = readArtifacts(src, value, path);
        break;
    }
  }
  return { job: withoutUndefined(job), declared };
}

function readNeeds(src: YamlSource, node: Node | null, path: Path): DeclaredJob['needs'] {
  if (isScalar(node) && typeof node.value === 'string') return [{ id: node.value, node, path }];
  const items = src.items(node, path) ?? [];
  return items.flatMap((item) => {
    const id = src.string(item.node, item.path, 'a job id');
    return id === undefined || item.node === null ? [] : [{ id, node: item.node, path: item.path }];
  });
}

function readCondition(
  src: YamlSource,
  node: Node | null,
  path: Path,
  job: string,
  sites: ExpressionSite[],
): string | undefined {
  if (isScalar(node) && typeof node.value === 'boolean') return String(node.value);
  const text = src.string(node, path, 'a condition');
  if (text === undefined || node === null) return undefined;
  sites.push({ place: { scope: 'job-if', job }, path, node, text, condition: true });
  const condition = conditionSource(text);
  return 'error' in condition ? undefined : condition.source.trim();
}

function readOutputs(
  src: YamlSource,
  node: Node | null,
  path: Path,
  job: string,
  sites: ExpressionSite[],
): Record<string, string> {
  const outputs: [string, string][] = [];
  for (const e of src.entries(node, path) ?? []) {
    if (!ID.test(e.key)) src.report(e.keyNode, e.path, idHint('output name', e.key));
    const value = readTemplate(src, e.value, e.path, { scope: 'job-outputs', job }, sites);
    if (value !== undefined) outputs.push([e.key, value]);
  }
  return Object.fromEntries(outputs);
}

function defaultName(fileName: string): string {
  return basename(fileName, extname(fileName));
}

/** Drop keys whose value is undefined, so the workflow reads the same after a JSON round trip. */
function withoutUndefined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}

/** Read and check a workflow file: UsageError when it cannot be read or is not valid. */
export function readWorkflowFile(file: string): Workflow {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new UsageError(
      `expected a readable workflow file, got ${quote(file)}: ${messageOf(error)}`,
    );
  }
  return parseWorkflow(text, file);
}
