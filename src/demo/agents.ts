/**
 * The demo's agents: each its own installation of mx-agent (configuration and data directories
 * under the demo's temporary home), driven by running the real CLI as a person would type it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The CLI entry point of this installation of mx-agent. */
export const CLI_ENTRY = fileURLToPath(new URL('../../bin/mx-agent.js', import.meta.url));

/** What one CLI run gave. */
export interface CliRun {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** How to run one command. */
export interface RunOptions {
  /** Written to the command's stdin (a password for `--password-stdin`). */
  readonly input?: string;
  readonly cwd?: string;
  readonly timeoutMs?: number;
}

/** One agent of the demo. */
export interface DemoAgent {
  readonly name: string;
  readonly env: NodeJS.ProcessEnv;
  readonly configDir: string;
  readonly dataDir: string;
  /** Run `mx-agent ARGS` as this agent and wait for it to end. */
  run(args: readonly string[], options?: RunOptions): Promise<CliRun>;
  /** Start `mx-agent ARGS` as this agent; the caller reads and ends it. */
  start(args: readonly string[], options?: { readonly cwd?: string }): ChildProcess;
  /** `alias NAME='… mx-agent'`: the shell line that makes NAME run mx-agent as this agent. */
  alias(): string;
}

/** The user's environment without mx-agent's own variables (the demo must not use their profiles). */
export function cleanEnvironment(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const clean: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(env))
    if (!key.startsWith('MX_AGENT_') && !key.startsWith('XDG_')) clean[key] = value;
  return clean;
}

/** An agent whose installation lives in `root/name`. */
export function demoAgent(
  root: string,
  name: string,
  base: NodeJS.ProcessEnv,
  signal: AbortSignal,
): DemoAgent {
  const configDir = join(root, name, 'config');
  const dataDir = join(root, name, 'data');
  mkdirSync(configDir, { recursive: true, mode: 0o700 });
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const env: NodeJS.ProcessEnv = {
    ...cleanEnvironment(base),
    MX_AGENT_CONFIG_DIR: configDir,
    MX_AGENT_DATA_DIR: dataDir,
    NO_COLOR: '1',
    // Agents beat every 5 s, so `discover` shows them live at once.
    MX_AGENT_HEARTBEAT_MS: '5000',
  };
  const start = (args: readonly string[], options: { readonly cwd?: string } = {}) =>
    spawn(process.execPath, [CLI_ENTRY, ...args], {
      env,
      stdio: ['pipe', 'pipe', 'pipe'],
      ...(options.cwd === undefined ? {} : { cwd: options.cwd }),
    });
  return {
    name,
    env,
    configDir,
    dataDir,
    start,
    run: (args, options = {}) => runToEnd(start(args, options), options, signal),
    alias: () =>
      `alias ${name}='MX_AGENT_CONFIG_DIR=${configDir} MX_AGENT_DATA_DIR=${dataDir} ${process.execPath} ${CLI_ENTRY}'`,
  };
}

function runToEnd(child: ChildProcess, options: RunOptions, signal: AbortSignal): Promise<CliRun> {
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  child.stdin?.end(options.input ?? '');
  const timeoutMs = options.timeoutMs ?? 60_000;
  return new Promise((resolve, reject) => {
    const stop = (): void => {
      child.kill('SIGTERM');
    };
    const timer = setTimeout(() => {
      stderr += `\n(no answer after ${String(timeoutMs / 1000)} s: stopped)`;
      stop();
    }, timeoutMs);
    signal.addEventListener('abort', stop, { once: true });
    child.once('error', (error) => {
      clearTimeout(timer);
      signal.removeEventListener('abort', stop);
      reject(error);
    });
    child.once('close', (code) => {
      clearTimeout(timer);
      signal.removeEventListener('abort', stop);
      resolve({ code, stdout, stderr });
    });
  });
}

/**
 * Resolves with the first line of `child`'s stderr or stdout matching `pattern`; rejects when
 * the child ends first, after `timeoutMs`, or when `signal` aborts.
 */
export function waitForLine(
  child: ChildProcess,
  pattern: RegExp,
  options: { readonly timeoutMs: number; readonly what: string; readonly signal: AbortSignal },
): Promise<string> {
  const { timeoutMs, what, signal } = options;
  return new Promise((resolve, reject) => {
    let seen = '';
    const onData = (d: Buffer): void => {
      seen += d.toString();
      const match = seen.split('\n').find((line) => pattern.test(line));
      if (match !== undefined)
        finish(() => {
          resolve(match);
        });
    };
    const onClose = (code: number | null): void => {
      finish(() => {
        reject(
          new Error(`${what} ended (exit code ${String(code)}) before it was ready:\n${seen}`),
        );
      });
    };
    const onAbort = (): void => {
      finish(() => {
        reject(new Error(`interrupted while waiting for ${what}`));
      });
    };
    const timer = setTimeout(() => {
      finish(() => {
        reject(new Error(`${what} was not ready after ${String(timeoutMs / 1000)} s:\n${seen}`));
      });
    }, timeoutMs);
    const finish = (settle: () => void): void => {
      clearTimeout(timer);
      child.stderr?.off('data', onData);
      child.stdout?.off('data', onData);
      child.off('close', onClose);
      signal.removeEventListener('abort', onAbort);
      settle();
    };
    child.stderr?.on('data', onData);
    child.stdout?.on('data', onData);
    child.once('close', onClose);
    if (signal.aborted) onAbort();
    else signal.addEventListener('abort', onAbort, { once: true });
  });
}
