import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { signEnvelope } from '../../../src/protocol/signed.ts';
import { verifyAuditLog } from '../../../src/security/audit-log.ts';
import { generateSigningKey, type SigningKey } from '../../../src/security/signing-key.ts';
import { FakeNetwork, type FakeTransport } from '../../../src/transport/fake.ts';
import type { Transport } from '../../../src/transport/transport.ts';
import { runRemoteTask, type TaskOutcome } from '../../../src/workflow/task-client.ts';
import { TASK_KINDS, taskSpecToJson, type TaskSpec } from '../../../src/workflow/task-protocol.ts';
import type { Worker } from '../../../src/workflow/worker.ts';
import { TEST_BOSS, TEST_WORKER, startTestWorker } from '../../support/test-worker.ts';

const WORKER = TEST_WORKER;
const BOSS = TEST_BOSS;
const STRANGER = 'agt-strangerstranger';

interface Bed {
  worker: Worker;
  workerT: FakeTransport;
  bossT: FakeTransport;
  bossKey: SigningKey;
  workerKey: SigningKey;
  dir: string;
  audit: string;
}

const stops: (() => Promise<void>)[] = [];
after(async () => {
  for (const stop of stops) await stop();
});

/** A worker trusting BOSS, with a policy allowing /bin/sh in its directory (no sandbox needed). */
async function bed(): Promise<Bed> {
  const dir = mkdtempSync(join(tmpdir(), 'mx-worker-'));
  const net = new FakeNetwork();
  const workerT = net.transport('worker');
  const bossT = net.transport('boss');
  await Promise.all([workerT.connect(), bossT.connect()]);
  const t = startTestWorker(workerT, dir, 'env = ["GREETING"]\ntimeout = "20s"\n');
  stops.push(() => t.stop());
  return {
    worker: t.worker,
    workerT,
    bossT,
    bossKey: t.bossKey,
    workerKey: t.workerKey,
    dir,
    audit: t.audit,
  };
}

function spec(b: Bed, script: string, extra: Partial<TaskSpec> = {}): TaskSpec {
  return {
    run: 'r1',
    job: 'build',
    step: '0',
    attempt: 1,
    command: '/bin/sh',
    args: ['-c', script],
    cwd: b.dir,
    env: {},
    ...extra,
  };
}

async function ask(
  b: Bed,
  task: TaskSpec,
  options: { key?: SigningKey; agent?: string; signal?: AbortSignal } = {},
) {
  let output = '';
  const outcome = await runRemoteTask(b.bossT, {
    agent: options.agent ?? BOSS,
    key: options.key ?? b.bossKey,
    worker: { agent: WORKER, address: b.workerT.address, publicKey: b.workerKey.publicRaw },
    spec: task,
    answerTimeoutMs: 5000,
    ...(options.signal ? { signal: options.signal } : {}),
    onOutput: (_s, data) => {
      output += Buffer.from(data).toString();
    },
  });
  return { outcome, output };
}

const rejected = (o: TaskOutcome): { stage: string; reason: string } => {
  assert.equal(o.kind, 'rejected', JSON.stringify(o));
  return o;
};

describe('the worker and the requesting side, on the fake network', () => {
  it('runs an admitted job: output in order, outputs, a signed result, all audited', async () => {
    const b = await bed();
    const { outcome, output } = await ask(
      b,
      spec(
        b,
        'for i in 1 2 3 4 5; do echo line $i; done; echo "::output greeting=$GREETING"; echo oops >&2; exit 3',
        {
          env: { GREETING: 'hello there' },
        },
      ),
    );
    assert.equal(outcome.kind, 'result');
    if (outcome.kind !== 'result') return;
    assert.equal(outcome.result.exitCode, 3);
    assert.deepEqual(outcome.result.outputs, { greeting: 'hello there' });
    assert.match(output, /line 1\nline 2\nline 3\nline 4\nline 5\n::output greeting=hello there\n/);
    assert.match(output, /oops/);
    const verdict = verifyAuditLog(b.audit);
    assert.ok(verdict.ok && verdict.records >= 2);
  });

  it('refuses untrusted, forged, replayed and policy-denied requests, and runs none of them', async () => {
    const b = await bed();
    const sentinel = join(b.dir, 'sentinel');
    const touch = spec(b, `touch ${sentinel}`);
    // A key the worker does not trust.
    const stranger = rejected(
      (await ask(b, touch, { key: generateSigningKey(), agent: STRANGER })).outcome,
    );
    assert.equal(stranger.stage, 'trust');
    // The trusted agent's id with another key.
    const wrongKey = rejected((await ask(b, touch, { key: generateSigningKey() })).outcome);
    assert.equal(wrongKey.stage, 'trust');
    assert.match(wrongKey.reason, /SHA256:/);
    // A command the policy does not name, a directory outside it, a forbidden variable.
    const denied = rejected(
      (await ask(b, { ...touch, command: '/usr/bin/touch', args: [sentinel] })).outcome,
    );
    assert.equal(denied.stage, 'policy');
    const outside = rejected((await ask(b, { ...touch, cwd: tmpdir() })).outcome);
    assert.equal(outside.stage, 'policy');
    const preload = rejected(
      (await ask(b, { ...touch, env: { LD_PRELOAD: '/tmp/x.so' } })).outcome,
    );
    assert.match(preload.reason, /LD_PRELOAD/);
    // A forged body, and a replayed genuine request, sent by hand.
    const genuine = signEnvelope(b.bossKey, {
      kind: TASK_KINDS.request,
      agent: BOSS,
      body: taskSpecToJson(spec(b, 'true')),
      lifetimeMs: 60_000,
    });
    const answers: string[] = [];
    b.bossT.subscribe((e) => {
      if (e.type === 'payload' && e.payload.kind === TASK_KINDS.rejected)
        answers.push(JSON.stringify(e.payload.body.body));
    });
    const forged = { ...genuine, body: taskSpecToJson(touch) };
    const send = (body: object) =>
      b.bossT.send(
        { kind: 'direct', address: b.workerT.address },
        { type: 'payload', payload: { kind: TASK_KINDS.request, version: 1, body: body as never } },
      );
    // A genuine signature on something else: a cancel passed off as a request.
    const cancel = signEnvelope(b.bossKey, {
      kind: TASK_KINDS.cancel,
      agent: BOSS,
      body: taskSpecToJson(touch),
      lifetimeMs: 60_000,
    });
    await send(forged);
    await send(genuine);
    await send(genuine);
    await send(cancel);
    const deadline = Date.now() + 5000;
    while (answers.length < 3 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    assert.match(answers[0] ?? '', /"stage":"signature"/);
    assert.match(answers[1] ?? '', /"stage":"replay"/);
    assert.match(answers[2] ?? '', /signed as task\.cancel, not as task\.request/);
    assert.equal(existsSync(sentinel), false, 'nothing ran');
    const verdict = verifyAuditLog(b.audit);
    assert.ok(verdict.ok && verdict.records >= 8, JSON.stringify(verdict));
  });

  it('cancels a running job when the requester aborts, killing its processes', async () => {
    const b = await bed();
    const controller = new AbortController();
    const pending = ask(b, spec(b, 'echo started; sleep 30; echo never'), {
      signal: controller.signal,
    });
    const deadline = Date.now() + 5000;
    while (b.worker.running === 0 && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 20));
    await new Promise((r) => setTimeout(r, 100));
    controller.abort();
    const { outcome, output } = await pending;
    assert.equal(outcome.kind, 'result');
    if (outcome.kind === 'result') assert.equal(outcome.result.cancelled, true);
    assert.doesNotMatch(output, /never/);
    assert.equal(b.worker.running, 0);
  });

  it('runs a request delivered twice once, and its requester follows that run', async () => {
    const b = await bed();
    // A network that delivers every message twice (a resent stanza, a repeated sync).
    const twice = new Proxy(b.bossT, {
      get(target, prop, receiver) {
        if (prop !== 'send') {
          const value: unknown = Reflect.get(target, prop, receiver);
          return typeof value === 'function' ? (value.bind(target) as unknown) : value;
        }
        return async (...args: Parameters<Transport['send']>) => {
          const receipt = await target.send(...args);
          await target.send(...args);
          return receipt;
        };
      },
    });
    const ran = join(b.dir, 'ran');
    const outcome = await runRemoteTask(twice, {
      agent: BOSS,
      key: b.bossKey,
      worker: { agent: WORKER, address: b.workerT.address, publicKey: b.workerKey.publicRaw },
      spec: spec(b, `sleep 0.3; echo once >> ${ran}`),
      answerTimeoutMs: 5000,
    });
    assert.equal(outcome.kind, 'result', JSON.stringify(outcome));
    if (outcome.kind === 'result') assert.equal(outcome.result.exitCode, 0);
    assert.equal(readFileSync(ran, 'utf8'), 'once\n');
  });

  it('believes answers only from the worker asked, signed by its key', async () => {
    const b = await bed();
    const notes: string[] = [];
    const impostorKey = generateSigningKey();
    // The requester expects the worker's key; a worker answering with another key is not believed.
    const outcome = runRemoteTask(b.bossT, {
      agent: BOSS,
      key: b.bossKey,
      worker: { agent: WORKER, address: b.workerT.address, publicKey: impostorKey.publicRaw },
      spec: spec(b, 'true'),
      answerTimeoutMs: 1500,
      onRejected: (reason) => notes.push(reason),
    });
    await assert.rejects(outcome, /did not answer the task request/);
    assert.ok(notes.length > 0, 'the unbelieved answers were reported');
  });
});
