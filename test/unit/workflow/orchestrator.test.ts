import assert from 'node:assert/strict';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { FakeNetwork } from '../../../src/transport/fake.ts';
import { runWorkflow, type RunEvent } from '../../../src/workflow/orchestrator.ts';
import { parseWorkflow } from '../../../src/workflow/workflow-parse.ts';
import { TEST_BOSS, TEST_WORKER, startTestWorker } from '../../support/test-worker.ts';

const BOSS = TEST_BOSS;
const WORKER = TEST_WORKER;
const stops: (() => Promise<void>)[] = [];
after(async () => {
  for (const stop of stops) await stop();
});

async function setup(yaml: (dir: string) => string) {
  const dir = mkdtempSync(join(tmpdir(), 'mx-orch-'));
  const net = new FakeNetwork();
  const bossT = net.transport('boss');
  const workerT = net.transport('worker');
  await Promise.all([bossT.connect(), workerT.connect()]);
  const started = startTestWorker(workerT, dir);
  const { worker, workerKey, bossKey } = started;
  stops.push(() => started.stop());
  const events: RunEvent[] = [];
  const run = (signal = new AbortController().signal) =>
    runWorkflow({
      transport: bossT,
      agent: BOSS,
      key: bossKey,
      workflow: parseWorkflow(yaml(dir), 'wf.yml'),
      inputs: {},
      runId: 'run-1',
      resolveWorker: () => ({
        agent: WORKER,
        address: workerT.address,
        publicKey: workerKey.publicRaw,
      }),
      signal,
      onEvent: (e) => events.push(e),
    });
  return { dir, worker, events, run };
}

describe('the orchestrator with a real worker on the fake network', () => {
  it('retries a flaky job until it succeeds, with backoff', async () => {
    const { events, run } = await setup(
      (dir) => `name: flaky
jobs:
  flaky:
    runs-on: agt-workerworkerwork
    working-directory: ${dir}
    retries: { count: 2, backoff: 100ms }
    steps:
      - run: /bin/sh -c "if [ -e tried ]; then echo ok; else touch tried; exit 1; fi"
`,
    );
    const { result } = await run();
    assert.equal(result, 'succeeded');
    const finished = events.filter((e) => e.type === 'job-finished');
    assert.deepEqual(
      finished.map((e) => e.type === 'job-finished' && e.ok),
      [false, true],
    );
  });

  it('cancels what runs on Ctrl-C: the remote process is killed and the run is cancelled', async () => {
    const { dir, worker, events, run } = await setup(
      (d) => `name: long
jobs:
  long:
    runs-on: agt-workerworkerwork
    working-directory: ${d}
    steps:
      - run: /bin/sh -c "echo started; sleep 20; touch finished"
  after:
    needs: [long]
    runs-on: agt-workerworkerwork
    working-directory: ${d}
    steps:
      - run: /bin/sh -c "touch after"
`,
    );
    const controller = new AbortController();
    const pending = run(controller.signal);
    const deadline = Date.now() + 5000;
    while (!events.some((e) => e.type === 'output') && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 20));
    controller.abort();
    const { result } = await pending;
    assert.equal(result, 'cancelled');
    assert.equal(worker.running, 0);
    assert.equal(existsSync(join(dir, 'finished')), false);
    assert.equal(existsSync(join(dir, 'after')), false);
  });

  it('fails a step without a working directory, saying what to add', async () => {
    const { events, run } = await setup(
      () => `name: nowhere
jobs:
  a:
    runs-on: agt-workerworkerwork
    steps:
      - run: /bin/sh -c true
`,
    );
    const { result } = await run();
    assert.equal(result, 'failed');
    const failed = events.find((e) => e.type === 'job-finished');
    assert.match(
      failed?.type === 'job-finished' ? (failed.error ?? '') : '',
      /no working-directory/,
    );
  });
});
