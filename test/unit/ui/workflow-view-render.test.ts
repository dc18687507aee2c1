import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, it } from 'node:test';
import { FakeTerminal } from '../../support/fake-terminal.ts';
import { startWorkflowView, type WorkflowView } from '../../../src/ui/workflow-view.ts';
import { parseWorkflow } from '../../../src/workflow/workflow-parse.ts';
import type { Workflow } from '../../../src/workflow/workflow-types.ts';

const terminals: FakeTerminal[] = [];
const views: WorkflowView[] = [];
afterEach(async () => {
  await Promise.all(views.splice(0).map((view) => view.done()));
  for (const terminal of terminals.splice(0)) terminal.screen.dispose();
});

const workflow = parseWorkflow(
  `name: pipeline
jobs:
  build:
    runs-on: agt-abcdefghijklmnop
    steps: [{ run: make }]
  lint:
    runs-on: agt-abcdefghijklmnop
    steps: [{ run: lint }]
  test:
    needs: build
    runs-on: agt-abcdefghijklmnop
    steps: [{ run: ./test.sh }]
  release:
    needs: [test, lint]
    runs-on: agt-abcdefghijklmnop
    steps: [{ run: release }]
`,
  'pipeline.yml',
);

function start(flow: Workflow, columns: number, rows: number, clock = { t: 0 }) {
  const terminal = new FakeTerminal(columns, rows);
  terminals.push(terminal);
  const view = startWorkflowView({
    runId: 'run-0123abcd',
    workflow: flow,
    stdout: terminal,
    now: () => clock.t,
    interactive: true,
  });
  views.push(view);
  return { terminal, view, clock };
}

describe('workflow view on a terminal', () => {
  it('draws the header, each job with its state, and the Ctrl-C hint', async () => {
    const { terminal, view, clock } = start(workflow, 80, 24);
    clock.t = 1000;
    view.onEvent({ type: 'job-started', job: 'build', attempt: 1, agent: 'agt-alpha' });
    view.onEvent({ type: 'output', job: 'build', stream: 'stdout', line: 'compiling main.c' });
    clock.t = 4000;
    view.onEvent({
      type: 'job-finished',
      job: 'lint',
      attempt: 1,
      ok: false,
      outputs: {},
      error: 'step lint exited with 2',
      ms: 900,
    });
    const screen = await terminal.until(/compiling/);
    const lines = screen.split('\n');
    assert.equal(lines[0], 'workflow pipeline  run-0123abcd  4s');
    assert.equal(lines[1], '● 1 running  ✗ 1 failed  ○ 2 pending');
    assert.equal(lines[2], '● build    agt-alpha      3s  compiling main.c');
    assert.equal(lines[3], '✗ lint                    0s  step lint exited with 2');
    assert.equal(lines[4], '○ test                        needs build');
    assert.equal(lines[5], '○ release                     needs test');
    assert.equal(lines[6], 'Ctrl-C cancels the run');
  });

  it('ticks the running clock once a second without events', async () => {
    const { terminal, view, clock } = start(workflow, 80, 24);
    view.onEvent({ type: 'job-started', job: 'build', attempt: 1, agent: 'agt-alpha' });
    await terminal.until(/build +agt-alpha +0s/);
    clock.t = 65_000;
    await terminal.until(/build +agt-alpha +1m05s/);
  });

  it('cuts a long output line at the terminal width', async () => {
    const { terminal, view } = start(workflow, 40, 12);
    view.onEvent({ type: 'job-started', job: 'build', attempt: 1, agent: 'agt-alpha' });
    view.onEvent({ type: 'output', job: 'build', stream: 'stdout', line: 'x'.repeat(200) });
    const screen = await terminal.until(/xxx/);
    const row = screen.split('\n').find((line) => line.includes('xxx')) ?? '';
    assert.equal(row.length, 40);
    assert.ok(row.endsWith('…'), row);
  });

  it('leaves the final frame on screen after done', async () => {
    const { terminal, view, clock } = start(workflow, 80, 24);
    for (const job of ['build', 'lint', 'test', 'release']) {
      view.onEvent({ type: 'job-started', job, attempt: 1, agent: 'agt-alpha' });
      view.onEvent({ type: 'job-finished', job, attempt: 1, ok: true, outputs: {}, ms: 2000 });
    }
    clock.t = 9000;
    view.onEvent({ type: 'run-finished', result: 'succeeded', ms: 8500 });
    await view.done();
    const lines = (await terminal.lines()).filter((line) => line !== '');
    assert.equal(lines[0], 'workflow pipeline  run-0123abcd  8s');
    assert.equal(lines[1], '✓ 4 succeeded');
    assert.equal(lines.at(-1), 'workflow succeeded in 8s');
    assert.equal(lines.length, 7);
    // Drawn once more after done, nothing changes: the view has stopped.
    view.onEvent({ type: 'job-started', job: 'build', attempt: 2, agent: 'agt-alpha' });
    await sleep(150);
    assert.deepEqual(
      (await terminal.lines()).filter((line) => line !== ''),
      lines,
    );
  });

  it('fits 200 jobs in the terminal height, keeping running and failed ones', async () => {
    const jobs = Array.from(
      { length: 200 },
      (_, i) => `  j${String(i)}:\n    runs-on: agt-abcdefghijklmnop\n    steps: [{ run: x }]\n`,
    ).join('');
    const big = parseWorkflow(`name: big\njobs:\n${jobs}`, 'big.yml');
    const { terminal, view } = start(big, 80, 20);
    view.onEvent({ type: 'job-started', job: 'j180', attempt: 1, agent: 'agt-alpha' });
    view.onEvent({ type: 'job-started', job: 'j90', attempt: 1, agent: 'agt-alpha' });
    view.onEvent({
      type: 'job-finished',
      job: 'j90',
      attempt: 1,
      ok: false,
      outputs: {},
      error: 'boom',
      ms: 10,
    });
    view.onEvent({ type: 'run-cancelling' });
    const screen = await terminal.until(/cancelling/);
    const lines = screen.split('\n').filter((line) => line !== '');
    assert.ok(lines.length < 20, screen);
    assert.ok(
      lines.some((line) => /^● j180 /.test(line)),
      screen,
    );
    assert.ok(
      lines.some((line) => /^✗ j90 +agt-alpha +0s {2}boom$/.test(line)),
      screen,
    );
    assert.ok(lines.includes('… 185 more: 185 cancelled'), screen);
    assert.equal(lines.at(-1), 'cancelling: stopping running jobs… Ctrl-C again quits at once');
  });

  it('fits the rows again when the terminal gets shorter', async () => {
    const { terminal, view } = start(workflow, 80, 24);
    view.onEvent({ type: 'job-started', job: 'build', attempt: 1, agent: 'agt-alpha' });
    await terminal.until(/needs test, lint/);
    await terminal.resize(80, 6);
    const screen = await terminal.until(/… 3 more: 3 pending/);
    assert.ok(/^● build /m.test(screen), screen);
  });
});
