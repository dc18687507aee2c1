/**
 * The Prosody child process: find the commands, spawn `prosody -F`, stop it, and make sure it
 * never outlives the Node process that started it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { Socket } from 'node:net';
import { delimiter, join } from 'node:path';

/** The absolute path of an executable on PATH (or in /usr/bin, where Debian puts Prosody). */
export function findExecutable(name: string): string | undefined {
  const dirs = [...(process.env.PATH ?? '').split(delimiter).filter(Boolean), '/usr/bin'];
  for (const dir of dirs) {
    const file = join(dir, name);
    try {
      accessSync(file, constants.X_OK);
      return file;
    } catch {
      // not here; try the next directory
    }
  }
  return undefined;
}

/** The prosody command, or an error saying how to install it. */
export function requireExecutable(name: 'prosody' | 'prosodyctl'): string {
  const file = findExecutable(name);
  if (file === undefined) {
    throw new Error(`${name} not found on PATH or in /usr/bin: apt-get install prosody`);
  }
  return file;
}

const running = new Set<ChildProcess>();

// A synchronous last resort for a process that exits without stopping its servers. The watchdog
// below covers deaths that skip 'exit' handlers (SIGKILL, an unhandled SIGTERM from the runner).
process.on('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

/** Pipes and processes we own must not keep the test process alive. */
function unrefAll(child: ChildProcess): void {
  child.unref();
  for (const stream of child.stdio) if (stream instanceof Socket) stream.unref();
}

/**
 * `sh` blocks reading a pipe only we hold; when this process dies, for whatever reason, the pipe
 * closes, `read` returns and Prosody gets SIGTERM.
 */
function spawnWatchdog(pid: number): ChildProcess {
  const watchdog = spawn(
    'sh',
    ['-c', 'read -r _; kill -TERM "$1" 2>/dev/null', 'watchdog', `${pid}`],
    {
      stdio: ['pipe', 'ignore', 'ignore'],
    },
  );
  unrefAll(watchdog);
  return watchdog;
}

/** A started `prosody -F`. */
export interface ProsodyProcess {
  /** Aborted when the process has exited; the reason says how. */
  readonly exited: AbortSignal;
  /** The last few kilobytes Prosody wrote to stderr (errors before its log is set up). */
  stderr(): string;
  /** SIGTERM, then SIGKILL if it has not exited after `graceMs`; resolves once it has exited. */
  stop(graceMs: number): Promise<void>;
}

/** Start `prosody --config FILE -F` (foreground, so it stays our child). */
export function spawnProsody(configFile: string): ProsodyProcess {
  const child = spawn(requireExecutable('prosody'), ['--config', configFile, '-F'], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const exit = new AbortController();
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4000);
  });
  running.add(child);
  const watchdog = child.pid === undefined ? undefined : spawnWatchdog(child.pid);
  const exited = (how: string): void => {
    running.delete(child);
    watchdog?.kill('SIGKILL');
    exit.abort(new Error(how));
  };
  child.once('exit', (code, signal) => {
    exited(`prosody exited with ${signal ?? `code ${String(code)}`}`);
  });
  child.once('error', (error) => {
    exited(`prosody could not be started: ${error.message}`);
  });
  unrefAll(child);

  return {
    exited: exit.signal,
    stderr: () => stderr,
    async stop(graceMs) {
      if (exit.signal.aborted) return;
      const done = new Promise<void>((resolve) => {
        exit.signal.addEventListener(
          'abort',
          () => {
            resolve();
          },
          { once: true },
        );
      });
      child.ref(); // keep this process alive until the exit is seen
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await done;
      clearTimeout(timer);
    },
  };
}
