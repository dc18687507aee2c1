/**
 * A host's whole life (lock, socket, connect, serve, stop) and the way commands reach one,
 * with in-process hosts standing in for the background process the CLI spawns.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { after, describe, it } from 'node:test';
import { AuthError } from '../../../src/errors.ts';
import type { RemoteTransport } from '../../../src/session/client.ts';
import { hostStatus, stopHost } from '../../../src/session/control.ts';
import { ensureSafeDir, sessionFiles } from '../../../src/session/files.ts';
import { runHostProcess, type HostOutcome } from '../../../src/session/host-process.ts';
import { connectOrStart } from '../../../src/session/launcher.ts';
import { readLock } from '../../../src/session/lock.ts';
import type { Readiness } from '../../../src/session/protocol.ts';
import { FakeNetwork, type FakeTransport } from '../../../src/transport/fake.ts';
import type { TransportEvent } from '../../../src/transport/transport.ts';
import { EventRecorder } from '../../support/event-recorder.ts';
import { tempDir } from '../../support/session.ts';

const { dir, cleanup } = tempDir();
const running: Promise<unknown>[] = [];
const opened: RemoteTransport[] = [];
after(async () => {
  await Promise.allSettled(opened.map((t) => t.close()));
  await Promise.allSettled(running);
  cleanup();
});

let profiles = 0;
/** A profile of its own, and a way to run in-process hosts for it. */
function profile(options: { idleMs?: number; open?: () => Promise<FakeTransport> } = {}) {
  const net = new FakeNetwork();
  const name = `p${String(++profiles)}`;
  const files = sessionFiles(name, { data: dir }, {});
  const stop = new AbortController();
  const transports: FakeTransport[] = [];
  const open =
    options.open ??
    (async () => {
      const t = net.transport(name);
      await t.connect();
      transports.push(t);
      return t;
    });
  /** Start a host like `daemon run --background` would; resolves with its readiness. */
  const start = (): Promise<Readiness> => {
    const { promise, resolve } = Promise.withResolvers<Readiness>();
    const outcome: Promise<HostOutcome | undefined> = runHostProcess({
      files,
      network: 'fake',
      version: '0.0.0-test',
      open,
      idleMs: options.idleMs,
      signal: stop.signal,
      log: () => undefined,
      onReady: resolve,
      lockWaitMs: 2000,
    }).catch(() => undefined);
    running.push(outcome);
    return promise;
  };
  const connect = async (): Promise<RemoteTransport> => {
    const t = await connectOrStart({ files, network: 'fake', start });
    opened.push(t);
    return t;
  };
  return { net, name, files, stop, start, connect, transports };
}

const mode = (path: string): number => statSync(path).mode & 0o777;

describe('session host process', () => {
  it('starts one host on first use; later commands use it', async () => {
    const p = profile();
    const first = await p.connect();
    assert.equal(first.address, `fake:${p.name}`);
    const second = await p.connect();
    assert.equal(p.transports.length, 1, 'one connection for the profile');
    const status = await hostStatus(p.files);
    assert.equal(status?.pid, process.pid);
    assert.equal(status?.clients, 2);
    assert.equal(status?.state, 'online');
    assert.equal(mode(p.files.dir), 0o700);
    assert.equal(mode(p.files.socket), 0o600);
    assert.equal(mode(p.files.lock), 0o600);
    assert.equal(mode(dirname(p.files.socket)), 0o700);
    await first.close();
    await second.close();
    assert.equal(await stopHost(p.files, { timeoutMs: 5000 }), process.pid);
    assert.equal(await hostStatus(p.files), undefined);
  });

  it('two commands racing to start a host end up on the same one', async () => {
    const p = profile();
    const starts: Readiness[] = [];
    const start = async (): Promise<Readiness> => {
      const readiness = await p.start();
      starts.push(readiness);
      return readiness;
    };
    const [a, b] = await Promise.all([
      connectOrStart({ files: p.files, network: 'fake', start }),
      connectOrStart({ files: p.files, network: 'fake', start }),
    ]);
    opened.push(a, b);
    assert.equal(p.transports.length, 1, 'exactly one host connected');
    assert.equal(starts.filter((r) => r.ready).length, 1, 'exactly one host won');
    assert.ok(
      starts.some((r) => !r.ready && 'running' in r),
      'the other learnt of the winner',
    );
    assert.equal((await hostStatus(p.files))?.clients, 2);
    await stopHost(p.files, { timeoutMs: 5000 });
  });

  it('a host that cannot connect reports the error class to the command and leaves nothing behind', async () => {
    const p = profile({
      open: () => Promise.reject(new AuthError('the server refused the password for a@b')),
    });
    await assert.rejects(
      p.connect(),
      (e: unknown) =>
        e instanceof AuthError && e.message === 'the server refused the password for a@b',
    );
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.equal(readLock(p.files.lock), undefined, 'lock released');
    assert.equal(existsSync(p.files.socket), false, 'socket removed');
  });

  it('a profile held by a process that never answers is refused, saying which', async () => {
    const p = profile();
    ensureSafeDir(p.files.dir);
    const stuck = { pid: process.pid, socket: `${dir}/nobody.sock`, startedAt: 'x', token: 't' };
    writeFileSync(p.files.lock, JSON.stringify(stuck));
    const readiness = await p.start();
    assert.ok(!readiness.ready && 'error' in readiness);
    assert.equal(readiness.error.kind, 'refused');
    assert.match(
      readiness.error.message,
      new RegExp(
        `\\(pid ${String(process.pid)}\\) holds .* but has not answered on .*nobody\\.sock`,
      ),
    );
    rmSync(p.files.lock);
  });

  it('exits when idle, keeps undelivered messages, and the next host delivers them', async () => {
    const p = profile({ idleMs: 100 });
    const client = await p.connect();
    await client.close();
    const sender = p.net.transport('sender');
    await sender.connect();
    await sender.send(
      { kind: 'direct', address: `fake:${p.name}` },
      { type: 'text', text: 'nobody listened' },
    );
    for (let waited = 0; readLock(p.files.lock) !== undefined && waited < 3000; waited += 20)
      await new Promise((resolve) => setTimeout(resolve, 20));
    assert.equal(readLock(p.files.lock), undefined, 'the idle host has exited');
    assert.equal(p.transports[0]?.state, 'closed');
    assert.match(readFileSync(p.files.inbox, 'utf8'), /nobody listened/);
    assert.equal(mode(p.files.inbox), 0o600);
    const next = await p.connect();
    const events = new EventRecorder(next);
    const got = await events.waitFor((e: TransportEvent) => e.type === 'text');
    assert.deepEqual(got.type === 'text' && [got.text, got.delayed], ['nobody listened', true]);
    assert.equal(existsSync(p.files.inbox), false);
    await next.close();
    await stopHost(p.files, { timeoutMs: 5000 });
  });

  it('stops on its signal (SIGTERM) and daemon stop waits for it', async () => {
    const p = profile();
    await p.connect();
    p.stop.abort();
    for (let waited = 0; readLock(p.files.lock) !== undefined && waited < 3000; waited += 20)
      await new Promise((resolve) => setTimeout(resolve, 20));
    assert.equal(readLock(p.files.lock), undefined);
    assert.equal(await hostStatus(p.files), undefined);
    assert.equal(await stopHost(p.files, { timeoutMs: 1000 }), undefined, 'nothing to stop');
  });
});
