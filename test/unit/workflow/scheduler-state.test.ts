import assert from 'node:assert/strict';
import { test } from 'node:test';
import { UsageError } from '../../../src/errors.ts';
import {
  createRunState,
  nextActions,
  onJobFinished,
  type RunState,
} from '../../../src/workflow/scheduler.ts';
import { resumeState, serializeState } from '../../../src/workflow/scheduler-state.ts';
import { parseWorkflow } from '../../../src/workflow/workflow-parse.ts';

const workflow = parseWorkflow(
  `name: pipeline
jobs:
  build:
    runs-on: agt-abcdefghijklmnop
    steps: [{ run: make }]
    outputs: { artifact: x }
  lint:
    runs-on: agt-abcdefghijklmnop
    steps: [{ run: lint }]
  test:
    needs: build
    runs-on: { capabilities: [test] }
    steps: [{ run: "./test.sh \${{ jobs.build.outputs.artifact }}" }]
  release:
    needs: [test, lint]
    runs-on: agt-abcdefghijklmnop
    steps: [{ run: release }]
`,
  'pipeline.yml',
);

/** build and lint finished (lint failed), test running, release pending. */
function interrupted(): RunState {
  let state = createRunState(workflow, {}, 0);
  state = nextActions(state, 0).state;
  state = onJobFinished(state, 'build', { ok: true, outputs: { artifact: 'dist/app' } }, 10);
  state = onJobFinished(state, 'lint', { ok: false, error: 'exit 1' }, 11);
  state = nextActions(state, 11).state;
  assert.equal(state.jobs.test?.status, 'running');
  return state;
}

test('a state survives JSON as it is', () => {
  const state = interrupted();
  assert.deepEqual(JSON.parse(serializeState(state)), state);
});

test('resume keeps succeeded jobs and their outputs, and runs everything else again', () => {
  const resumed = resumeState(serializeState(interrupted()));
  assert.deepEqual(resumed.jobs, {
    build: {
      status: 'succeeded',
      attempts: 1,
      outputs: { artifact: 'dist/app' },
      startedAt: 0,
      finishedAt: 10,
    },
    lint: { status: 'pending', attempts: 0, outputs: {} },
    test: { status: 'pending', attempts: 0, outputs: {} },
    release: { status: 'pending', attempts: 0, outputs: {} },
  });
  const { state, actions } = nextActions(resumed, 100);
  // build is not run again; test reads its outputs from before.
  assert.deepEqual(
    actions.map((a) => (a.type === 'start' ? `${a.jobId}#${a.attempt}` : a.type)),
    ['lint#1', 'test#1'],
  );
  const test = actions.find((a) => a.type === 'start' && a.jobId === 'test');
  assert.deepEqual(test?.type === 'start' ? test.context.jobs : undefined, {
    build: { result: 'success', outputs: { artifact: 'dist/app' } },
  });
  let next = onJobFinished(state, 'lint', { ok: true }, 101);
  next = onJobFinished(next, 'test', { ok: true }, 102);
  const last = nextActions(next, 102);
  assert.deepEqual(
    last.actions.map((a) => a.type),
    ['start'],
  );
  const done = onJobFinished(last.state, 'release', { ok: true }, 103);
  assert.deepEqual(nextActions(done, 103).actions, [{ type: 'complete', result: 'succeeded' }]);
});

test('a cancelled run resumes as not cancelled', () => {
  const state = { ...interrupted(), cancelled: true };
  assert.equal(resumeState(serializeState(state)).cancelled, false);
});

test('a damaged state is refused with what is wrong', () => {
  const refused = (json: string, message: string): void => {
    assert.throws(
      () => resumeState(json),
      (e: unknown) => e instanceof UsageError && e.message === message,
    );
  };
  const suffix = '; the file is damaged or from another version of mx-agent';
  assert.throws(
    () => resumeState('{"v":'),
    (e: unknown) => e instanceof UsageError && e.message.startsWith('run state: not JSON ('),
  );
  const good = JSON.parse(serializeState(interrupted())) as Record<string, unknown>;
  const edit = (path: readonly string[], value: unknown): string => {
    const copy = structuredClone(good);
    let node = copy;
    for (const key of path.slice(0, -1)) node = node[key] as Record<string, unknown>;
    const last = path.at(-1) ?? '';
    if (value === undefined) Reflect.deleteProperty(node, last);
    else node[last] = value;
    return JSON.stringify(copy);
  };
  refused(edit(['v'], 2), `run state: expected a version 1 run state${suffix}`);
  refused(
    edit(['jobs', 'lint'], undefined),
    `run state: jobs: expected the workflow's jobs (build, lint, test, release)${suffix}`,
  );
  refused(
    edit(['jobs', 'test', 'status'], 'paused'),
    `run state: jobs.test: expected a status and a count of attempts${suffix}`,
  );
  refused(
    edit(['workflow', 'jobs', 'build', 'needs'], ['release']),
    `run state: workflow: jobs form a cycle: build → release → test → build${suffix}`,
  );
  refused(
    edit(['workflow', 'jobs', 'test', 'needs'], ['ghost']),
    `run state: workflow: jobs.test: needs: expected ids of jobs of the workflow${suffix}`,
  );
});
