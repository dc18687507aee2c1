/**
 * Running one admitted job on the worker: never through a shell, in a process group of its own
 * so that a timeout, a cancel or an output overrun ends everything it started, with exactly the
 * environment the policy admitted plus a fixed PATH, and in bubblewrap when there is one.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { dirname, isAbsolute } from 'node:path';
import type { Writable } from 'node:stream';
import {
  InternalError,
  RefusedError,
  RemoteFailureError,
  UsageError,
  messageOf,
} from '../errors.ts';
import {
  BUBBLEWRAP_INSTALL_HINT,
  detectSandbox,
  type SandboxSupport,
} from '../security/sandbox.ts';
import { isWithin } from '../security/policy-paths.ts';
import { MAX_DURATION_MS } from '../security/policy-values.ts';
import { JOB_PATH, SYSTEM_DIRS, sandboxOptions } from '../security/sandbox-argv.ts';
import { ProcessGroup } from './job-process-group.ts';

/** `required`: no sandbox, no run. `preferred`: run unsandboxed with a warning. `off`: never sandbox. */
export type SandboxMode = 'required' | 'preferred' | 'off';

/** Which output a chunk came from. */
export type OutputStream = 'stdout' | 'stderr';

/** One job to run. */
export interface JobProcessOptions {
  /** Absolute path of the executable (the policy's resolved command). */
  readonly command: string;
  readonly args: readonly string[];
  readonly cwd: string;
  /** The whole environment of the job, apart from PATH, which is always JOB_PATH. */
  readonly env: Readonly<Record<string, string>>;
  readonly timeoutMs: number;
  /** Bytes of stdout and stderr together forwarded to onOutput; past it the job is killed. */
  readonly maxOutputBytes: number;
  readonly sandbox: SandboxMode;
  /** Whether a sandboxed job keeps the network. */
  readonly network: boolean;
  /** Cancels the job: its process group is terminated. */
  readonly signal?: AbortSignal;
  readonly onOutput?: (stream: OutputStream, chunk: Buffer) => void;
  /** The sandbox this machine offers; detected (once per process) when absent. */
  readonly sandboxSupport?: SandboxSupport;
  /** More directories the sandboxed job may read (the command's own is added when needed). */
  readonly readOnly?: readonly string[];
}

/** How a job ended. */
export interface JobProcessResult {
  /** Exit code; in the sandbox, a job killed by signal N shows 128 + N here. */
  readonly exitCode: number | null;
  /** The signal that ended it, when it did not exit by itself. */
  readonly signal: string | null;
  readonly durationMs: number;
  readonly timedOut: boolean;
  readonly cancelled: boolean;
  /** Bytes forwarded to onOutput. */
  readonly outputBytes: number;
  /** Output went past maxOutputBytes: the rest was dropped and the job killed. */
  readonly truncated: boolean;
  readonly sandboxed: boolean;
  /** Something the requester should know, such as running without a sandbox. */
  readonly warning?: string;
}

/** Run the job to its end (or until it is stopped) and say how it ended. */
export async function runJobProcess(options: JobProcessOptions): Promise<JobProcessResult> {
  checkJob(options);
  const support =
    options.sandbox === 'off' ? undefined : (options.sandboxSupport ?? detectSandbox());
  if (options.sandbox === 'required' && support?.kind === 'none') {
    throw new RefusedError(
      `the policy requires a sandbox for this job, but ${support.reason}; ${BUBBLEWRAP_INSTALL_HINT}, ` +
        'or set require_sandbox = false for this rule in policy.toml to let it run unsandboxed',
    );
  }
  const bwrap = support?.kind === 'bubblewrap' ? support.path : undefined;
  const warning =
    support?.kind === 'none'
      ? `ran without a sandbox: ${support.reason}, so the job could read and write whatever this ` +
        `user can and use the network; ${BUBBLEWRAP_INSTALL_HINT}`
      : undefined;
  const started = Date.now();
  const ended = (fields: Partial<JobProcessResult>): JobProcessResult => ({
    exitCode: null,
    signal: null,
    durationMs: Date.now() - started,
    timedOut: false,
    cancelled: false,
    outputBytes: 0,
    truncated: false,
    sandboxed: bwrap !== undefined,
    ...(warning === undefined ? {} : { warning }),
    ...fields,
  });
  if (options.signal?.aborted === true) return ended({ cancelled: true, sandboxed: false });
  const child = bwrap === undefined ? spawnPlain(options) : spawnSandboxed(options, bwrap);
  return ended(await supervise(child, options));
}

function checkJob(options: JobProcessOptions): void {
  if (!isAbsolute(options.command)) {
    throw new InternalError(`a job's command must be an absolute path, got ${options.command}`);
  }
  const values = [options.command, options.cwd, ...options.args, ...Object.values(options.env)];
  if (values.some((value) => value.includes('\0'))) {
    throw new UsageError(
      'a job cannot have a NUL character in its command, arguments or environment',
    );
  }
}

function spawnPlain(options: JobProcessOptions): ChildProcess {
  return spawn(options.command, options.args, {
    cwd: options.cwd,
    env: { ...options.env, PATH: JOB_PATH },
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

/** bwrap reads its options from fd 3, where other users cannot see the environment's values. */
function spawnSandboxed(options: JobProcessOptions, bwrap: string): ChildProcess {
  // A program outside the system directories (a node under /opt, say) needs its own directory.
  const outside = !SYSTEM_DIRS.some((dir) => isWithin(dir, options.command));
  const readOnly = [...(options.readOnly ?? []), ...(outside ? [dirname(options.command)] : [])];
  const child = spawn(bwrap, ['--args', '3', '--', options.command, ...options.args], {
    cwd: options.cwd,
    env: { PATH: JOB_PATH },
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe', 'pipe'],
  });
  const optionsPipe = child.stdio[3] as Writable | null;
  optionsPipe?.on('error', () => undefined); // bwrap failing early closes it; its exit says why
  const spec = { ...options, writable: [options.cwd], readOnly };
  optionsPipe?.end(
    sandboxOptions(spec)
      .map((arg) => `${arg}\0`)
      .join(''),
  );
  return child;
}

type Outcome = Pick<
  JobProcessResult,
  'exitCode' | 'signal' | 'timedOut' | 'cancelled' | 'outputBytes' | 'truncated'
>;

/** Forward output, enforce the caps, and wait until the process and its output are done. */
function supervise(child: ChildProcess, options: JobProcessOptions): Promise<Outcome> {
  return new Promise((resolve, reject) => {
    const group = new ProcessGroup(child.pid);
    const state = { timedOut: false, cancelled: false, truncated: false, outputBytes: 0 };
    // Node fires a longer timer at once; the policy never sets one, but a caller could.
    const timer = setTimeout(
      () => {
        state.timedOut = true;
        group.terminate();
      },
      Math.min(options.timeoutMs, MAX_DURATION_MS),
    );
    const onAbort = (): void => {
      state.cancelled = true;
      group.terminate();
    };
    options.signal?.addEventListener('abort', onAbort, { once: true });
    const forward = (stream: OutputStream) => (chunk: Buffer) => {
      if (state.truncated) return;
      const room = options.maxOutputBytes - state.outputBytes;
      const part = chunk.length > room ? chunk.subarray(0, room) : chunk;
      state.outputBytes += part.length;
      if (part.length > 0) options.onOutput?.(stream, part);
      if (part.length < chunk.length) {
        state.truncated = true;
        group.terminate();
      }
    };
    child.stdout?.on('data', forward('stdout'));
    child.stderr?.on('data', forward('stderr'));
    const finish = (): void => {
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
    };
    // Whatever the job left running in its group ends with it.
    child.on('exit', () => {
      group.terminate();
    });
    child.on('error', (error) => {
      finish();
      group.terminate();
      reject(
        new RemoteFailureError(
          `could not start ${options.command} in ${options.cwd}: ${messageOf(error)}`,
          {
            cause: error,
          },
        ),
      );
    });
    child.on('close', (exitCode: number | null, signal: NodeJS.Signals | null) => {
      finish();
      resolve({ exitCode, signal, ...state });
    });
  });
}
