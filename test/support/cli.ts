/**
 * Run the built CLI (bin/mx-agent.js → dist/) as a user would: a subprocess with its own HOME
 * and config directory. `npm test` builds first.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const CLI = fileURLToPath(new URL('../../bin/mx-agent.js', import.meta.url));

/** The outcome of one CLI run. */
export interface CliResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly ms: number;
}

/** How long a session host started by a test outlives its last command. */
export const TEST_HOST_IDLE_MS = 3000;

/**
 * A throwaway home: HOME, XDG dirs and MX_AGENT_CONFIG_DIR inside one temp dir, and session
 * hosts that exit soon after the test's last command (tests also stop them: `stopHosts`).
 */
export function tempHome(): NodeJS.ProcessEnv {
  const home = mkdtempSync(join(tmpdir(), 'mx-agent-home-'));
  return {
    PATH: process.env.PATH,
    HOME: home,
    XDG_CONFIG_HOME: join(home, '.config'),
    XDG_DATA_HOME: join(home, '.local', 'share'),
    MX_AGENT_CONFIG_DIR: join(home, '.config', 'mx-agent'),
    NO_COLOR: '1',
    MX_AGENT_HOST_IDLE_MS: String(TEST_HOST_IDLE_MS),
  };
}

/** Stop every session host of a test home (`mx-agent daemon stop --all`). */
export async function stopHosts(env: NodeJS.ProcessEnv): Promise<void> {
  const r = await runCli(['daemon', 'stop', '--all'], env);
  if (r.code !== 0) throw new Error(`daemon stop --all exited ${String(r.code)}: ${r.stderr}`);
}

/** Start the CLI; the caller reads or kills it. */
export function startCli(
  args: string[],
  env: NodeJS.ProcessEnv,
  input?: string,
  cwd?: string,
): ChildProcess {
  const child = spawn(process.execPath, [CLI, ...args], {
    env,
    stdio: ['pipe', 'pipe', 'pipe'],
    ...(cwd === undefined ? {} : { cwd }),
  });
  child.stdin?.end(input ?? '');
  return child;
}

/** Run the CLI to completion. */
export async function runCli(
  args: string[],
  env: NodeJS.ProcessEnv,
  input?: string,
  timeoutMs = 30_000,
  cwd?: string,
): Promise<CliResult> {
  const started = Date.now();
  const child = startCli(args, env, input, cwd);
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  const code = await new Promise<number | null>((resolve) => child.once('close', resolve));
  clearTimeout(timer);
  return { code, stdout, stderr, ms: Date.now() - started };
}

/** Wait until a running CLI prints `pattern` on stderr. */
export function waitForStderr(
  child: ChildProcess,
  pattern: RegExp,
  timeoutMs = 15_000,
): Promise<void> {
  return new Promise((resolve, reject) => {
    let seen = '';
    const timer = setTimeout(() => {
      reject(
        new Error(`no ${String(pattern)} on stderr within ${String(timeoutMs)} ms; got: ${seen}`),
      );
    }, timeoutMs);
    child.stderr?.on('data', (d: Buffer) => {
      seen += d.toString();
      if (pattern.test(seen)) {
        clearTimeout(timer);
        resolve();
      }
    });
  });
}

/** A running `listen` (or any long command) whose output is collected. */
export interface RunningCli {
  readonly child: ChildProcess;
  /** Everything printed on stdout so far. */
  stdout(): string;
  /** Resolves with the exit code. */
  readonly closed: Promise<number | null>;
}

/** Start a long-running command and wait until it prints `ready` on stderr (`listening as`). */
export async function startListening(
  args: string[],
  env: NodeJS.ProcessEnv,
  ready = /listening as /,
  timeoutMs = 15_000,
): Promise<RunningCli> {
  const child = startCli(args, env);
  let out = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  const closed = new Promise<number | null>((resolve) => child.once('close', resolve));
  await waitForStderr(child, ready, timeoutMs);
  return { child, stdout: () => out, closed };
}

/** Log `profile` in to a Matrix account with `login matrix --password-stdin`; throws on failure. */
export async function loginMatrix(
  env: NodeJS.ProcessEnv,
  profile: string,
  homeserver: string,
  account: { readonly userId: string; readonly password: string },
): Promise<void> {
  const args = ['--profile', profile, 'login', 'matrix', '--homeserver', homeserver];
  const r = await runCli(
    [...args, '--user', account.userId, '--password-stdin'],
    env,
    `${account.password}\n`,
  );
  if (r.code !== 0) throw new Error(`login matrix ${profile}: ${r.stderr}`);
}

/** Log `profile` in to an XMPP account on a loopback server without TLS; throws on failure. */
export async function loginXmpp(
  env: NodeJS.ProcessEnv,
  profile: string,
  server: { readonly host: string; readonly c2sPort: number },
  account: { readonly jid: string; readonly password: string },
): Promise<void> {
  const args = ['--profile', profile, 'login', 'xmpp', '--jid', account.jid, '--host', server.host];
  const r = await runCli(
    [...args, '--port', String(server.c2sPort), '--tls', 'off', '--password-stdin'],
    env,
    `${account.password}\n`,
  );
  if (r.code !== 0) throw new Error(`login xmpp ${profile}: ${r.stderr}`);
}

/**
 * Register a fresh account on a test Prosody and log `profile` of `env` in to it; returns its
 * JID. The password follows a pattern so tests can check it never leaks.
 */
export async function loginNewXmppAccount(
  env: NodeJS.ProcessEnv,
  profile: string,
  server: {
    readonly host: string;
    readonly c2sPort: number;
    readonly domain: string;
    register(user: string, password: string): Promise<void>;
  },
  user: string,
): Promise<string> {
  const password = `secret-${user}-pw`;
  await server.register(user, password);
  const jid = `${user}@${server.domain}`;
  await loginXmpp(env, profile, server, { jid, password });
  return jid;
}
