/**
 * The task protocol over a real network: a worker on one account, a requester on another, a
 * job that runs (output, outputs, signed result) and one that is refused. What the fake
 * network shows in test/unit/workflow/worker.test.ts, on Prosody and on the dev homeserver.
 * Then the security matrix (design.md §6): every kind of request the gate must refuse, sent
 * over the network as an attacker would, none of which may run, each audited.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, realpathSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { verifyAuditLog } from '../../src/security/audit-log.ts';
import type { Transport } from '../../src/transport/transport.ts';
import { runRemoteTask } from '../../src/workflow/task-client.ts';
import { craftAttacks, literal, sendRawRequest } from './task-attacks.ts';
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
      // A second rule allows npm by name: a program called npm elsewhere is not it.
      worker = startTestWorker(
        peers.worker,
        dir,
        `\n[[allow]]\nrequester = "${BOSS}"\ncommands = ["npm"]\ncwd = ["${dir}"]\nrequire_sandbox = false\n`,
      );
    });
    after(async () => {
      await worker.stop();
      await peers.dispose();
    });

    const ask = async (args: string[], command = '/bin/sh') => {
      let output = '';
      const apart = { stdout: '', stderr: '' };
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
        onOutput: (stream, data) => {
          output += Buffer.from(data).toString();
          apart[stream] += Buffer.from(data).toString();
        },
      });
      return { outcome, output, apart };
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

    it('streams 3 MB of output complete and in order as blob chunks, stderr apart', async () => {
      let blobs = 0;
      const unsubscribe = peers.boss.subscribe((event) => {
        if (event.type === 'payload' && event.payload.kind === 'stream.chunk')
          if ('blob' in event.payload.body) blobs += 1;
      });
      const { outcome, apart } = await ask([
        '-c',
        'echo starting >&2; seq 1 450000; echo done >&2; printf "no newline at the end"',
      ]);
      unsubscribe();
      assert.equal(outcome.kind, 'result', JSON.stringify(outcome));
      const numbers = Array.from({ length: 450_000 }, (_, i) => `${String(i + 1)}\n`).join('');
      assert.equal(apart.stdout.length, numbers.length + 21);
      assert.equal(apart.stdout, `${numbers}no newline at the end`);
      assert.equal(apart.stderr, 'starting\ndone\n');
      assert.ok(blobs > 0, 'large output went as blobs');
    });

    it('refuses a command the policy does not name, with the reason', async () => {
      const { outcome } = await ask(['/tmp'], '/bin/ls');
      assert.equal(outcome.kind, 'rejected');
      if (outcome.kind === 'rejected') {
        assert.equal(outcome.stage, 'policy');
        assert.match(outcome.reason, /ls/);
      }
    });

    const audited = (): Record<string, unknown>[] =>
      readFileSync(worker.audit, 'utf8')
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line) as Record<string, unknown>);
    const until = async (what: string, ok: () => boolean): Promise<void> => {
      for (const started = Date.now(); !ok();) {
        assert.ok(Date.now() - started < 15_000, `still waiting for ${what}`);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    };

    it('refuses every forged, foreign, stale or out-of-policy request, runs none, audits each', async () => {
      const scratch = mkdtempSync(join(tmpdir(), 'mx-task-attacks-'));
      const matrix = craftAttacks({
        agent: BOSS,
        key: worker.bossKey,
        dir: realpathSync(dir),
        scratch,
      });
      const send = (raw: Parameters<typeof sendRawRequest>[2], nonce: string) =>
        sendRawRequest(peers.boss, peers.worker.address, raw, {
          agent: WORKER,
          publicKey: worker.workerKey.publicRaw,
          requestNonce: nonce,
        });
      const reasons = new Map<string, string>();
      for (const attack of matrix.attacks) {
        const answer = await send(attack.raw, attack.nonce);
        assert.equal(answer.kind, 'rejected', `${attack.name}: ${JSON.stringify(answer)}`);
        if (answer.kind !== 'rejected') continue;
        assert.equal(answer.stage, attack.stage, `${attack.name}: ${answer.reason}`);
        assert.match(answer.reason, attack.reason, attack.name);
        reasons.set(attack.nonce, answer.reason);
      }
      // Junk has no nonce to answer to: the worker only audits it (and must not trip on it).
      for (const junk of matrix.junk)
        await peers.boss.send(
          { kind: 'direct', address: peers.worker.address },
          { type: 'payload', payload: { kind: 'task.request', version: 1, body: junk.raw } },
          { timeoutMs: 30_000 },
        );
      // The same envelope twice: the first runs, the second is a replay.
      const { replay } = matrix;
      assert.deepEqual(await send(replay.raw, replay.nonce), { kind: 'result', exitCode: 0 });
      const again = await send(replay.raw, replay.nonce);
      assert.equal(again.kind, 'rejected');
      if (again.kind === 'rejected') {
        assert.equal(again.stage, 'replay', again.reason);
        assert.match(
          again.reason,
          new RegExp(`reuses nonce ${literal(replay.nonce)}, already accepted once: a replay$`),
        );
      }
      assert.equal(readFileSync(replay.ranFile, 'utf8'), 'ran\n', 'the replay did not run again');
      assert.deepEqual(readdirSync(matrix.sentinels), [], 'no refused request ran');

      await until('the junk in the audit log', () =>
        matrix.junk.every((j) =>
          audited().some((r) => r.stage === 'malformed' && j.reason.test(String(r.reason))),
        ),
      );
      const records = audited();
      for (const attack of matrix.attacks)
        assert.deepEqual(
          records
            .filter((r) => r.nonce === attack.nonce)
            .map((r) => [r.decision, r.stage, r.reason]),
          [['denied', attack.stage, reasons.get(attack.nonce)]],
          attack.name,
        );
      assert.deepEqual(
        records
          .filter((r) => r.nonce === replay.nonce)
          .map((r) => `${String(r.decision)}:${String(r.stage)}`),
        ['allowed:admitted', 'denied:replay'],
      );
      const junkRecords = records.filter(
        (r) => r.stage === 'malformed' && /v: expected 1/.test(String(r.reason)),
      );
      assert.deepEqual(
        junkRecords.map((r) => r.nonce),
        matrix.junk.map((j) => j.nonce),
      );
      assert.deepEqual(worker.logs, [], 'the worker took everything in its stride');
      assert.equal(verifyAuditLog(worker.audit).ok, true);
    });

    it('names the audit record someone edited to hide a refusal', () => {
      const lines = readFileSync(worker.audit, 'utf8').split('\n');
      const index = lines.findIndex((line) => line.includes('LD_PRELOAD can never be set'));
      assert.ok(
        index > 0 && lines[index]?.includes('"decision":"denied"'),
        'the refusal is audited',
      );
      lines[index] = (lines[index] ?? '').replace('"decision":"denied"', '"decision":"allowed"');
      writeFileSync(worker.audit, lines.join('\n'));
      assert.deepEqual(verifyAuditLog(worker.audit), {
        ok: false,
        line: index + 1,
        reason: 'its content does not match its hash: the record was edited',
      });
    });
  });
}
