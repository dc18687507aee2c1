/**
 * A lock file for read-modify-write of a small shared file (profiles.json): two `mx-agent login`
 * run at once in one installation must not lose each other's profile. Synchronous, like the
 * stores it guards: the lock is held for a read and a write, microseconds. A lock left by a
 * process that died holding it is taken over once it is older than STALE_MS.
 */
import { closeSync, openSync, rmSync, statSync } from 'node:fs';
import { ConfigError } from '../errors.ts';

/** How long to wait for another process's lock before giving up. */
const WAIT_MS = 5000;
/** A lock this old belongs to a process that died holding it. */
const STALE_MS = 10_000;
/** Pause between attempts. */
const RETRY_MS = 5;

const sleeper = new Int32Array(new SharedArrayBuffer(4));

/** Run `fn` holding `<file>.lock`; ConfigError when another process holds it too long. */
export function withFileLock<T>(file: string, fn: () => T): T {
  const lock = `${file}.lock`;
  const deadline = Date.now() + WAIT_MS;
  for (;;) {
    try {
      closeSync(openSync(lock, 'wx', 0o600));
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      if (isStale(lock)) rmSync(lock, { force: true });
      else if (Date.now() > deadline)
        throw new ConfigError(
          `expected to lock ${file} within ${String(WAIT_MS / 1000)} s, but ${lock} stayed; remove it if no mx-agent is running`,
        );
      else Atomics.wait(sleeper, 0, 0, RETRY_MS);
    }
  }
  try {
    return fn();
  } finally {
    rmSync(lock, { force: true });
  }
}

function isStale(lock: string): boolean {
  try {
    return Date.now() - statSync(lock).mtimeMs > STALE_MS;
  } catch {
    return false; // Gone meanwhile: the next attempt takes it.
  }
}
