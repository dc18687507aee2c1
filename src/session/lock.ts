/**
 * The lock that makes one host per profile: a file created atomically (written aside, then
 * hard-linked into place, so nobody ever reads it half-written) holding the host's pid, its
 * socket and a token. A lock whose pid is dead is stale and broken — under a second, short
 * "breaker" lock, so two processes that both found it stale cannot remove each other's new one.
 */
import { randomBytes } from 'node:crypto';
import { linkSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { RefusedError, messageOf } from '../errors.ts';
import { formatMs, sleep } from '../transport/deadline.ts';
import { isAlive, processStart } from '../processes.ts';
import { errnoCode } from './errno.ts';

export { isAlive } from '../processes.ts';
import { isObject } from './shapes.ts';

/** What the lock file says. */
export interface LockInfo {
  readonly pid: number;
  readonly socket: string;
  readonly startedAt: string;
  readonly token: string;
  /** The holder's start time as the kernel counts it (Linux), to tell a reused pid apart. */
  readonly processStart?: string;
}

/** A lock this process holds. */
export interface HeldLock {
  readonly info: LockInfo;
  /** Remove the lock file, unless someone else's lock has replaced it. Idempotent. */
  release(): void;
}

/** Either we hold the lock now, or a live host does (and answers on its socket). */
export type LockOutcome =
  | { readonly held: false; readonly lock: HeldLock }
  | { readonly held: true; readonly by: LockInfo };

/** How long a breaker lock may live before it is presumed left by a crash. */
const BREAKER_STALE_MS = 10_000;
const RETRY_MS = 100;

/** The lock at `path`, or undefined when there is none or it is unreadable. */
export function readLock(path: string): LockInfo | undefined {
  const text = readText(path);
  return text === undefined ? undefined : parseLock(text);
}

/** True while the process that took the lock still runs: same pid, and not a later one reusing it. */
export function holderAlive(info: LockInfo): boolean {
  if (!isAlive(info.pid)) return false;
  const start = processStart(info.pid);
  return info.processStart === undefined || start === undefined || start === info.processStart;
}

/**
 * Take the lock at `path` for a host that will listen on `socket`. When a live process holds
 * it and `probe` finds its socket answering, report that host. A live holder that does not
 * answer is starting up or shutting down: wait for it up to `waitMs`, then refuse, naming it.
 */
export async function acquireLock(
  path: string,
  socket: string,
  options: { probe: (socket: string) => Promise<boolean>; waitMs: number; signal?: AbortSignal },
): Promise<LockOutcome> {
  let info: LockInfo = {
    pid: process.pid,
    socket,
    startedAt: new Date().toISOString(),
    token: randomBytes(8).toString('hex'),
  };
  const start = processStart(process.pid);
  if (start !== undefined) info = { ...info, processStart: start };
  const deadline = Date.now() + options.waitMs;
  for (;;) {
    if (tryCreate(path, info)) return { held: false, lock: heldLock(path, info) };
    const text = readText(path);
    const other = text === undefined ? undefined : parseLock(text);
    if (text === undefined) continue; // released between our attempt and the read: try again
    if (other === undefined || !holderAlive(other)) breakStale(path, text);
    else if (await options.probe(other.socket)) return { held: true, by: other };
    else if (Date.now() > deadline)
      throw new RefusedError(
        `the session host of this profile (pid ${String(other.pid)}) holds ${path} but has not answered on ${other.socket} for ${formatMs(options.waitMs)}; if it is stuck, end it with \`kill ${String(other.pid)}\``,
      );
    else await sleep(RETRY_MS, options.signal);
  }
}

function tryCreate(path: string, info: LockInfo): boolean {
  const temp = `${path}.${info.token}.tmp`;
  writeFileSync(temp, `${JSON.stringify(info)}\n`, { mode: 0o600, flag: 'wx' });
  try {
    linkSync(temp, path);
    return true;
  } catch (error) {
    if (errnoCode(error) === 'EEXIST') return false;
    throw error;
  } finally {
    rmSync(temp, { force: true });
  }
}

function heldLock(path: string, info: LockInfo): HeldLock {
  let released = false;
  return {
    info,
    release: () => {
      if (released) return;
      released = true;
      if (readLock(path)?.token === info.token) rmSync(path, { force: true });
    },
  };
}

/** Remove a stale lock whose content is `stale`, unless it changed meanwhile. */
function breakStale(path: string, stale: string): void {
  const breaker = `${path}.break`;
  try {
    writeFileSync(breaker, String(process.pid), { mode: 0o600, flag: 'wx' });
  } catch (error) {
    if (errnoCode(error) !== 'EEXIST') throw error;
    // Someone else is breaking it; a breaker left by a crash is removed once it is old.
    if (ageMs(breaker) > BREAKER_STALE_MS) rmSync(breaker, { force: true });
    return;
  }
  try {
    if (readText(path) === stale) rmSync(path, { force: true });
  } finally {
    rmSync(breaker, { force: true });
  }
}

function readText(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    if (errnoCode(error) === 'ENOENT') return undefined;
    throw new RefusedError(`cannot read the session lock ${path}: ${messageOf(error)}`, {
      cause: error,
    });
  }
}

function parseLock(text: string): LockInfo | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (
    isObject(value) &&
    typeof value.pid === 'number' &&
    Number.isSafeInteger(value.pid) &&
    value.pid > 0 &&
    typeof value.socket === 'string' &&
    typeof value.startedAt === 'string' &&
    typeof value.token === 'string' &&
    (value.processStart === undefined || typeof value.processStart === 'string')
  )
    return {
      pid: value.pid,
      socket: value.socket,
      startedAt: value.startedAt,
      token: value.token,
      ...(typeof value.processStart === 'string' ? { processStart: value.processStart } : {}),
    };
  return undefined;
}

function ageMs(path: string): number {
  try {
    return Date.now() - statSync(path).mtimeMs;
  } catch {
    return 0;
  }
}
