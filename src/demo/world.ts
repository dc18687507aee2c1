/**
 * The demo's world: a temporary home, the development Matrix homeserver in this process,
 * Prosody when it is installed, the model, and the three agents. `close()` takes it all down.
 */
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startHomeserver, type Homeserver } from '../devserver/homeserver.ts';
import { prosodyAvailable, startProsody, type ProsodyServer } from '../devserver/xmpp/prosody.ts';
import { NetworkError } from '../errors.ts';
import { demoAgent, type CliRun, type DemoAgent, type RunOptions } from './agents.ts';
import type { DemoModel } from './model.ts';
import type { DemoEvent } from './report.ts';

/** What the steps share. */
export interface DemoWorld {
  readonly root: string;
  readonly hs: Homeserver;
  /** Prosody, when installed; carol and alice's second profile are on it. */
  readonly prosody: ProsodyServer | undefined;
  readonly alice: DemoAgent;
  readonly bob: DemoAgent;
  readonly carol: DemoAgent;
  readonly signal: AbortSignal;
  readonly report: (event: DemoEvent) => void;
  /** Set by the steps as they learn it. */
  readonly facts: DemoFacts;
  /** Long-running children (serve), ended by close(). */
  readonly children: ChildProcess[];
  model: DemoModel | undefined;
}

/** What the steps learn and later steps use. */
export interface DemoFacts {
  readonly ids: Record<string, string>;
  readonly fingerprints: Record<string, string>;
  readonly addresses: Record<string, string>;
  /** The Matrix workspace, and carol's (the XMPP room, or the same Matrix room). */
  matrixWorkspace: string;
  carolWorkspace: string;
  /** The workflow run's id, once it ran. */
  runId: string | undefined;
}

/** Create the temporary home and start the servers. */
export async function openWorld(
  env: NodeJS.ProcessEnv,
  signal: AbortSignal,
  report: (event: DemoEvent) => void,
  useXmpp: boolean,
): Promise<DemoWorld> {
  const root = realpathSync(mkdtempSync(join(tmpdir(), 'mx-agent-demo-')));
  try {
    const hs = await startHomeserver({ dataDir: join(root, 'homeserver'), port: 0 });
    let prosody: ProsodyServer | undefined;
    try {
      prosody =
        useXmpp && prosodyAvailable()
          ? await startProsody({ dir: join(root, 'prosody') })
          : undefined;
    } catch (error) {
      await hs.close();
      throw error;
    }
    const agent = (name: string) => demoAgent(root, name, env, signal);
    return {
      root,
      hs,
      prosody,
      alice: agent('alice'),
      bob: agent('bob'),
      carol: agent('carol'),
      signal,
      report,
      facts: {
        ids: {},
        fingerprints: {},
        addresses: {},
        matrixWorkspace: '#demo:localhost',
        carolWorkspace: '#demo:localhost',
        runId: undefined,
      },
      children: [],
      model: undefined,
    };
  } catch (error) {
    rmSync(root, { recursive: true, force: true });
    throw error;
  }
}

/** Stop the agents, the servers and the model; remove the home unless `keepFiles`. */
export async function closeWorld(world: DemoWorld, keepFiles: boolean): Promise<void> {
  await Promise.allSettled(world.children.map((child) => endChild(child)));
  await Promise.allSettled(
    [world.alice, world.bob, world.carol].map((a) =>
      a.run(['daemon', 'stop', '--all'], { timeoutMs: 15_000 }).catch(() => undefined),
    ),
  );
  await Promise.allSettled([
    world.hs.close(),
    world.prosody?.stop(),
    world.model?.type === 'offline' ? world.model.close() : undefined,
  ]);
  if (!keepFiles) rmSync(world.root, { recursive: true, force: true, maxRetries: 3 });
}

/** SIGTERM, then SIGKILL after 10 s. */
export function endChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    child.once('close', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

/** Register `user` on the homeserver (the development server lets anyone register). */
export async function registerMatrix(
  world: DemoWorld,
  user: string,
  password: string,
): Promise<string> {
  const response = await fetch(`${world.hs.url}/_matrix/client/v3/register`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username: user, password, auth: { type: 'm.login.dummy' } }),
    signal: AbortSignal.any([world.signal, AbortSignal.timeout(10_000)]),
  });
  const body = (await response.json()) as { user_id?: unknown; error?: unknown };
  if (!response.ok || typeof body.user_id !== 'string')
    throw new NetworkError(
      `expected the homeserver to register ${user}, got HTTP ${String(response.status)}: ${String(body.error)}`,
    );
  return body.user_id;
}

/** Shell-quote one argument for display (`'#demo:localhost'`). */
export function shellWord(arg: string): string {
  return /^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`;
}

/**
 * Run `args` as `agent`, showing the command and what it printed (at most `maxLines` lines);
 * a failure throws with what the command said.
 */
export async function show(
  world: DemoWorld,
  agent: DemoAgent,
  args: readonly string[],
  options: RunOptions & { readonly maxLines?: number; readonly quiet?: boolean } = {},
): Promise<CliRun> {
  world.report({ type: 'command', agent: agent.name, line: args.map(shellWord).join(' ') });
  const result = await agent.run(args, options);
  if (result.code !== 0)
    throw new Error(
      `${agent.name} ${args.join(' ')} exited ${String(result.code)}: ${result.stderr.trim() || result.stdout.trim()}`,
    );
  if (options.quiet !== true)
    showLines(world, `${result.stdout}${result.stderr}`, options.maxLines);
  return result;
}

/** Show `text` as command output, at most `maxLines` lines. */
export function showLines(world: DemoWorld, text: string, maxLines = 40): void {
  const lines = text.replace(/\s+$/, '').split('\n');
  if (lines.length === 1 && lines[0] === '') return;
  for (const line of lines.slice(0, maxLines)) world.report({ type: 'output', text: line });
  if (lines.length > maxLines)
    world.report({ type: 'output', text: `… (${String(lines.length - maxLines)} more lines)` });
}

/**
 * Run `args` until it succeeds (a card not seen yet) and `done` holds for what it printed, at
 * most `timeoutMs`; the last run either way.
 */
export async function retry(
  world: DemoWorld,
  agent: DemoAgent,
  args: readonly string[],
  timeoutMs: number,
  done: (stdout: string) => boolean = () => true,
): Promise<CliRun> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const result = await agent.run(args);
    if (result.code === 0 && done(result.stdout)) return result;
    if (Date.now() > deadline || world.signal.aborted) return result;
    await new Promise((resolve) => setTimeout(resolve, 400));
  }
}
