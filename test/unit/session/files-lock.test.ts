import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  readFileSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { ConfigError, RefusedError } from '../../../src/errors.ts';
import { MAX_SOCKET_PATH_BYTES, ensureSafeDir, sessionFiles } from '../../../src/session/files.ts';
import { SessionHost } from '../../../src/session/host.ts';
import { acquireLock, isAlive, readLock } from '../../../src/session/lock.ts';
import { RawSessionClient } from '../../support/raw-session.ts';
import { tempDir } from '../../support/session.ts';

const { dir, cleanup } = tempDir();
after(cleanup);

const mode = (path: string): number => statSync(path).mode & 0o777;
/** The pid of a process that has exited. */
const deadPid = (): number => {
  const child = spawnSync(process.execPath, ['-e', '0']);
  assert.ok(child.pid !== undefined && !isAlive(child.pid));
  return child.pid;
};
const never = (): Promise<boolean> => Promise.resolve(false);
const always = (): Promise<boolean> => Promise.resolve(true);

describe('session files', () => {
  it('keeps lock, log and inbox in <data>/sessions and the socket there too when it fits', () => {
    const files = sessionFiles('alice@example.org', { data: '/home/a/.local/share/mx-agent' }, {});
    assert.deepEqual(files, {
      profile: 'alice@example.org',
      dir: '/home/a/.local/share/mx-agent/sessions',
      lock: '/home/a/.local/share/mx-agent/sessions/alice@example.org.lock',
      log: '/home/a/.local/share/mx-agent/sessions/alice@example.org.log',
      inbox: '/home/a/.local/share/mx-agent/sessions/alice@example.org.inbox.jsonl',
      socket: '/home/a/.local/share/mx-agent/sessions/alice@example.org.sock',
    });
  });

  it('puts the socket under $XDG_RUNTIME_DIR/mx-agent, named per data directory', () => {
    const env = { XDG_RUNTIME_DIR: '/run/user/1000' };
    const a = sessionFiles('work', { data: '/home/a/data-one' }, env);
    const b = sessionFiles('work', { data: '/home/a/data-two' }, env);
    assert.match(a.socket, /^\/run\/user\/1000\/mx-agent\/work-[0-9a-f]{12}\.sock$/);
    assert.notEqual(a.socket, b.socket, 'two data directories, two hosts');
    assert.equal(a.lock, '/home/a/data-one/sessions/work.lock', 'the lock stays with the data');
  });

  it('falls back to a short socket path when the usual one is too long for a Unix socket', () => {
    const deep = `/home/a/${'very-long-directory-name/'.repeat(5)}mx-agent`;
    const files = sessionFiles('alice@example.org', { data: deep }, {});
    assert.ok(Buffer.byteLength(files.socket) <= MAX_SOCKET_PATH_BYTES, files.socket);
    assert.match(files.socket, /\/mx-agent-\d+\/[0-9a-f]{24}\.sock$/);
    assert.equal(files.lock, `${deep}/sessions/alice@example.org.lock`);
  });

  it('makes private directories, tightens its own loose one, refuses a symlink', () => {
    const fresh = join(dir, 'fresh', 'sessions');
    ensureSafeDir(fresh);
    assert.equal(mode(fresh), 0o700);
    const loose = join(dir, 'loose');
    mkdirSync(loose, { mode: 0o755 });
    chmodSync(loose, 0o755);
    ensureSafeDir(loose);
    assert.equal(mode(loose), 0o700);
    const link = join(dir, 'link');
    symlinkSync(fresh, link);
    assert.throws(
      () => {
        ensureSafeDir(link);
      },
      (e: unknown) => e instanceof ConfigError && /is a symlink or a file/.test(e.message),
    );
  });
});

describe('session lock', () => {
  it('one host takes it; a second finds the first, and may not remove its lock', async () => {
    const path = join(dir, 'one.lock');
    const first = await acquireLock(path, '/s1.sock', { probe: always, waitMs: 500 });
    assert.equal(first.held, false);
    assert.equal(mode(path), 0o600);
    const second = await acquireLock(path, '/s2.sock', { probe: always, waitMs: 500 });
    assert.ok(second.held);
    assert.deepEqual([second.by.pid, second.by.socket], [process.pid, '/s1.sock']);
    if (!first.held) first.lock.release();
    assert.equal(readLock(path), undefined);
  });

  it('breaks a stale lock left by a dead process', async () => {
    const path = join(dir, 'stale.lock');
    const pid = deadPid();
    writeFileSync(
      path,
      JSON.stringify({ pid, socket: '/old.sock', startedAt: '2020-01-01T00:00:00Z', token: 'x' }),
    );
    const taken = await acquireLock(path, '/new.sock', { probe: never, waitMs: 500 });
    assert.equal(taken.held, false);
    assert.equal(readLock(path)?.pid, process.pid);
    assert.equal(readLock(path)?.socket, '/new.sock');
  });

  it(
    'breaks a lock whose pid now belongs to another process',
    { skip: !existsSync('/proc/self/stat') && 'needs /proc' },
    async () => {
      const path = join(dir, 'reused.lock');
      const lock = { pid: process.pid, socket: '/old.sock', startedAt: 'x', token: 'old' };
      writeFileSync(path, JSON.stringify({ ...lock, processStart: '1' }));
      const taken = await acquireLock(path, '/new.sock', { probe: always, waitMs: 500 });
      assert.equal(taken.held, false, 'our pid, but not the process that wrote the lock');
      assert.equal(readLock(path)?.socket, '/new.sock');
      assert.match(readLock(path)?.processStart ?? '', /^\d+$/);
    },
  );

  it('waits for a live holder that does not answer, then refuses naming it', async () => {
    const path = join(dir, 'busy.lock');
    const first = await acquireLock(path, '/busy.sock', { probe: never, waitMs: 100 });
    assert.equal(first.held, false);
    const started = Date.now();
    await assert.rejects(
      acquireLock(path, '/other.sock', { probe: never, waitMs: 300 }),
      (e: unknown) =>
        e instanceof RefusedError &&
        e.message.startsWith(
          `the session host of this profile (pid ${String(process.pid)}) holds ${path} but has not answered on /busy.sock for 300 ms`,
        ),
    );
    assert.ok(Date.now() - started >= 300);
    // Once the holder lets go, the waiting one gets it.
    const waiting = acquireLock(path, '/other.sock', { probe: never, waitMs: 2000 });
    setTimeout(() => {
      if (!first.held) first.lock.release();
    }, 200);
    assert.equal((await waiting).held, false);
    assert.equal(readLock(path)?.socket, '/other.sock');
  });

  it(
    'counts an exited but unreaped host (a zombie) as gone',
    { skip: !existsSync('/proc/self/stat') && 'needs /proc' },
    async () => {
      // `sleep 0` exits at once; its parent exec()s into `sleep 2`, which never reaps it.
      const parent = spawn('sh', ['-c', 'sleep 0 & echo $!; exec sleep 2'], {
        stdio: ['ignore', 'pipe', 'ignore'],
      });
      const pid = Number((await once(parent.stdout, 'data')).toString().trim());
      await new Promise((resolve) => setTimeout(resolve, 200));
      assert.doesNotThrow(() => process.kill(pid, 0), 'the pid still exists');
      assert.equal(isAlive(pid), false);
      assert.equal(isAlive(process.pid), true);
      parent.kill();
    },
  );

  it('release leaves a lock that is no longer ours alone', async () => {
    const path = join(dir, 'replaced.lock');
    const taken = await acquireLock(path, '/a.sock', { probe: never, waitMs: 100 });
    assert.equal(taken.held, false);
    const foreign = JSON.stringify({ pid: 1, socket: '/b.sock', startedAt: 'x', token: 'other' });
    writeFileSync(path, foreign);
    if (!taken.held) taken.lock.release();
    assert.equal(readFileSync(path, 'utf8'), foreign);
  });
});

describe('session socket', () => {
  it('is created mode 0600, replacing a stale socket but never another kind of file', async () => {
    const socketPath = join(dir, 'host.sock');
    // A host killed with SIGKILL leaves its socket file behind.
    const killed = spawnSync(process.execPath, [
      '-e',
      `require('node:net').createServer().listen(${JSON.stringify(socketPath)}, () => process.kill(process.pid, 'SIGKILL'))`,
    ]);
    assert.equal(killed.signal, 'SIGKILL');
    assert.ok(statSync(socketPath).isSocket(), 'a stale socket is there');
    const options = { socketPath, profile: 'p', network: 'fake', version: '0' } as const;
    const host = new SessionHost(options);
    await host.listen();
    assert.equal(mode(socketPath), 0o600);
    assert.equal((await RawSessionClient.connect(socketPath)).closed, false, 'and it answers');
    await host.stop('test');
    assert.throws(() => statSync(socketPath), /ENOENT/, 'a stopped host removes its socket');
    const file = join(dir, 'not-a-socket');
    writeFileSync(file, 'data');
    const refused = new SessionHost({ ...options, socketPath: file });
    await assert.rejects(
      refused.listen(),
      (e: unknown) =>
        e instanceof ConfigError && /expected .* to be a stale session socket/.test(e.message),
    );
    assert.equal(readFileSync(file, 'utf8'), 'data');
  });
});
