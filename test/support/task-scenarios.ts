/**
 * The task protocol over a real network: a worker on one account, a requester on another, a
 * job that runs (output, outputs, signed result) and one that is refused. What the fake
 * network shows in test/unit/workflow/worker.test.ts, on Prosody and on the dev homeserver.
 */
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Transport } from '../../src/transport/transport.ts';
import { runRemoteTask } from '../../src/workflow/task-client.ts';
import { TEST_BOSS, TEST_WORKER, startTestWorker, type TestWorker } from './test-worker.ts';

/** Two connected transports on one network, and how to get rid of them. */
export interface TaskPeers {
  readonly worker: Transport;
  readonly boss: Transport;
  dispose(): Promise<void>;
}

const WORKER = TEST_WORKER;
const BOSS = TEST_BOSS;

/** Register the scenarios for one network. */
export function taskScenarios(name: string, makePeers: () => Promise<TaskPeers>): void {
  describe(`task protocol over ${name}`, () => {
    let peers: TaskPeers;
    let worker: TestWorker;
    const dir = mkdtempSync(join(tmpdir(), 'mx-task-'));

    before(async () => {
      peers = await makePeers();
      worker = startTestWorker(peers.worker, dir);
    });
    after(async () => {
      await worker.stop();
      await peers.dispose();
    });

    const ask = async (args: string[], command = '/bin/sh') => {
      let output = '';
      const outcome = await runRemoteTask(peers.boss, {
        agent: BOSS,
        key: worker.bossKey,
        worker: {
          agent: WORKER,
          address: peers.worker.address,
          publicKey: worker.workerKey.publicRaw,
        },
        spec: { run: 'r', job: 'j', step: '0', attempt: 1, command, args, cwd: dir, env: {} },
        answerTimeoutMs: 30_000,
        onOutput: (_s, data) => {
          output += Buffer.from(data).toString();
        },
      });
      return { outcome, output };
    };

    it('runs an admitted job: its output in order, its outputs and a signed result', async () => {
      const { outcome, output } = await ask([
        '-c',
        'i=0; while [ $i -lt 300 ]; do echo "line $i"; i=$((i+1)); done; echo "::output answer=42"',
      ]);
      assert.equal(outcome.kind, 'result', JSON.stringify(outcome));
      if (outcome.kind !== 'result') return;
      assert.equal(outcome.result.exitCode, 0);
      assert.deepEqual(outcome.result.outputs, { answer: '42' });
      const expected = Array.from({ length: 300 }, (_, i) => `line ${String(i)}\n`).join('');
      assert.equal(output, `${expected}::output answer=42\n`);
    });

    it('refuses a command the policy does not name, with the reason', async () => {
      const { outcome } = await ask(['/tmp'], '/bin/ls');
      assert.equal(outcome.kind, 'rejected');
      if (outcome.kind === 'rejected') {
        assert.equal(outcome.stage, 'policy');
        assert.match(outcome.reason, /ls/);
      }
    });
  });
}
