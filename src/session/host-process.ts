/**
 * A session host's whole life in its own process (`mx-agent daemon run`): take the profile's
 * lock, listen, connect, serve until stopped (signal, `daemon stop`, idle, or a connection that
 * ended for good), then close the connection, keep undelivered messages, and free the lock.
 */
import { dirname } from 'node:path';
import { messageOf } from '../errors.ts';
import type { Network, Transport } from '../transport/transport.ts';
import { ensureSafeDir, type SessionFiles } from './files.ts';
import { SessionHost, type HostCompanion } from './host.ts';
import type { HostLog } from './log.ts';
import { loadInbox, saveInbox } from './inbox.ts';
import { acquireLock, type LockOutcome } from './lock.ts';
import { toWireError, type Readiness } from './protocol.ts';
import { probeSocket } from './socket.ts';

/** How long a new host waits for a previous one that is still shutting down. */
export const LOCK_WAIT_MS = 15_000;

/** What a host process needs. */
export interface HostProcessOptions {
  readonly files: SessionFiles;
  readonly network: Network;
  readonly version: string;
  /** Connect the profile's transport (this is where the secret is read — here only). */
  readonly open: (signal: AbortSignal) => Promise<Transport>;
  /** Exit after this long without clients; undefined: run until stopped. */
  readonly idleMs: number | undefined;
  /** Aborted on SIGINT/SIGTERM: stop gracefully. */
  readonly signal: AbortSignal;
  readonly log: HostLog;
  /** Runs beside the host while it serves (the agent's presence). */
  readonly companion?: HostCompanion;
  /** Called once: serving, failed, or another host already serves the profile. */
  readonly onReady?: (readiness: Readiness) => void;
  readonly lockWaitMs?: number;
}

/** How a host process ended. */
export type HostOutcome =
  | { readonly outcome: 'stopped'; readonly reason: string }
  | { readonly outcome: 'already-running'; readonly pid: number };

/** Run a host until it stops. A connection failure is reported through onReady, then thrown. */
export async function runHostProcess(options: HostProcessOptions): Promise<HostOutcome> {
  const { files, log } = options;
  let acquired: LockOutcome;
  try {
    ensureSafeDir(files.dir);
    ensureSafeDir(dirname(files.socket));
    acquired = await acquireLock(files.lock, files.socket, {
      probe: probeSocket,
      waitMs: options.lockWaitMs ?? LOCK_WAIT_MS,
      signal: options.signal,
    });
  } catch (error) {
    options.onReady?.({ ready: false, error: toWireError(error) });
    throw error;
  }
  if (acquired.held) {
    log(
      'debug',
      `the session host with pid ${String(acquired.by.pid)} already serves this profile`,
    );
    options.onReady?.({ ready: false, running: { pid: acquired.by.pid } });
    return { outcome: 'already-running', pid: acquired.by.pid };
  }
  const { lock } = acquired;
  const host = new SessionHost({
    socketPath: files.socket,
    profile: files.profile,
    network: options.network,
    version: options.version,
    ...(options.idleMs === undefined ? {} : { idleMs: options.idleMs }),
    inbox: loadInbox(files.inbox),
    log,
    ...(options.companion ? { companion: options.companion } : {}),
  });
  const onAbort = (): void => {
    void host.stop('the host process was asked to stop (SIGTERM or SIGINT)');
  };
  try {
    let transport: Transport;
    try {
      await host.listen();
      options.signal.addEventListener('abort', onAbort, { once: true });
      if (options.signal.aborted) onAbort();
      transport = await options.open(AbortSignal.any([options.signal, host.stopSignal]));
    } catch (error) {
      host.fail(error);
      options.onReady?.({ ready: false, error: toWireError(error) });
      await host.stop(`could not start: ${messageOf(error)}`);
      throw error;
    }
    host.serve(transport);
    options.onReady?.({ ready: true, pid: process.pid, address: transport.address });
    const reason = await host.closed;
    return { outcome: 'stopped', reason };
  } finally {
    options.signal.removeEventListener('abort', onAbort);
    await host.stop('the host process is ending');
    saveUndelivered(host, files, log);
    lock.release();
  }
}

function saveUndelivered(host: SessionHost, files: SessionFiles, log: HostLog): void {
  const undelivered = host.undelivered();
  if (undelivered.length === 0) return;
  try {
    saveInbox(files.inbox, undelivered);
    const count =
      undelivered.length === 1
        ? '1 undelivered message'
        : `${String(undelivered.length)} undelivered messages`;
    log('info', `kept ${count} for the next host`);
  } catch (error) {
    log('warn', `lost ${String(undelivered.length)} undelivered messages: ${messageOf(error)}`);
  }
}
