import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { FakeNetwork, type FakeTransport } from '../../../src/transport/fake.ts';
import type { Transport, TransportEvent } from '../../../src/transport/transport.ts';
import { runRemoteTask } from '../../../src/workflow/task-client.ts';
import { taskStreamId } from '../../../src/workflow/task-stream.ts';
import { TEST_BOSS, TEST_WORKER, startTestWorker } from '../../support/test-worker.ts';

const stops: (() => Promise<void>)[] = [];
after(async () => {
  for (const stop of stops) await stop();
});

async function bed() {
  const dir = mkdtempSync(join(tmpdir(), 'mx-task-stream-'));
  const net = new FakeNetwork();
  const workerT = net.transport('worker');
  const bossT = net.transport('boss');
  await Promise.all([workerT.connect(), bossT.connect()]);
  const t = startTestWorker(workerT, dir, 'timeout = "20s"\n');
  stops.push(() => t.stop());
  return { ...t, workerT, bossT, dir };
}

/** The requester's transport, with the stream payloads it receives changed on the way. */
function tamper(
  transport: FakeTransport,
  change: (event: TransportEvent, deliver: () => void) => void,
): Transport {
  return new Proxy(transport, {
    get(target, prop, receiver) {
      if (prop === 'subscribe')
        return (listener: (event: TransportEvent) => void) =>
          target.subscribe((event) => {
            if (event.type === 'payload' && event.payload.kind.startsWith('stream.'))
              change(event, () => {
                listener(event);
              });
            else listener(event);
          });
      const value: unknown = Reflect.get(target, prop, receiver);
      return typeof value === 'function' ? (value.bind(target) as unknown) : value;
    },
  });
}

async function run(b: Awaited<ReturnType<typeof bed>>, script: string, via?: Transport) {
  const out = { stdout: '', stderr: '', both: '' };
  const payloads: { kind: string; blob: boolean; stream: unknown }[] = [];
  const unsubscribe = b.bossT.subscribe((event) => {
    if (event.type === 'payload' && event.payload.kind.startsWith('stream.'))
      payloads.push({
        kind: event.payload.kind,
        blob: 'blob' in event.payload.body,
        stream: event.payload.body.stream,
      });
  });
  const outcome = await runRemoteTask(via ?? b.bossT, {
    agent: TEST_BOSS,
    key: b.bossKey,
    worker: { agent: TEST_WORKER, address: b.workerT.address, publicKey: b.workerKey.publicRaw },
    spec: {
      run: 'r1',
      job: 'out',
      step: '0',
      attempt: 1,
      command: '/bin/sh',
      args: ['-c', script],
      cwd: b.dir,
      env: {},
    },
    answerTimeoutMs: 5000,
    onOutput: (stream, data) => {
      const text = Buffer.from(data).toString();
      out[stream] += text;
      out.both += text;
    },
  });
  unsubscribe();
  assert.equal(outcome.kind, 'result', JSON.stringify(outcome));
  return { outcome, out, payloads };
}

const numbers = (n: number): string =>
  Array.from({ length: n }, (_, i) => `${String(i + 1)}\n`).join('');

describe("a task's output as streams, on the fake network", () => {
  it('sends 3 MB of output complete and in order, in blob chunks', async () => {
    const b = await bed();
    const { outcome, out, payloads } = await run(b, 'seq 1 450000; echo "::output last=yes"');
    assert.equal(out.stdout, `${numbers(450_000)}::output last=yes\n`);
    if (outcome.kind === 'result') {
      assert.equal(outcome.result.outputBytes, out.stdout.length);
      // Past the first MiB of stdout, `::output` lines are not read (as before).
      assert.deepEqual(outcome.result.outputs, {});
    }
    assert.ok(
      payloads.some((p) => p.kind === 'stream.chunk' && p.blob),
      'large output goes as blobs',
    );
    assert.ok(payloads.filter((p) => p.kind === 'stream.chunk').length < 100, 'coalesced');
  });

  it('keeps stdout and stderr apart, each in its own stream, and only those written to', async () => {
    const b = await bed();
    const { out, outcome, payloads } = await run(
      b,
      'for i in 1 2 3; do echo out $i; echo err $i >&2; done; echo "::output x=1"',
    );
    assert.equal(out.stdout, 'out 1\nout 2\nout 3\n::output x=1\n');
    assert.equal(out.stderr, 'err 1\nerr 2\nerr 3\n');
    if (outcome.kind === 'result') assert.deepEqual(outcome.result.outputs, { x: '1' });
    const quiet = await run(b, 'echo only out');
    assert.equal(quiet.out.stderr, '');
    assert.deepEqual(new Set(quiet.payloads.map((p) => p.stream)).size, 1, 'no stderr stream');
    assert.equal(new Set(payloads.map((p) => p.stream)).size, 2);
  });

  it('waits for output the result overtook', async () => {
    const b = await bed();
    // Every stream event reaches the requester 300 ms late: after the result.
    const slow = tamper(b.bossT, (_event, deliver) => {
      setTimeout(deliver, 300);
    });
    const { out } = await run(b, 'echo first; printf "last words"', slow);
    assert.equal(out.stdout, 'first\nlast words');
  });

  it('fills an output event lost on the way from history', async () => {
    const b = await bed();
    // The first event numbered 1 never reaches the requester live (for any of its listeners).
    let lost: string | undefined;
    const lossy = tamper(b.bossT, (event, deliver) => {
      if (
        event.type === 'payload' &&
        event.payload.body.seq === 1 &&
        (lost ??= event.id) === event.id
      )
        return;
      deliver();
    });
    const { out } = await run(b, 'echo one; sleep 0.2; echo two; sleep 0.2; echo three', lossy);
    assert.notEqual(lost, undefined);
    assert.equal(out.stdout, 'one\ntwo\nthree\n');
  });

  it('derives its stream ids from the nonce, as the stream protocol spells them', () => {
    const id = taskStreamId('AAECAwQFBgcICQoLDA0ODw', 'stderr');
    assert.equal(id, 'task-000102030405060708090a0b0c0d0e0f-err');
  });
});
