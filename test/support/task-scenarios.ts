/**
 * The task protocol over a real network: a worker on one account, a requester on another, a
 * job that runs (output, outputs, signed result) and one that is refused. What the fake
 * network shows in test/unit/workflow/worker.test.ts, on Prosody and on the dev homeserver.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { AuditLog } from '../../src/security/audit-log.ts';
import { loadPolicy } from '../../src/security/policy.ts';
import { ReplayGuard } from '../../src/security/replay-guard.ts';
import { generateSigningKey } from '../../src/security/signing-key.ts';
import { TrustStore } from '../../src/security/trust-store.ts';
import type { Transport } from '../../src/transport/transport.ts';
import { runRemoteTask } from '../../src/workflow/task-client.ts';
import { Worker } from '../../src/workflow/worker.ts';

/** Two connected transports on one network, and how to get rid of them. */
export interface TaskPeers {
  readonly worker: Transport;
  readonly boss: Transport;
  dispose(): Promise<void>;
}

const WORKER = 'agt-workerworkerwork';
const BOSS = 'agt-bossbossbossboss';

/** Register the scenarios for one network. */
export function taskScenarios(name: string, makePeers: () => Promise<TaskPeers>): void {
  describe(`task protocol over ${name}`, () => {
    let peers: TaskPeers;
    let worker: Worker;
    let replay: ReplayGuard;
    const dir = mkdtempSync(join(tmpdir(), 'mx-task-'));
    const workerKey = generateSigningKey();
    const bossKey = generateSigningKey();

    before(async () => {
      peers = await makePeers();
      const trust = new TrustStore(join(dir, 'config'));
      trust.add({ agent: BOSS, key: bossKey.publicRaw, via: 'manual' });
      const policy = join(dir, 'policy.toml');
      writeFileSync(
        policy,
        `[[allow]]\nrequester = "${BOSS}"\ncommands = ["/bin/sh"]\ncwd = ["${dir}"]\nrequire_sandbox = false\n`,
        { mode: 0o600 },
      );
      replay = new ReplayGuard(join(dir, 'data'));
      worker = new Worker({
        agent: WORKER,
        key: workerKey,
        trust,
        replay,
        audit: new AuditLog(join(dir, 'audit.jsonl')),
        policy: () => loadPolicy(policy),
        sandboxSupport: { kind: 'none', reason: 'not needed here' },
        log: () => undefined,
      });
      worker.start(peers.worker);
    });
    after(async () => {
      await worker.stop();
      replay.close();
      await peers.dispose();
    });

    const ask = async (args: string[], command = '/bin/sh') => {
      let output = '';
      const outcome = await runRemoteTask(peers.boss, {
        agent: BOSS,
        key: bossKey,
        worker: { agent: WORKER, address: peers.worker.address, publicKey: workerKey.publicRaw },
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
