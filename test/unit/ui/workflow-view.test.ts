import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  formatElapsed,
  jobDetail,
  jobDuration,
  moreLine,
  pickJobRows,
} from '../../../src/ui/workflow-view-layout.ts';
import {
  countByStatus,
  createViewModel,
  reduceRunEvent,
  sanitizeLine,
  type JobView,
  type WorkflowViewModel,
} from '../../../src/ui/workflow-view-model.ts';
import type { RunEvent } from '../../../src/workflow/orchestrator.ts';
import { parseWorkflow } from '../../../src/workflow/workflow-parse.ts';

const workflow = parseWorkflow(
  `name: pipeline
jobs:
  release:
    needs: [test, lint]
    runs-on: agt-abcdefghijklmnop
    steps: [{ run: release }]
  test:
    needs: build
    runs-on: { capabilities: [test] }
    retries: 2
    steps: [{ run: ./test.sh }]
  build:
    runs-on: agt-abcdefghijklmnop
    steps: [{ run: make }]
  lint:
    runs-on: agt-abcdefghijklmnop
    continue-on-error: true
    steps: [{ run: lint }]
  cleanup:
    needs: release
    if: always()
    runs-on: agt-abcdefghijklmnop
    steps: [{ run: rm -rf dist }]
`,
  'pipeline.yml',
);

/** The model after `events`, the i-th arriving at second i. */
function after(events: readonly RunEvent[], model = createViewModel('run-1', workflow, 0)) {
  return events.reduce<WorkflowViewModel>(
    (m, event, i) => reduceRunEvent(m, workflow, event, (i + 1) * 1000),
    model,
  );
}

function jobOf(model: WorkflowViewModel, id: string): JobView {
  const job = model.jobs[id];
  assert.ok(job, `no job ${id}`);
  return job;
}

const started = (job: string, attempt = 1, agent = 'agt-alpha'): RunEvent => ({
  type: 'job-started',
  job,
  attempt,
  agent,
});
const finished = (job: string, ok: boolean, attempt = 1, error?: string): RunEvent => ({
  type: 'job-finished',
  job,
  attempt,
  ok,
  outputs: {},
  ms: 1500,
  ...(error === undefined ? {} : { error }),
});

describe('workflow view model', () => {
  it('orders jobs by depth, ties in file order, all pending', () => {
    const model = createViewModel('run-1', workflow, 0);
    assert.deepEqual(model.order, ['build', 'lint', 'test', 'release', 'cleanup']);
    assert.deepEqual(
      model.order.map((id) => model.jobs[id]?.depth),
      [0, 0, 1, 2, 3],
    );
    assert.equal(countByStatus(model).pending, 5);
  });

  it('follows a job from start through its output to success', () => {
    const model = after([
      started('build'),
      { type: 'step-started', job: 'build', step: 'make', command: 'make all' },
      { type: 'output', job: 'build', stream: 'stdout', line: 'cc -o app main.c' },
      { type: 'output', job: 'build', stream: 'stderr', line: '   ' },
    ]);
    const build = model.jobs.build;
    assert.equal(build?.status, 'running');
    assert.equal(build?.agent, 'agt-alpha');
    assert.equal(build?.startedAt, 1000);
    assert.equal(build?.command, 'make all');
    assert.equal(build?.lastLine, 'cc -o app main.c', 'a blank line keeps the last one');
    const done = after([finished('build', true)], model);
    assert.equal(done.jobs.build?.status, 'succeeded');
    assert.equal(jobDuration(jobOf(done, 'build'), 99_000), '1s');
  });

  it('puts a failed attempt with retries left back to pending, and fails the last one', () => {
    const retrying = after([
      started('test'),
      finished('test', false, 1, 'step test exited with 1'),
    ]);
    assert.equal(retrying.jobs.test?.status, 'pending');
    assert.equal(
      retrying.jobs.test?.reason,
      'attempt 1 of 3 failed: step test exited with 1; retrying',
    );
    const again = after([started('test', 2, 'agt-bravo')], retrying);
    assert.equal(again.jobs.test?.status, 'running');
    assert.equal(again.jobs.test?.attempt, 2);
    assert.equal(again.jobs.test?.reason, undefined);
    const failed = after(
      [finished('test', false, 2, 'again'), started('test', 3), finished('test', false, 3, 'no')],
      again,
    );
    assert.equal(failed.jobs.test?.status, 'failed');
    assert.equal(failed.jobs.test?.reason, 'no');
  });

  it('says when continue-on-error lets later jobs go on', () => {
    const model = after([started('lint'), finished('lint', false, 1, 'step lint exited with 1')]);
    assert.equal(model.jobs.lint?.status, 'failed');
    assert.match(model.jobs.lint?.reason ?? '', /continue-on-error: later jobs go on/);
  });

  it('keeps the clock and output of an attempt that moves to another agent', () => {
    const lost = after([
      started('build'),
      { type: 'output', job: 'build', stream: 'stdout', line: 'half way' },
      { type: 'worker-lost', job: 'build', agent: 'agt-alpha', reason: 'no answer in 30s' },
    ]);
    assert.equal(
      lost.jobs.build?.reason,
      'lost agt-alpha (no answer in 30s); moving to another agent',
    );
    const moved = after([started('build', 1, 'agt-bravo')], lost);
    assert.equal(moved.jobs.build?.agent, 'agt-bravo');
    assert.equal(moved.jobs.build?.startedAt, 1000);
    assert.equal(moved.jobs.build?.lastLine, 'half way');
    assert.equal(moved.jobs.build?.reason, undefined);
  });

  it('records skips with their reason', () => {
    const model = after([{ type: 'job-skipped', job: 'release', reason: 'if: false' }]);
    assert.equal(model.jobs.release?.status, 'skipped');
    assert.deepEqual(jobDetail(jobOf(model, 'release'), model), { text: 'if: false', tone: 'dim' });
  });

  it('on a cancel, cancels waiting jobs but not cleanup, and running ones as they end', () => {
    const model = after([
      started('build'),
      { type: 'run-cancelling' },
      finished('build', false, 1, 'step make was cancelled'),
    ]);
    assert.equal(model.cancelling, true);
    assert.equal(model.jobs.build?.status, 'cancelled');
    assert.equal(model.jobs.build?.reason, 'cancelled while running: step make was cancelled');
    assert.equal(model.jobs.test?.status, 'cancelled');
    assert.equal(model.jobs.cleanup?.status, 'pending', 'if: always() still runs');
    const end = after([{ type: 'run-finished', result: 'cancelled', ms: 4200 }], model);
    assert.equal(end.result, 'cancelled');
    assert.equal(end.ms, 4200);
    assert.equal(countByStatus(end).pending, 0);
  });

  it('shows the jobs a resumed run already did as succeeded', () => {
    const model = createViewModel('run-1', workflow, 0, {
      build: { status: 'succeeded', attempts: 2 },
      lint: { status: 'failed', attempts: 1 },
    });
    assert.equal(model.jobs.build?.status, 'succeeded');
    assert.equal(model.jobs.build?.attempt, 2);
    assert.equal(model.jobs.lint?.status, 'pending');
    assert.equal(model.jobs.lint?.attempt, 0);
  });

  it('ignores events of jobs it does not know', () => {
    const model = createViewModel('run-1', workflow, 0);
    assert.equal(after([started('nope')], model), model);
  });

  it('strips terminal control sequences from remote output', () => {
    assert.equal(sanitizeLine('\x1b[31mred\x1b[0m\tdone\r'), 'red done');
    assert.equal(sanitizeLine('\x1b]0;pwned\x07title\x1b[2J\x1bc'), 'title');
    assert.equal(sanitizeLine('bell\x07 and \x9b'), 'bell and ');
  });
});

describe('workflow view layout', () => {
  it('says what a pending job waits for', () => {
    const model = after([started('build')]);
    assert.deepEqual(jobDetail(jobOf(model, 'release'), model), {
      text: 'needs test, lint',
      tone: 'dim',
    });
    assert.deepEqual(jobDetail(jobOf(model, 'lint'), model), { text: 'queued', tone: 'dim' });
    assert.deepEqual(jobDetail(jobOf(model, 'build'), model), { text: 'starting', tone: 'dim' });
  });

  it('shows every job when they fit', () => {
    const rows = pickJobRows(createViewModel('run-1', workflow, 0), 5);
    assert.equal(rows.shown.length, 5);
    assert.equal(rows.hidden, 0);
  });

  it('keeps running and failed jobs when rows are short, in DAG order, and counts the rest', () => {
    const model = after([
      started('build'),
      finished('build', true),
      started('lint'),
      finished('lint', false, 1, 'lint errors'),
      started('test'),
    ]);
    const rows = pickJobRows(model, 3);
    assert.deepEqual(
      rows.shown.map((job) => job.id),
      ['lint', 'test'],
    );
    assert.equal(moreLine(rows), '… 3 more: 1 succeeded, 2 pending');
  });

  it('puts 200 jobs in the rows there are', () => {
    const jobs = Array.from(
      { length: 200 },
      (_, i) => `  j${String(i)}:\n    runs-on: agt-abcdefghijklmnop\n    steps: [{ run: x }]\n`,
    ).join('');
    const big = parseWorkflow(`name: big\njobs:\n${jobs}`, 'big.yml');
    let model = createViewModel('run-2', big, 0);
    for (const id of ['j150', 'j7', 'j199']) model = reduceRunEvent(model, big, started(id), 1000);
    model = reduceRunEvent(model, big, finished('j7', false, 1, 'boom'), 2000);
    const rows = pickJobRows(model, 20);
    assert.equal(rows.shown.length, 19);
    assert.deepEqual(
      rows.shown.slice(0, 3).map((job) => job.id),
      ['j0', 'j1', 'j2'],
    );
    assert.ok(['j7', 'j150', 'j199'].every((id) => rows.shown.some((job) => job.id === id)));
    assert.equal(moreLine(rows), '… 181 more: 181 pending');
  });

  it('formats durations as they tick', () => {
    assert.deepEqual([0, 999, 7_500, 125_000, 3_780_000].map(formatElapsed), [
      '0s',
      '0s',
      '7s',
      '2m05s',
      '1h03m',
    ]);
  });
});
