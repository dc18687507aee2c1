/**
 * How a command reaches its profile's session host: connect to the one that runs, or start one
 * in the background and connect once it reports ready. When two commands race to start one,
 * the lock lets exactly one host win; the other learns so from its readiness line and connects
 * to the winner. A host's failure to connect (wrong password, unreachable server) arrives as
 * the same error class, so the command exits with the same code as if it had connected itself.
 */
import { spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync, renameSync, statSync } from 'node:fs';
import { InternalError, InterruptedError, NetworkError, messageOf, quote } from '../errors.ts';
import { formatMs } from '../transport/deadline.ts';
import type { Network } from '../transport/transport.ts';
import { RemoteTransport } from './client.ts';
import { ensureSafeDir, type SessionFiles } from './files.ts';
import { holderAlive, readLock } from './lock.ts';
import { fromWireError, parseReadiness, type Readiness } from './protocol.ts';
import { READINESS_FD } from './readiness.ts';
import { HostUnavailableError } from './socket.ts';

/** The command line that runs a host in the background (`mx-agent … daemon run --background`). */
export interface HostCommand {
  readonly execPath: string;
  readonly args: readonly string[];
  readonly env: NodeJS.ProcessEnv;
  readonly cwd: string;
}

/** Start a host; resolves with what it reported. */
export type StartHost = () => Promise<Readiness>;

const ATTEMPTS = 3;
const MAX_READINESS_BYTES = 64 * 1024;
const MAX_LOG_BYTES = 1024 * 1024;

/** A connected RemoteTransport to the profile's host, started if none runs. */
export async function connectOrStart(options: {
  readonly files: SessionFiles;
  readonly network: Network;
  readonly start: StartHost;
  readonly signal?: AbortSignal;
  readonly log?: (message: string) => void;
}): Promise<RemoteTransport> {
  const { files, signal } = options;
  const log = options.log ?? (() => undefined);
  let last: Error | undefined;
  for (let attempt = 1; attempt <= ATTEMPTS; attempt++) {
    const lock = readLock(files.lock);
    if (lock !== undefined && holderAlive(lock)) {
      const transport = new RemoteTransport({
        socketPath: lock.socket,
        profile: files.profile,
        network: options.network,
      });
      try {
        await transport.connect(signal === undefined ? {} : { signal });
        return transport;
      } catch (error) {
        if (!(error instanceof HostUnavailableError)) throw error;
        last = error;
        log(`session host (pid ${String(lock.pid)}) unavailable: ${error.message}`);
      }
    }
    log(`starting a session host for profile ${quote(files.profile)}`);
    const readiness = await options.start();
    if ('error' in readiness) throw fromWireError(readiness.error);
    log(
      readiness.ready
        ? `session host ready (pid ${String(readiness.pid)})`
        : `session host pid ${String(readiness.running.pid)} won the race to start`,
    );
  }
  throw new NetworkError(
    `could not reach the session host of profile ${quote(files.profile)} after ${String(ATTEMPTS)} attempts${last ? ` (${last.message})` : ''}; its log is ${files.log}`,
  );
}

/**
 * Spawn a detached host process and wait for its one readiness line (readiness.ts: on fd 3).
 * Its stdout and stderr go to the profile's 0600 log file; nothing of it stays attached to
 * this process.
 */
export async function spawnHost(
  command: HostCommand,
  files: SessionFiles,
  options: { timeoutMs: number; signal?: AbortSignal },
): Promise<Readiness> {
  ensureSafeDir(files.dir);
  rotateLog(files.log);
  const logFd = openSync(files.log, 'a', 0o600);
  let child;
  try {
    child = spawn(command.execPath, [...command.args], {
      detached: true,
      stdio: ['ignore', logFd, logFd, 'pipe'],
      env: command.env,
      cwd: command.cwd,
    });
  } finally {
    closeSync(logFd);
  }
  const { promise, resolve, reject } = Promise.withResolvers<Readiness>();
  const readiness = child.stdio[READINESS_FD];
  let output = '';
  const onData = (chunk: Buffer): void => {
    output += chunk.toString('utf8');
    const newline = output.indexOf('\n');
    if (newline === -1 && output.length < MAX_READINESS_BYTES) return;
    const parsed = parseReadiness(output.slice(0, newline === -1 ? undefined : newline));
    if (parsed.ok) resolve(parsed.value);
    else
      reject(
        new InternalError(`the session host's readiness report was unreadable: ${parsed.reason}`),
      );
  };
  const onExit = (code: number | null, signal: NodeJS.Signals | null): void => {
    const how = code === null ? `signal ${String(signal)}` : `exit code ${String(code)}`;
    reject(
      new InternalError(
        `the session host exited before it was ready (${how}); the end of its log (${files.log}): ${logTail(files.log)}`,
      ),
    );
  };
  const onError = (error: Error): void => {
    reject(
      new InternalError(`could not start the session host: ${messageOf(error)}`, { cause: error }),
    );
  };
  const onAbort = (): void => {
    reject(new InterruptedError('interrupted while the session host was starting'));
  };
  const timer = setTimeout(() => {
    reject(
      new NetworkError(
        `the session host did not report ready within ${formatMs(options.timeoutMs)}; see its log, ${files.log}`,
      ),
    );
  }, options.timeoutMs);
  readiness?.on('data', onData);
  child.once('close', onExit);
  child.once('error', onError);
  options.signal?.addEventListener('abort', onAbort, { once: true });
  try {
    return await promise;
  } finally {
    clearTimeout(timer);
    options.signal?.removeEventListener('abort', onAbort);
    child.off('close', onExit);
    child.off('error', onError);
    // The host lives on alone: no pipe, no reference keeps this process waiting for it.
    readiness?.destroy();
    child.unref();
  }
}

/** Keep the log from growing without end: past 1 MiB it becomes `.log.1`, replacing the old one. */
function rotateLog(path: string): void {
  try {
    if (statSync(path).size > MAX_LOG_BYTES) renameSync(path, `${path}.1`);
  } catch {
    // No log yet.
  }
}

/** The last line of the log, for an error message. */
function logTail(path: string): string {
  try {
    const lines = readFileSync(path, 'utf8').trimEnd().split('\n');
    return lines.at(-1) || '(empty)';
  } catch {
    return '(no log)';
  }
}
