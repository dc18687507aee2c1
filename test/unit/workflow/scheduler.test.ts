import assert from 'node:assert/strict';
import { test } from 'node:test';
import { InternalError } from '../../../src/errors.ts';
import {
  cancel,
  createRunState,
  nextActions,
  onJobFinished,
  retryDelay,
  runResult,
  type JobOutcome,
  type RunState,
} from '../../../src/workflow/scheduler.ts';
import type { JobContext } from '../../../src/workflow/scheduler-context.ts';
import { commandArgv } from '../../../src/workflow/workflow-command-line.ts';
import { parseWorkflow } from '../../../src/workflow/workflow-parse.ts';
import type { InputValue, Workflow } from '../../../src/workflow/workflow-types.ts';

/** A workflow whose jobs all run on one agent and run one command: `jobs` is YAML job bodies. */
function workflow(jobs: Record<string, string>, head = ''): Workflow {
  const body = Object.entries(jobs)
    .map(
      ([id, extra]) =>
        `  ${id}:\n    runs-on: agt-abcdefghijklmnop\n${extra}${extra.includes('steps:') ? '' : '    steps: [{ run: x }]\n'}`,
    )
    .join('');
  return parseWorkflow(`${head}jobs:\n${body}`, 'wf.yml');
}

// A discrete-event driver: jobs take fixed durations of simulated time, outcomes come from a
// function, and every action is logged as `time verb job`.

interface Simulation {
  readonly inputs?: Readonly<Record<string, InputValue>>;
  readonly durations?: Readonly<Record<string, number>>;
  readonly outcome?: (jobId: string, attempt: number, context: JobContext) => JobOutcome;
  readonly maxParallel?: number;
  readonly state?: RunState;
  readonly start?: number;
}

/** What happened. */
interface SimulationLog {
  readonly log: string[];
  readonly state: RunState;
  readonly contexts: Map<string, JobContext>;
}

/** Run a workflow to completion in simulated time. */
function simulate(workflow: Workflow, setup: Simulation = {}): SimulationLog {
  let now = setup.start ?? 0;
  const options = setup.maxParallel === undefined ? {} : { maxParallel: setup.maxParallel };
  let state = setup.state ?? createRunState(workflow, setup.inputs ?? {}, now, options);
  const running = new Map<string, { end: number; outcome: JobOutcome }>();
  const contexts = new Map<string, JobContext>();
  const log: string[] = [];
  for (let round = 0; round < 1000; round += 1) {
    const update = nextActions(state, now);
    state = update.state;
    let wake = Number.POSITIVE_INFINITY;
    for (const action of update.actions) {
      switch (action.type) {
        case 'start': {
          log.push(`${now} start ${action.jobId}#${action.attempt}`);
          contexts.set(action.jobId, action.context);
          const outcome = setup.outcome?.(action.jobId, action.attempt, action.context) ?? {
            ok: true,
          };
          running.set(action.jobId, { end: now + (setup.durations?.[action.jobId] ?? 1), outcome });
          break;
        }
        case 'skip':
          log.push(`${now} skip ${action.jobId}: ${action.reason}`);
          break;
        case 'wait':
          wake = action.until;
          break;
        case 'cancel':
          log.push(`${now} cancel ${action.jobId}`);
          break;
        case 'complete':
          log.push(`${now} complete ${action.result}`);
          return { log, state, contexts };
      }
    }
    const next = Math.min(wake, ...[...running.values()].map((r) => r.end));
    if (next === Number.POSITIVE_INFINITY) throw new Error(`stuck at ${now}: ${log.join('\n')}`);
    now = next;
    for (const [id, run] of [...running].filter(([, r]) => r.end === now)) {
      running.delete(id);
      log.push(`${now} ${run.outcome.ok ? 'done' : 'fail'} ${id}`);
      state = onJobFinished(state, id, run.outcome, now);
    }
  }
  throw new Error('the run did not finish');
}

const fail = (error = 'boom'): JobOutcome => ({ ok: false, error });

// a → (b, c) → d
const diamond = workflow({
  a: '',
  b: '    needs: a\n',
  c: '    needs: a\n',
  d: '    needs: [b, c]\n',
});

test('fan-out and fan-in: independent jobs start together, a join waits for all', () => {
  const { log, state } = simulate(diamond, { durations: { a: 10, b: 5, c: 20, d: 1 } });
  assert.deepEqual(log, [
    '0 start a#1',
    '10 done a',
    '10 start b#1',
    '10 start c#1',
    '15 done b',
    '30 done c',
    '30 start d#1',
    '31 done d',
    '31 complete succeeded',
  ]);
  assert.equal(runResult(state), 'succeeded');
  assert.deepEqual(
    Object.values(state.jobs).map((j) => [j.status, j.attempts]),
    [
      ['succeeded', 1],
      ['succeeded', 1],
      ['succeeded', 1],
      ['succeeded', 1],
    ],
  );
});

test('the parallel limit: from the run options, else the workflow max-parallel', () => {
  const durations = { a: 10, b: 5, c: 20, d: 1 };
  const expected = [
    '0 start a#1',
    '10 done a',
    '10 start b#1',
    '15 done b',
    '15 start c#1',
    '35 done c',
    '35 start d#1',
    '36 done d',
    '36 complete succeeded',
  ];
  assert.deepEqual(simulate(diamond, { durations, maxParallel: 1 }).log, expected);
  const limited = { ...diamond, maxParallel: 1 };
  assert.deepEqual(simulate(limited, { durations }).log, expected);
  assert.equal(
    simulate(limited, { durations, maxParallel: 2 }).log.at(-1),
    '31 complete succeeded',
  );
});

test('a failing job skips its dependents transitively, with reasons; other jobs go on; the run fails', () => {
  const wf = workflow({
    a: '',
    b: '    needs: a\n',
    c: '    needs: a\n',
    d: '    needs: [b, c]\n',
    other: '',
    notify: '    needs: a\n    if: failure()\n',
    report: '    needs: d\n    if: always()\n',
  });
  const { log, state } = simulate(wf, {
    durations: { a: 10, other: 50 },
    outcome: (id) => (id === 'a' ? fail('exit 1') : { ok: true }),
  });
  assert.deepEqual(log, [
    '0 start a#1',
    '0 start other#1',
    '10 fail a',
    '10 skip b: needs a, which failed',
    '10 skip c: needs a, which failed',
    '10 skip d: needs b, which was skipped',
    '10 start notify#1',
    '10 start report#1',
    '11 done notify',
    '11 done report',
    '50 done other',
    '50 complete failed',
  ]);
  assert.equal(state.jobs.a?.status, 'failed');
  assert.equal(state.jobs.a?.reason, 'failed: exit 1');
  assert.equal(state.jobs.d?.reason, 'needs b, which was skipped');
  assert.equal(runResult(state), 'failed');
});

test('retries wait backoff × 2^(attempt-1), capped, then succeed or fail for good', () => {
  const wf = workflow({
    r: '    retries: { count: 3, backoff: 10s, max-backoff: 15s }\n',
    after: '    needs: r\n',
  });
  const durations = { r: 1000 };
  const flaky = simulate(wf, {
    durations,
    outcome: (id, attempt) => (id === 'r' && attempt < 4 ? fail() : { ok: true }),
  });
  assert.deepEqual(flaky.log, [
    '0 start r#1',
    '1000 fail r',
    '11000 start r#2',
    '12000 fail r',
    '27000 start r#3',
    '28000 fail r',
    '43000 start r#4',
    '44000 done r',
    '44000 start after#1',
    '44001 done after',
    '44001 complete succeeded',
  ]);
  const broken = simulate(wf, { durations, outcome: () => fail('exit 2') });
  assert.deepEqual(broken.log.slice(-4), [
    '43000 start r#4',
    '44000 fail r',
    '44000 skip after: needs r, which failed',
    '44000 complete failed',
  ]);
  assert.equal(broken.state.jobs.r?.reason, 'failed after 4 attempts: exit 2');
  assert.equal(broken.state.jobs.r?.attempts, 4);

  // While it waits, the state says why and until when; nextActions says when to come back.
  let state = createRunState(wf, {}, 0);
  state = nextActions(state, 0).state;
  state = onJobFinished(state, 'r', fail('exit 3'), 1000);
  assert.equal(state.jobs.r?.status, 'pending');
  assert.equal(state.jobs.r?.reason, 'attempt 1 of 4 failed (exit 3); retrying in 10s');
  assert.deepEqual(nextActions(state, 5000).actions, [{ type: 'wait', until: 11_000 }]);
  assert.deepEqual(
    nextActions(state, 11_000).actions.map((a) => a.type),
    ['start'],
  );

  const policy = { retries: 10, backoffMs: 5_000, maxBackoffMs: 300_000 };
  assert.deepEqual(
    [1, 2, 3, 4, 5, 6, 7, 8].map((attempt) => retryDelay(policy, attempt)),
    [5_000, 10_000, 20_000, 40_000, 80_000, 160_000, 300_000, 300_000],
  );
});

test('continue-on-error: the failure is recorded, dependents go on, the run succeeds', () => {
  const wf = workflow({
    lint: '    continue-on-error: true\n',
    build: '    needs: lint\n',
    gate: "    needs: lint\n    if: jobs.lint.result == 'success' && !failure()\n",
  });
  const { log, state, contexts } = simulate(wf, {
    outcome: (id) => (id === 'lint' ? fail('3 warnings') : { ok: true }),
  });
  assert.deepEqual(log, [
    '0 start lint#1',
    '1 fail lint',
    '1 start build#1',
    '1 start gate#1',
    '2 done build',
    '2 done gate',
    '2 complete succeeded',
  ]);
  assert.equal(state.jobs.lint?.status, 'failed');
  assert.equal(state.jobs.lint?.reason, 'failed: 3 warnings (continue-on-error: later jobs go on)');
  assert.deepEqual(contexts.get('build')?.jobs, { lint: { result: 'success', outputs: {} } });
  assert.equal(runResult(state), 'succeeded');
});

test('a false if skips the job and, by default, the jobs that need it; the run still succeeds', () => {
  const wf = workflow(
    {
      build: '',
      deploy: "    needs: build\n    if: ${{ inputs.deploy == 'yes' }}\n",
      announce: '    needs: deploy\n',
    },
    'inputs: { deploy: { default: "no" } }\n',
  );
  const skipped = simulate(wf, { inputs: { deploy: 'no' } });
  assert.deepEqual(skipped.log, [
    '0 start build#1',
    '1 done build',
    "1 skip deploy: if: inputs.deploy == 'yes' was false",
    '1 skip announce: needs deploy, which was skipped',
    '1 complete succeeded',
  ]);
  assert.equal(runResult(skipped.state), 'succeeded');
  assert.deepEqual(simulate(wf, { inputs: { deploy: 'yes' } }).log.slice(-2), [
    '3 done announce',
    '3 complete succeeded',
  ]);
});

test('cancel: running jobs are to be stopped, pending ones cancelled, cleanup with always() still runs', () => {
  const wf = workflow({
    a: '    steps: [{ run: a }]\n',
    b: '    needs: a\n',
    cleanup: '    needs: b\n    if: always()\n',
    other: '    retries: 2\n',
  });
  let state = createRunState(wf, {}, 0);
  state = nextActions(state, 0).state;
  state = onJobFinished(state, 'other', fail(), 5); // waits for a retry at 5005
  const cancelled = cancel(state, 10);
  assert.deepEqual(cancelled.actions, [{ type: 'cancel', jobId: 'a' }]);
  state = cancelled.state;
  assert.deepEqual(cancel(state, 11), { state, actions: [] });
  assert.deepEqual(
    Object.entries(state.jobs).map(
      ([id, j]) => `${id} ${j.status}${j.reason === undefined ? '' : `: ${j.reason}`}`,
    ),
    [
      'a running',
      'b cancelled: the run was cancelled',
      'cleanup pending',
      'other cancelled: the run was cancelled',
    ],
  );
  assert.deepEqual(nextActions(state, 11).actions, []);
  state = onJobFinished(state, 'a', fail('killed'), 12);
  assert.equal(state.jobs.a?.status, 'cancelled');
  assert.equal(state.jobs.a?.reason, 'cancelled while running');
  const next = nextActions(state, 12);
  assert.deepEqual(
    next.actions.map((a) => `${a.type} ${'jobId' in a ? a.jobId : ''}`),
    ['start cleanup'],
  );
  state = onJobFinished(next.state, 'cleanup', { ok: true }, 13);
  assert.deepEqual(nextActions(state, 13).actions, [{ type: 'complete', result: 'cancelled' }]);
  assert.equal(runResult(state), 'cancelled');
});

test("outputs flow into dependents' contexts, env and argv; timeouts become deadlines", () => {
  const wf = workflow(
    {
      build: '    timeout: 10m\n    outputs: { artifact: x }\n',
      test: [
        '    needs: build',
        '    env: { ART: "${{ jobs.build.outputs.artifact }}", R: "${{ env.REF }}" }',
        '    steps: [{ run: "./test.sh ${{ jobs.build.outputs.artifact }} --ref ${{ inputs.ref }}" }]',
        '',
      ].join('\n'),
      report: "    needs: test\n    if: jobs.build.result == 'success'\n",
    },
    'inputs: { ref: { default: main } }\nenv: { REF: "refs/${{ inputs.ref }}" }\n',
  );
  let state = createRunState(wf, { ref: 'main' }, 1_000);
  const first = nextActions(state, 1_000);
  assert.deepEqual(first.actions, [
    {
      type: 'start',
      jobId: 'build',
      attempt: 1,
      context: { inputs: { ref: 'main' }, jobs: {}, env: { REF: 'refs/main' } },
      deadline: 601_000,
    },
  ]);
  state = onJobFinished(
    first.state,
    'build',
    { ok: true, outputs: { artifact: 'dist/my app.tar' } },
    2_000,
  );
  const [start] = nextActions(state, 2_000).actions;
  assert.equal(start?.type, 'start');
  const context = (start as { context: JobContext }).context;
  assert.deepEqual(context, {
    inputs: { ref: 'main' },
    jobs: { build: { result: 'success', outputs: { artifact: 'dist/my app.tar' } } },
    env: { REF: 'refs/main', ART: 'dist/my app.tar', R: 'refs/main' },
  });
  const step = wf.jobs.test?.steps[0];
  assert.equal(step?.type, 'run');
  assert.deepEqual(commandArgv(step.type === 'run' ? step.run : '', context), [
    './test.sh',
    'dist/my app.tar',
    '--ref',
    'main',
  ]);
  // A job sees the jobs it needs through others too.
  const done = simulate(wf, {
    inputs: { ref: 'main' },
    outcome: (id): JobOutcome => ({ ok: true, outputs: id === 'build' ? { artifact: 'a' } : {} }),
  });
  assert.deepEqual(Object.keys(done.contexts.get('report')?.jobs ?? {}), ['build', 'test']);
});

test('the same events give the same run', () => {
  const setup = {
    durations: { a: 3, b: 3, c: 3 },
    outcome: (id: string) => (id === 'c' ? fail() : { ok: true }),
  };
  assert.deepEqual(simulate(diamond, setup), simulate(diamond, setup));
});

test('misuse is an internal error: finishing a job that is not running, a result before the end', () => {
  const state = createRunState(diamond, {}, 0);
  assert.throws(
    () => onJobFinished(state, 'b', { ok: true }, 1),
    (e: unknown) => e instanceof InternalError && e.message === 'job "b" finished but was pending',
  );
  assert.throws(
    () => runResult(state),
    (e: unknown) => e instanceof InternalError,
  );
  const cyclic: Workflow = {
    ...diamond,
    jobs: { ...diamond.jobs, a: { ...(diamond.jobs.a as Workflow['jobs'][string]), needs: ['d'] } },
  };
  assert.throws(() => createRunState(cyclic, {}, 0), /jobs form a cycle: a → d → b → a/);
});
