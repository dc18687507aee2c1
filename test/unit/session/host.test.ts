/**
 * The session host with several clients over real Unix sockets, serving FakeTransports.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { receive } from '../../../src/cli/commands/listen-action.ts';
import { sendOnce } from '../../../src/cli/commands/send-action.ts';
import { ConfigError, InterruptedError, NetworkError, UsageError } from '../../../src/errors.ts';
import { RemoteTransport } from '../../../src/session/client.ts';
import type { SessionHost } from '../../../src/session/host.ts';
import { FakeNetwork, FakeTransport } from '../../../src/transport/fake.ts';
import type { BlobRef, TransportEvent, WaitOptions } from '../../../src/transport/transport.ts';
import { EventRecorder } from '../../support/event-recorder.ts';
import { RawSessionClient } from '../../support/raw-session.ts';
import { clientOf, connectedClient, serveTransport, tempDir } from '../../support/session.ts';

const { dir, cleanup } = tempDir();
const hosts: SessionHost[] = [];
const clients: RemoteTransport[] = [];
after(async () => {
  await Promise.allSettled(clients.map((c) => c.close()));
  await Promise.allSettled(hosts.map((h) => h.stop('test over')));
  cleanup();
});

let names = 0;
/** A network with one served peer (`served`) and one plain peer (`other`). */
async function setUp(
  options: { idleMs?: number; transport?: (net: FakeNetwork, name: string) => FakeTransport } = {},
) {
  const net = new FakeNetwork();
  const name = `p${String(++names)}`;
  const served = options.transport?.(net, name) ?? net.transport(name);
  await served.connect();
  const other = net.transport(`other${String(names)}`);
  await other.connect();
  const host = await serveTransport(served, dir, {
    ...(options.idleMs === undefined ? {} : { idleMs: options.idleMs }),
  });
  hosts.push(host);
  const client = async (): Promise<RemoteTransport> => {
    const c = await connectedClient(host);
    clients.push(c);
    return c;
  };
  return { net, served, other, host, client };
}

const text = (e: TransportEvent): string | undefined => (e.type === 'text' ? e.text : undefined);
const settle = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 50));

describe('session host', () => {
  it('answers malformed lines with an error and keeps serving', async () => {
    const { host } = await setUp();
    const raw = await RawSessionClient.connect(host.status().socket);
    raw.write('this is not json\n');
    raw.request(1, 'format-disk');
    raw.request(2, 'send', { target: 'nobody' });
    raw.request(3, 'hello', { version: 1 });
    raw.request(4, 'send', { target: { kind: 'direct' }, content: { type: 'text', text: 'x' } });
    raw.write(`${'x'.repeat(70 * 1024 * 1024)}\n`);
    raw.request(5, 'status');
    const lines = await raw.waitForLines(7, 15_000);
    assert.deepEqual(lines[0], {
      error: {
        kind: 'internal',
        message:
          'malformed session request: expected one JSON object per line, got "this is not json"',
      },
    });
    assert.match(
      JSON.stringify(lines[1]),
      /"id":1,"error":\{"kind":"internal","message":"malformed session request: expected \\"method\\" to be one of/,
    );
    assert.deepEqual(lines[2], {
      id: 2,
      error: { kind: 'internal', message: 'session request send before hello: say hello first' },
    });
    assert.equal((lines[3] as { id: number }).id, 3);
    assert.deepEqual(lines[4], {
      id: 4,
      error: {
        kind: 'internal',
        message:
          'session request send: expected params.target to be a direct or workspace target, got an object {"kind":"direct"}',
      },
    });
    assert.deepEqual(lines[5], {
      error: { kind: 'internal', message: 'session request too long: 73400320 bytes' },
    });
    assert.equal((lines[6] as { id: number; result: { state: string } }).result.state, 'online');
    assert.equal(raw.closed, false, 'the connection survives all of it');
    raw.close();
  });

  it('refuses a client speaking another protocol version with a config error', async () => {
    const { host } = await setUp();
    const raw = await RawSessionClient.connect(host.status().socket);
    raw.request(1, 'hello', { version: 99 });
    const [answer] = await raw.waitForLines(1);
    assert.match(
      JSON.stringify(answer),
      /"kind":"config".*speaks session protocol v1, this command 99; stop the host with `mx-agent daemon stop`/,
    );
    raw.close();
  });

  it('fans events out to every subscribed client; a client that leaves loses its subscription', async () => {
    const { other, served, host, client } = await setUp();
    const a = await client();
    const b = await client();
    const aEvents = new EventRecorder(a);
    const bEvents = new EventRecorder(b);
    await settle();
    assert.equal(host.status().clients, 2);
    await other.send(
      { kind: 'direct', address: served.address },
      { type: 'text', text: 'to both' },
    );
    await aEvents.waitFor((e) => text(e) === 'to both');
    await bEvents.waitFor((e) => text(e) === 'to both');
    await a.close();
    await settle();
    assert.equal(host.status().clients, 1);
    await other.send({ kind: 'direct', address: served.address }, { type: 'text', text: 'to b' });
    await bEvents.waitFor((e) => text(e) === 'to b');
    assert.deepEqual(aEvents.texts(), ['to both']);
    bEvents.stop();
    await settle();
    await other.send({ kind: 'direct', address: served.address }, { type: 'text', text: 'kept' });
    await settle();
    assert.deepEqual(bEvents.texts(), ['to both', 'to b'], 'unsubscribed: nothing more');
    assert.equal(host.status().undelivered, 1, 'nobody listened: kept for the next listener');
    const later = new EventRecorder(b);
    const kept = await later.waitFor((e) => text(e) === 'kept');
    assert.equal(kept.type === 'text' && kept.delayed, true);
    assert.equal(host.status().undelivered, 0);
  });

  it('a direct message that arrives before anyone listens waits for the first listener', async () => {
    const { other, served, client } = await setUp();
    await other.send({ kind: 'direct', address: served.address }, { type: 'text', text: 'early' });
    const c = await client();
    const outcome = await receive(
      c,
      { workspaces: [], count: 1, timeoutMs: 5000, signal: new AbortController().signal },
      () => undefined,
      () => undefined,
    );
    assert.deepEqual(outcome, { reason: 'count', received: 1 });
  });

  it('send joining and leaving a workspace does not pull it away from a listener on the same host', async () => {
    const { other, served, client } = await setUp();
    const listener = await client();
    const sender = await client();
    const seen: string[] = [];
    const stop = new AbortController();
    const listening = receive(
      listener,
      { workspaces: ['#team'], count: 2, timeoutMs: 5000, signal: stop.signal },
      (e) => {
        if (e.type === 'text') seen.push(e.text);
      },
      () => undefined,
    );
    await other.joinWorkspace('#team');
    await settle();
    const sent = await sendOnce(sender, '#team', { type: 'text', text: 'from the same profile' });
    assert.equal(sent.target, 'workspace');
    assert.deepEqual(sender.joinedWorkspaces(), [], 'the sender let go of its lease');
    assert.deepEqual(served.joinedWorkspaces(), ['#team'], 'the listener still holds it');
    await other.send({ kind: 'workspace', workspace: '#team' }, { type: 'text', text: 'one' });
    await other.send({ kind: 'workspace', workspace: '#team' }, { type: 'text', text: 'two' });
    assert.deepEqual(await listening, { reason: 'count', received: 2 });
    assert.deepEqual(seen, ['one', 'two']);
  });

  it('workspace operations need the client’s own join, as on a transport of its own', async () => {
    const { client } = await setUp();
    const a = await client();
    const b = await client();
    await a.joinWorkspace('#shared');
    await assert.rejects(
      b.send({ kind: 'workspace', workspace: '#shared' }, { type: 'text', text: 'x' }),
      (e: unknown) =>
        e instanceof UsageError && e.message === 'not joined to workspace "#shared": join it first',
    );
    await assert.rejects(b.getState('#shared', 'test.card', 'k'), UsageError);
    const info = await b.joinWorkspace('#shared');
    assert.equal(info.created, false);
    await b.putState('#shared', 'test.card', 'k', { v: 1 });
    assert.deepEqual(await a.getState('#shared', 'test.card', 'k'), { v: 1 });
  });

  it('leaves the workspaces of a client that disconnects, unless another holds them', async () => {
    const { other, served, client } = await setUp();
    await other.joinWorkspace('#w');
    const seen = new EventRecorder(other);
    const a = await client();
    const b = await client();
    await a.joinWorkspace('#w');
    await b.joinWorkspace('#w');
    await a.close();
    await settle();
    assert.deepEqual(served.joinedWorkspaces(), ['#w']);
    await b.close();
    await seen.waitFor(
      (e) => e.type === 'presence' && e.from === served.address && e.availability === 'offline',
    );
    assert.deepEqual(served.joinedWorkspaces(), []);
  });

  it('aborts the requests of a client that goes away', async () => {
    const signals: AbortSignal[] = [];
    class StuckBlobs extends FakeTransport {
      override getBlob(_ref: BlobRef, options?: WaitOptions): Promise<Uint8Array> {
        const signal = options?.signal;
        if (signal) signals.push(signal);
        return new Promise((_resolve, reject) => {
          signal?.addEventListener('abort', () => {
            reject(new InterruptedError('aborted'));
          });
        });
      }
    }
    const { client } = await setUp({
      transport: (net, name) => new StuckBlobs(net, `fake:${name}`),
    });
    const ref = { uri: 'fake-blob:x', size: 1, sha256: '0'.repeat(64) };
    const a = await client();
    const pending = a.getBlob(ref);
    await settle();
    assert.equal(signals.length, 1);
    assert.equal(signals[0]?.aborted, false);
    const failed = assert.rejects(
      pending,
      (e: unknown) => e instanceof NetworkError && /closed/.test(e.message),
    );
    await a.close();
    await failed;
    await settle();
    assert.equal(signals[0]?.aborted, true, 'the host stopped working for a client that left');
    const b = await client();
    const stop = new AbortController();
    const cancelled = b.getBlob(ref, { signal: stop.signal });
    await settle();
    stop.abort();
    await assert.rejects(cancelled, InterruptedError);
    await settle();
    assert.equal(signals[1]?.aborted, true, 'Ctrl-C in the client cancels the work in the host');
  });

  it('when the host stops, pending calls fail and listeners hear why', async () => {
    const { host, client } = await setUp();
    const a = await client();
    const events = new EventRecorder(a);
    const stop = new AbortController();
    const listening = receive(
      a,
      { workspaces: [], signal: stop.signal },
      () => undefined,
      () => undefined,
    );
    const ended = assert.rejects(
      listening,
      (e: unknown) => e instanceof NetworkError && /stopped: asked to stop/.test(e.message),
    );
    await host.stop('asked to stop (mx-agent daemon stop)');
    const gone = await events.waitFor((e) => e.type === 'connection' && e.state === 'offline');
    assert.equal(
      gone.type === 'connection' ? gone.error?.message : '',
      'the session host of profile "test" stopped: asked to stop (mx-agent daemon stop)',
    );
    await ended;
    await assert.rejects(a.resolveTarget('fake:x'), /not connected/);
  });

  it('stops on its own after the idle time without clients, closing its connection', async () => {
    const { host, served, client } = await setUp({ idleMs: 150 });
    const a = await client();
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.equal(served.state, 'online', 'a connected client keeps it up');
    await a.close();
    const started = Date.now();
    // Asking for its status (as `daemon status` does) does not keep it alive.
    let stoppedAt = 0;
    void host.closed.then(() => (stoppedAt = Date.now()));
    while (stoppedAt === 0 && Date.now() - started < 1000) {
      const raw = await RawSessionClient.connect(host.status().socket).catch(() => undefined);
      raw?.request(1, 'status');
      await raw?.waitForLines(1).catch(() => undefined);
      raw?.close();
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    assert.equal(await host.closed, 'no command used it for 150 ms');
    assert.ok(stoppedAt - started >= 100, `stopped after ${String(stoppedAt - started)} ms`);
    assert.ok(stoppedAt - started < 400, 'status requests did not restart the idle time');
    assert.equal(served.state, 'closed');
  });

  it('a client that connects while the host is still connecting waits, then gets its error', async () => {
    const { SessionHost } = await import('../../../src/session/host.ts');
    const host = new SessionHost({
      socketPath: `${dir}/starting.sock`,
      profile: 'starting',
      network: 'fake',
      version: '0',
    });
    hosts.push(host);
    await host.listen();
    const early = new RemoteTransport({
      socketPath: `${dir}/starting.sock`,
      profile: 'starting',
      network: 'fake',
    });
    const connecting = early.connect();
    await settle();
    assert.equal(host.status().state, 'starting');
    host.fail(new ConfigError('the secret of profile "starting" is missing'));
    await assert.rejects(
      connecting,
      (e: unknown) => e instanceof ConfigError && /secret/.test(e.message),
    );
  });

  it('mirrors the host connection state to every client', async () => {
    const { net, client } = await setUp();
    const a = await client();
    const events = new EventRecorder(a);
    const outage = net.interrupt(100);
    await events.waitFor((e) => e.type === 'connection' && e.state === 'reconnecting');
    assert.equal(a.state, 'reconnecting');
    await outage;
    const states = await events.waitForCount((e) => e.type === 'connection', 2);
    assert.deepEqual(
      states.map((e) => (e.type === 'connection' ? e.state : '')),
      ['reconnecting', 'online'],
    );
    assert.equal(a.state, 'online');
  });

  it('a client is not connected until connect, and says so', async () => {
    const { host } = await setUp();
    const c = clientOf(host);
    await assert.rejects(c.resolveTarget('fake:x'), /not connected/);
    assert.equal(c.state, 'offline');
  });
});
