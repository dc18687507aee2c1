/**
 * specs/workflow.schema.json documents the format; src/workflow/workflow-parse.ts checks it.
 * This test keeps the two in step: the same keys, and the same verdict on a set of samples
 * (judged here by a small evaluator of the JSON Schema keywords the schema uses).
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { stringify } from 'yaml';
import { checkWorkflow, JOB_KEYS, WORKFLOW_KEYS } from '../../../src/workflow/workflow-parse.ts';
import { INPUT_KEYS } from '../../../src/workflow/workflow-inputs.ts';
import { STEP_KEYS } from '../../../src/workflow/workflow-steps.ts';

type Schema = { readonly [keyword: string]: unknown };

const schema = JSON.parse(
  readFileSync(new URL('../../../specs/workflow.schema.json', import.meta.url), 'utf8'),
) as Schema;
const defs = schema.$defs as Record<string, Schema>;
const example = (schema.examples as Record<string, unknown>[])[0] ?? {};

/** Whether `value` satisfies `node`: the keywords this schema uses, and no others. */
function valid(node: Schema, value: unknown): boolean {
  const known = new Set([
    '$schema',
    '$id',
    'title',
    'description',
    'default',
    'examples',
    '$defs',
    '$ref',
    'type',
    'properties',
    'additionalProperties',
    'required',
    'propertyNames',
    'minProperties',
    'items',
    'minItems',
    'uniqueItems',
    'anyOf',
    'oneOf',
    'pattern',
    'minimum',
    'maximum',
  ]);
  for (const keyword of Object.keys(node))
    assert.ok(known.has(keyword), `unsupported keyword ${keyword}`);
  const ref = node.$ref as string | undefined;
  if (ref !== undefined && !valid(defs[ref.replace('#/$defs/', '')] ?? {}, value)) return false;
  const types = node.type === undefined ? undefined : ([] as unknown[]).concat(node.type);
  if (types !== undefined && !types.some((t) => hasType(value, t as string))) return false;
  const anyOf = node.anyOf as Schema[] | undefined;
  if (anyOf !== undefined && !anyOf.some((s) => valid(s, value))) return false;
  const oneOf = node.oneOf as Schema[] | undefined;
  if (oneOf !== undefined && oneOf.filter((s) => valid(s, value)).length !== 1) return false;
  if (typeof value === 'string' && typeof node.pattern === 'string') {
    if (!new RegExp(node.pattern, 'u').test(value)) return false;
  }
  if (typeof value === 'number') {
    if (typeof node.minimum === 'number' && value < node.minimum) return false;
    if (typeof node.maximum === 'number' && value > node.maximum) return false;
  }
  if (Array.isArray(value)) return validArray(node, value);
  if (hasType(value, 'object')) return validObject(node, value as Record<string, unknown>);
  return true;
}

function validArray(node: Schema, value: readonly unknown[]): boolean {
  if (typeof node.minItems === 'number' && value.length < node.minItems) return false;
  if (
    node.uniqueItems === true &&
    new Set(value.map((v) => JSON.stringify(v))).size !== value.length
  ) {
    return false;
  }
  const items = node.items as Schema | undefined;
  return items === undefined || value.every((item) => valid(items, item));
}

function validObject(node: Schema, value: Record<string, unknown>): boolean {
  const keys = Object.keys(value);
  if (typeof node.minProperties === 'number' && keys.length < node.minProperties) return false;
  if (!((node.required as string[] | undefined) ?? []).every((key) => keys.includes(key)))
    return false;
  const names = node.propertyNames as Schema | undefined;
  if (names !== undefined && !keys.every((key) => valid(names, key))) return false;
  const properties = (node.properties ?? {}) as Record<string, Schema>;
  const extra = node.additionalProperties as Schema | boolean | undefined;
  return keys.every((key) => {
    const property = properties[key];
    if (property !== undefined) return valid(property, value[key]);
    if (extra === false) return false;
    return extra === undefined || extra === true || valid(extra, value[key]);
  });
}

function hasType(value: unknown, type: string): boolean {
  switch (type) {
    case 'object':
      return typeof value === 'object' && value !== null && !Array.isArray(value);
    case 'array':
      return Array.isArray(value);
    case 'integer':
      return Number.isInteger(value);
    case 'null':
      return value === null;
    default:
      return typeof value === type;
  }
}

const DELETE = Symbol('delete');
type Path = readonly (string | number)[];

/** The example with the value at `path` replaced (or deleted). */
function variant(path: Path, value: unknown): Record<string, unknown> {
  const doc = structuredClone(example);
  let node = doc as Record<string | number, unknown>;
  for (const key of path.slice(0, -1)) node = node[key] as Record<string | number, unknown>;
  const last = path.at(-1) ?? '';
  if (value === DELETE) Reflect.deleteProperty(node, last);
  else node[last] = value;
  return doc;
}

/** Both verdicts on a document (written as YAML for the checker). */
function verdicts(doc: unknown): { schema: boolean; checker: boolean } {
  return {
    schema: valid(schema, doc),
    checker: checkWorkflow(stringify(doc), 'sample.yml').workflow !== undefined,
  };
}

test('the schema and the checker know the same keys, and the same required ones', () => {
  const keys = (node: Schema | undefined): string[] => Object.keys(node?.properties ?? {});
  assert.deepEqual(keys(schema), [...WORKFLOW_KEYS]);
  assert.deepEqual(schema.required, ['jobs']);
  assert.deepEqual(keys(defs.job), [...JOB_KEYS]);
  assert.deepEqual(defs.job?.required, ['runs-on', 'steps']);
  assert.deepEqual(keys(defs.step), [...STEP_KEYS]);
  assert.deepEqual(keys(defs.input), [...INPUT_KEYS]);
  const retries = (defs.job?.properties as Record<string, Schema>).retries?.anyOf as Schema[];
  assert.deepEqual(keys(retries[1]), ['count', 'backoff', 'max-backoff']);
});

test('the schema example is valid for both', () => {
  assert.deepEqual(verdicts(example), { schema: true, checker: true });
});

test('a value of the wrong type for any key is refused by both', () => {
  const wrong: Record<string, unknown> = {
    name: ['x'],
    description: 5,
    inputs: ['x'],
    env: 'x',
    'max-parallel': 'x',
    jobs: ['x'],
  };
  for (const key of WORKFLOW_KEYS) {
    assert.deepEqual(verdicts(variant([key], wrong[key])), { schema: false, checker: false }, key);
  }
  const wrongInJob: Record<string, unknown> = {
    name: ['x'],
    needs: 5,
    'runs-on': 5,
    if: ['x'],
    timeout: 5,
    retries: 'x',
    'continue-on-error': 'x',
    env: ['x'],
    'working-directory': 5,
    steps: {},
    outputs: ['x'],
    artifacts: 'dist',
  };
  for (const key of JOB_KEYS) {
    const doc = variant(['jobs', 'test', key], wrongInJob[key]);
    assert.deepEqual(verdicts(doc), { schema: false, checker: false }, `job ${key}`);
  }
  const wrongInStep: Record<string, unknown> = {
    id: 5,
    name: ['x'],
    run: 5,
    uses: 5,
    with: ['x'],
    env: 'x',
    'working-directory': 5,
    timeout: 5,
  };
  for (const key of STEP_KEYS) {
    const doc = variant(['jobs', 'build', 'steps', 1, key], wrongInStep[key]);
    assert.deepEqual(verdicts(doc), { schema: false, checker: false }, `step ${key}`);
  }
});

test('both agree on a set of samples', () => {
  const testJob = (example.jobs as Record<string, unknown>).test;
  const samples: [string, Path, unknown, boolean][] = [
    ['no jobs', ['jobs'], DELETE, false],
    ['no jobs at all', ['jobs'], {}, false],
    ['an unknown top-level key', ['on'], 'push', false],
    ['an unknown job key', ['jobs', 'test', 'run-on'], 'x', false],
    ['a job without runs-on', ['jobs', 'test', 'runs-on'], DELETE, false],
    ['a job without steps', ['jobs', 'test', 'steps'], DELETE, false],
    ['no steps', ['jobs', 'test', 'steps'], [], false],
    ['a bad job id', ['jobs', '1bad'], testJob, false],
    ['a job id with - and _', ['jobs', '_unit-tests'], testJob, true],
    ['needs as one id', ['jobs', 'test', 'needs'], 'build', true],
    ['needs listed twice', ['jobs', 'test', 'needs'], ['build', 'build'], false],
    ['no name', ['name'], DELETE, true],
    ['retries as a number', ['jobs', 'build', 'retries'], 3, true],
    ['too many retries', ['jobs', 'build', 'retries'], 11, false],
    ['retries without count', ['jobs', 'build', 'retries'], { backoff: '1s' }, false],
    ['retries with an unknown key', ['jobs', 'build', 'retries'], { count: 1, factor: 2 }, false],
    ['a compound duration', ['jobs', 'build', 'timeout'], '1h30m', true],
    ['milliseconds', ['jobs', 'build', 'timeout'], '500ms', true],
    ['a duration without unit', ['jobs', 'build', 'timeout'], '30', false],
    ['an empty duration', ['jobs', 'build', 'timeout'], '', false],
    ['a duration with a space', ['jobs', 'build', 'timeout'], '5 m', false],
    ['a duration in days', ['jobs', 'build', 'timeout'], '2d', false],
    ['if: true', ['jobs', 'test', 'if'], true, true],
    ['artifacts', ['jobs', 'build', 'artifacts'], ['dist/**', 'report.xml'], true],
    ['an absolute artifact', ['jobs', 'build', 'artifacts'], ['/etc/passwd'], false],
    ['an artifact climbing out', ['jobs', 'build', 'artifacts'], ['dist/../../x'], false],
    ['an empty artifact', ['jobs', 'build', 'artifacts'], [''], false],
    ['continue-on-error: true', ['jobs', 'build', 'continue-on-error'], true, true],
    [
      'runs-on by capabilities',
      ['jobs', 'build', 'runs-on'],
      { capabilities: ['lang.rust'] },
      true,
    ],
    ['no capabilities', ['jobs', 'build', 'runs-on'], { capabilities: [] }, false],
    [
      'runs-on with another key',
      ['jobs', 'build', 'runs-on'],
      { capabilities: ['x'], os: 'linux' },
      false,
    ],
    ['a bad capability', ['jobs', 'build', 'runs-on'], { capabilities: ['Rust'] }, false],
    ['a bad agent id', ['jobs', 'build', 'runs-on'], 'agt-short', false],
    ['a step with run and uses', ['jobs', 'build', 'steps', 1, 'run'], 'x', false],
    ['a step with neither', ['jobs', 'build', 'steps', 1, 'uses'], DELETE, false],
    ['an unknown step key', ['jobs', 'build', 'steps', 0, 'shell'], 'bash', false],
    ['a tool name with a space', ['jobs', 'build', 'steps', 1, 'uses'], 'run tests', false],
    ['nested with', ['jobs', 'build', 'steps', 1, 'with'], { a: [1, { b: null }] }, true],
    ['a bad env name', ['env'], { 'A-B': 'x' }, false],
    ['env numbers and booleans', ['env'], { A: 1, B: true }, true],
    ['env with a list', ['env'], { A: ['x'] }, false],
    ['a bad output name', ['jobs', 'build', 'outputs'], { 'a.b': 'x' }, false],
    ['max-parallel 0', ['max-parallel'], 0, false],
    ['max-parallel 4', ['max-parallel'], 4, true],
    ['an input default list', ['inputs', 'ref', 'default'], [1], false],
    ['an input with an unknown key', ['inputs', 'ref', 'type'], 'string', false],
    ['an input with nothing', ['inputs', 'ref'], null, true],
    ['a bad input id', ['inputs', 'a b'], {}, false],
    ['a relative job working-directory', ['jobs', 'build', 'working-directory'], 'build', false],
    ['an empty working-directory', ['jobs', 'build', 'working-directory'], '', false],
    ['a working-directory with ~', ['jobs', 'build', 'working-directory'], '~/build', false],
    [
      'a working-directory from an input',
      ['jobs', 'build', 'working-directory'],
      '${{ inputs.ref }}',
      true,
    ],
    [
      'an absolute step working-directory',
      ['jobs', 'build', 'steps', 1, 'working-directory'],
      '/tmp',
      true,
    ],
    [
      'a relative step working-directory',
      ['jobs', 'build', 'steps', 0, 'working-directory'],
      'src',
      false,
    ],
  ];
  for (const [what, path, value, expected] of samples) {
    assert.deepEqual(verdicts(variant(path, value)), { schema: expected, checker: expected }, what);
  }
});
