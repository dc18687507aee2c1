import assert from 'node:assert/strict';
import { test } from 'node:test';
import { UsageError } from '../../../src/errors.ts';
import { resolveInputs } from '../../../src/workflow/workflow-inputs.ts';
import { parseWorkflow } from '../../../src/workflow/workflow-parse.ts';

const workflow = parseWorkflow(
  `name: deploy
inputs:
  ref: { default: main }
  target: { description: "where to deploy", required: true }
  dry-run: { default: false }
  note: {}
jobs:
  a: { runs-on: agt-abcdefghijklmnop, steps: [{ run: x }] }
`,
  'deploy.yml',
);

test('inputs: given values win, then defaults; optional ones without a default stay unset', () => {
  assert.deepEqual(resolveInputs(workflow, { target: 'prod' }), {
    ref: 'main',
    target: 'prod',
    'dry-run': false,
  });
  assert.deepEqual(resolveInputs(workflow, { target: 'prod', ref: 'v1', note: '' }), {
    ref: 'v1',
    target: 'prod',
    'dry-run': false,
    note: '',
  });
});

test('inputs: unknown ones and missing required ones are named', () => {
  assert.throws(
    () => resolveInputs(workflow, { refs: 'v1', colour: 'red' }),
    (e: unknown) =>
      e instanceof UsageError &&
      e.message ===
        'workflow "deploy": unknown input "refs", did you mean "ref"? (inputs: ref, target, dry-run, note); ' +
          'unknown input "colour" (inputs: ref, target, dry-run, note); ' +
          'missing required input "target" (where to deploy)',
  );
  const none = parseWorkflow(
    'jobs: { a: { runs-on: agt-abcdefghijklmnop, steps: [{ run: x }] } }',
    'n.yml',
  );
  assert.throws(
    () => resolveInputs(none, { x: '1' }),
    (e: unknown) =>
      e instanceof UsageError && e.message === 'workflow "n": unknown input "x" (it declares none)',
  );
});
