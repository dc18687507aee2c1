import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, describe, it } from 'node:test';
import { ApprovalStore } from '../../../src/security/approvals.ts';
import { verifyAuditLog } from '../../../src/security/audit-log.ts';
import { FakeNetwork } from '../../../src/transport/fake.ts';
import { runRemoteTask, type TaskOutcome } from '../../../src/workflow/task-client.ts';
import type { TaskHeld } from '../../../src/workflow/task-held.ts';
import type { TaskSpec } from '../../../src/workflow/task-protocol.ts';
import {
  TEST_BOSS,
  TEST_WORKER,
  startTestWorker,
  type TestWorker,
} from '../../support/test-worker.ts';

const stops: (() => Promise<void>)[] = [];
after(async () => {
  for (const stop of stops) await stop();
});

/** A worker whose one rule requires approval, and a requester asking it to run `script`. */
async function held(options: { windowMs?: number; before?: (dir: string) => void } = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'mx-approvals-'));
  const net = new FakeNetwork();
  const workerT = net.transport('worker');
  const bossT = net.transport('boss');
  await Promise.all([workerT.connect(), bossT.connect()]);
  const refusals: string[] = [];
  bossT.subscribe((e) => {
    if (e.type === 'payload' && e.payload.kind === 'task.rejected')
      refusals.push(JSON.stringify(e.payload.body));
  });
  options.before?.(dir);
  const t = startTestWorker(workerT, dir, 'env = ["TOKEN"]\nrequires_approval = true\n', {
    ...(options.windowMs === undefined ? {} : { approvalWindowMs: options.windowMs }),
  });
  stops.push(() => t.stop());
  const ask = (script: string, signal?: AbortSignal) => {
    const hold = Promise.withResolvers<TaskHeld>();
    let output = '';
    const spec: TaskSpec = {
      run: 'r1',
      job: 'deploy',
      step: '0',
      attempt: 1,
      command: '/bin/sh',
      args: ['-c', script],
      cwd: dir,
      env: { TOKEN: 'secret-value' },
    };
    const outcome = runRemoteTask(bossT, {
      agent: TEST_BOSS,
      key: t.bossKey,
      worker: { agent: TEST_WORKER, address: workerT.address, publicKey: t.workerKey.publicRaw },
      spec,
      // Shorter than the test's waits: a held task must not be taken as unanswered.
      answerTimeoutMs: 300,
      ...(signal ? { signal } : {}),
      onHeld: (h) => {
        hold.resolve(h);
      },
      onOutput: (_stream, data) => {
        output += Buffer.from(data).toString();
      },
    });
    return { held: hold.promise, outcome, output: () => output };
  };
  return { t, dir, ask, refusals };
}

const rejected = (o: TaskOutcome): { stage: string; reason: string } => {
  assert.equal(o.kind, 'rejected', JSON.stringify(o));
  return o;
};

const events = (t: TestWorker): string[] =>
  readFileSync(t.audit, 'utf8')
    .trim()
    .split('\n')
    .map((line) => (JSON.parse(line) as { event: string }).event);

describe('jobs held for approval, on the fake network', () => {
  it('holds a job until its owner approves it, then runs it and the result arrives', async () => {
    const { t, ask } = await held();
    const task = ask('echo "deploying with ${#TOKEN} chars"');
    const hold = await task.held;
    assert.match(hold.approval, /^apr-[a-z2-7]{8}$/);
    // Past the answer timeout: still waiting, not failed.
    await new Promise((resolve) => setTimeout(resolve, 500));
    const [listed] = t.approvals.list();
    assert.equal(listed?.id, hold.approval);
    assert.deepEqual(listed.env, [{ name: 'TOKEN', length: 12 }]);
    assert.doesNotMatch(readFileSync(t.approvals.path).toString('latin1'), /secret-value/);
    t.approvals.decide(hold.approval, 'approved', 'alice', Date.now());
    const outcome = await task.outcome;
    assert.equal(outcome.kind, 'result', JSON.stringify(outcome));
    if (outcome.kind === 'result') assert.equal(outcome.result.exitCode, 0);
    assert.equal(task.output(), 'deploying with 12 chars\n');
    assert.equal(t.approvals.get(hold.approval)?.status, 'released');
    const audited = events(t);
    assert.ok(audited.includes('approval held') && audited.includes('approval released'));
    assert.ok(verifyAuditLog(t.audit).ok);
  });

  it('refuses a denied job with the reason, and runs nothing', async () => {
    const { t, dir, ask } = await held();
    const sentinel = join(dir, 'sentinel');
    const task = ask(`touch ${sentinel}`);
    const hold = await task.held;
    t.approvals.decide(hold.approval, 'denied', 'alice', Date.now(), 'not on a Friday');
    const refusal = rejected(await task.outcome);
    assert.equal(refusal.stage, 'approval');
    assert.equal(refusal.reason, 'denied by alice: not on a Friday');
    assert.equal(existsSync(sentinel), false);
  });

  it('refuses a job nobody approved in time (fail closed); a late approval is an error', async () => {
    const { t, dir, ask } = await held({ windowMs: 400 });
    const sentinel = join(dir, 'sentinel');
    const task = ask(`touch ${sentinel}`);
    const hold = await task.held;
    const refusal = rejected(await task.outcome);
    assert.equal(refusal.stage, 'approval');
    assert.match(refusal.reason, /^no one approved it before \S+Z \(approval apr-\w+\): refused/);
    assert.throws(
      () => t.approvals.decide(hold.approval, 'approved', 'alice', Date.now()),
      (e: Error & { kind?: string }) =>
        e.kind === 'refused' && /is already expired/.test(e.message),
    );
    assert.equal(existsSync(sentinel), false);
    assert.ok(events(t).includes('approval expired'));
  });

  it('refuses an approved job at release when the policy no longer admits it', async () => {
    const { t, dir, ask } = await held();
    const sentinel = join(dir, 'sentinel');
    const task = ask(`touch ${sentinel}`);
    const hold = await task.held;
    // The owner removes the rule while the job waits.
    writeFileSync(t.policyFile, '', { mode: 0o600 });
    t.approvals.decide(hold.approval, 'approved', 'alice', Date.now());
    const refusal = rejected(await task.outcome);
    assert.equal(refusal.stage, 'approval');
    assert.match(
      refusal.reason,
      /^approved by alice, but refused at release: the policy no longer admits it: /,
    );
    assert.equal(existsSync(sentinel), false);
    assert.equal(t.approvals.get(hold.approval)?.status, 'refused');
    assert.ok(events(t).includes('approval refused'));
  });

  it('refuses an approved job at release when its requester is no longer trusted', async () => {
    const { t, dir, ask } = await held();
    const sentinel = join(dir, 'sentinel');
    const task = ask(`touch ${sentinel}`);
    const hold = await task.held;
    t.trust.remove(TEST_BOSS);
    t.approvals.decide(hold.approval, 'approved', 'alice', Date.now());
    const refusal = rejected(await task.outcome);
    assert.match(
      refusal.reason,
      /refused at release: agt-\w+'s key SHA256:\S+ is no longer trusted/,
    );
    assert.equal(existsSync(sentinel), false);
  });

  it('drops a held job its requester cancels, and refuses a second decision', async () => {
    const { t, ask } = await held();
    const controller = new AbortController();
    const task = ask('true', controller.signal);
    const hold = await task.held;
    controller.abort();
    const refusal = rejected(await task.outcome);
    assert.equal(refusal.stage, 'cancelled');
    assert.equal(t.approvals.get(hold.approval)?.status, 'cancelled');
    assert.throws(
      () => t.approvals.decide(hold.approval, 'approved', 'alice', Date.now()),
      /is already cancelled/,
    );
    assert.throws(
      () => t.approvals.decide('apr-aaaaaaaa', 'approved', 'alice', Date.now()),
      (e: Error & { kind?: string }) =>
        e.kind === 'usage' && /no held job apr-aaaaaaaa/.test(e.message),
    );
  });

  it('refuses what its worker held before a restart, and what it holds when it stops', async () => {
    let earlier = '';
    const { t, ask, refusals } = await held({
      before: (dir) => {
        // A job the previous session host held when it died.
        const store = new ApprovalStore(join(dir, 'worker-data'));
        earlier = store.hold({
          nonce: 'AAAAAAAAAAAAAAAAAAAAAA',
          requester: { agent: TEST_BOSS, fingerprint: 'SHA256:x', address: 'fake:boss' },
          run: 'r0',
          job: 'old',
          step: '0',
          command: '/bin/sh',
          args: [],
          cwd: dir,
          env: [],
          rule: 0,
          heldAt: Date.now(),
          expiresAt: Date.now() + 60_000,
          holder: { address: 'fake:worker', pid: process.pid },
        }).id;
        store.close();
      },
    });
    assert.equal(t.approvals.get(earlier)?.status, 'expired');
    for (let i = 0; refusals.length === 0 && i < 100; i++)
      await new Promise((resolve) => setTimeout(resolve, 20));
    assert.match(refusals[0] ?? '', /"re":"AAAAAAAAAAAAAAAAAAAAAA"/);
    assert.match(refusals[0] ?? '', /the worker restarted while the job waited for approval/);
    const task = ask('true');
    const hold = await task.held;
    await t.stop();
    const refusal = rejected(await task.outcome);
    assert.equal(refusal.stage, 'approval');
    assert.match(refusal.reason, /^the worker stopped while the job waited for approval/);
    const reopened = new ApprovalStore(dirname(t.approvals.path));
    assert.equal(reopened.get(hold.approval)?.status, 'expired');
    reopened.close();
  });
});
