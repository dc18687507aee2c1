/**
 * The program a stream shares: in a pseudo-terminal (node-pty) when there is a terminal to
 * share, or with plain pipes in pipe mode (CI logs, `| tee`). Either way output arrives as raw
 * bytes — never decoded, so invalid UTF-8 and binary survive — and the exit is reported as a
 * code or a signal name.
 */
import { spawn as spawnChild } from 'node:child_process';
import { constants } from 'node:os';
import { UsageError, quote } from '../errors.ts';

/** How a program ended. */
export interface ProgramExit {
  /** The exit code, or null when a signal ended it. */
  readonly exitCode: number | null;
  readonly signal?: string;
}

/** A running program. */
export interface RunningProgram {
  readonly pid: number;
  readonly mode: 'pty' | 'pipe';
  /** Output: `fd` 1 or 2 in pipe mode, always 1 in a pty. */
  onData(listener: (bytes: Uint8Array, fd: 1 | 2) => void): void;
  onExit(listener: (exit: ProgramExit) => void): void;
  /** Keystrokes or stdin bytes. */
  write(bytes: Uint8Array): void;
  /** No more input (pipe mode: close stdin; a pty has no end of input but ^D). */
  endInput(): void;
  resize(cols: number, rows: number): void;
  pause(): void;
  resume(): void;
  kill(signal?: NodeJS.Signals): void;
}

/** What to run and where. */
export interface ProgramSpec {
  readonly command: string;
  readonly args: readonly string[];
  readonly cwd: string;
  readonly env: NodeJS.ProcessEnv;
  readonly cols: number;
  readonly rows: number;
  /** TERM for the pty. */
  readonly term: string;
}

/** The name of signal number `n` (SIGINT), or `SIG<n>` when unknown. */
export function signalName(n: number): string {
  const entry = Object.entries(constants.signals).find(([, value]) => value === n);
  return entry ? entry[0] : `SIG${String(n)}`;
}

/** Our own exit code for a program's exit: its code, or 128 + the signal number (as shells do). */
export function exitCodeOf(exit: ProgramExit): number {
  if (exit.exitCode !== null) return exit.exitCode;
  const number = constants.signals[exit.signal as NodeJS.Signals] as number | undefined;
  return 128 + (number ?? 1);
}

/** Start `spec` in a pseudo-terminal. */
export async function spawnPty(spec: ProgramSpec): Promise<RunningProgram> {
  const pty = await import('node-pty');
  let child: import('node-pty').IPty;
  try {
    child = pty.spawn(spec.command, [...spec.args], {
      name: spec.term,
      cols: spec.cols,
      rows: spec.rows,
      cwd: spec.cwd,
      env: spec.env,
      // Raw bytes: decoding here would turn invalid UTF-8 into U+FFFD before anyone saw it.
      encoding: null,
    });
  } catch (error) {
    throw spawnFailed(spec, error);
  }
  return {
    pid: child.pid,
    mode: 'pty',
    onData: (listener) => {
      child.onData((data: string | Buffer) => {
        listener(typeof data === 'string' ? Buffer.from(data) : data, 1);
      });
    },
    onExit: (listener) => {
      child.onExit(({ exitCode, signal }) => {
        listener(signal ? { exitCode: null, signal: signalName(signal) } : { exitCode });
      });
    },
    write: (bytes) => {
      child.write(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
    },
    endInput: () => undefined,
    resize: (cols, rows) => {
      child.resize(cols, rows);
    },
    pause: () => {
      child.pause();
    },
    resume: () => {
      child.resume();
    },
    kill: (signal) => {
      child.kill(signal);
    },
  };
}

/** Start `spec` with pipes: stdout and stderr are captured, stdin is ours to write. */
export function spawnPipe(spec: ProgramSpec): Promise<RunningProgram> {
  const child = spawnChild(spec.command, [...spec.args], {
    cwd: spec.cwd,
    env: spec.env,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  return new Promise((resolve, reject) => {
    child.once('error', (error) => {
      reject(spawnFailed(spec, error));
    });
    child.once('spawn', () => {
      const { stdin, stdout, stderr } = child;
      stdin.on('error', () => undefined); // the program may exit without reading its input
      resolve({
        pid: child.pid ?? 0,
        mode: 'pipe',
        onData: (listener) => {
          stdout.on('data', (b: Buffer) => {
            listener(b, 1);
          });
          stderr.on('data', (b: Buffer) => {
            listener(b, 2);
          });
        },
        onExit: (listener) => {
          // 'close', not 'exit': every byte of output has been read by then.
          child.once('close', (code, signal) => {
            listener(signal ? { exitCode: null, signal } : { exitCode: code ?? 0 });
          });
        },
        write: (bytes) => {
          if (stdin.writable) stdin.write(bytes);
        },
        endInput: () => {
          stdin.end();
        },
        resize: () => undefined,
        pause: () => {
          stdout.pause();
          stderr.pause();
        },
        resume: () => {
          stdout.resume();
          stderr.resume();
        },
        kill: (signal) => {
          child.kill(signal);
        },
      });
    });
  });
}

function spawnFailed(spec: ProgramSpec, error: unknown): UsageError {
  const code = (error as NodeJS.ErrnoException).code;
  const why =
    code === 'ENOENT' ? 'no such command' : code === 'EACCES' ? 'not executable' : String(error);
  return new UsageError(`cannot run ${quote(spec.command)}: ${why}`, { cause: error });
}
