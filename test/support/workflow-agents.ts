/**
 * The agents of the `workflow run` end-to-end scenarios: an orchestrator and its workers, each
 * its own installation (HOME) running the built CLI, in one workspace. Each worker advertises
 * a capability, trusts the orchestrator's key and lets it run `sh` in one shared work
 * directory; the orchestrator trusts every worker's key.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, realpathSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resolvePaths } from '../../src/config/paths.ts';
import { securityFiles } from '../../src/config/security-files.ts';
import { runCli, tempHome, type CliResult } from './cli.ts';

/** What a network brings. */
export interface WorkflowNetwork {
  workspace(): string;
  /** Create an account, log `env` in to it; returns its address. */
  account(env: NodeJS.ProcessEnv, profile: string): Promise<string>;
  dispose(): Promise<void>;
}

/** One installation of the CLI, logged in. */
export interface WorkflowAgent {
  readonly env: NodeJS.ProcessEnv;
  readonly address: string;
  readonly id: string;
  readonly fingerprint: string;
  run(args: string[], timeoutMs?: number): Promise<CliResult>;
  /** The records of its audit log, oldest first. */
  audit(): Record<string, unknown>[];
}

/** How the agents are set up. */
export interface WorkflowAgentOptions {
  /** The capability every worker advertises (default `sh`)… */
  readonly capability?: string;
  /** …or one per worker. */
  readonly capabilities?: readonly string[];
  /** Added to every agent's environment. */
  readonly env?: NodeJS.ProcessEnv;
}

/** The result, after asserting that the command succeeded. */
export function ok(r: CliResult, what: string): CliResult {
  assert.equal(r.code, 0, `${what} exited ${String(r.code)}: ${r.stderr}`);
  return r;
}

/** A new installation logged in to a new account of `net`. */
export async function newAgent(
  net: WorkflowNetwork,
  label: string,
  extra: NodeJS.ProcessEnv,
): Promise<WorkflowAgent> {
  const env = {
    ...tempHome(),
    MX_AGENT_HEARTBEAT_MS: '2000',
    MX_AGENT_HOST_IDLE_MS: '120000',
    ...extra,
  };
  const address = await net.account(env, label);
  const run = (args: string[], timeoutMs = 60_000) => runCli(args, env, undefined, timeoutMs);
  const card = JSON.parse(ok(await run(['--json', 'card', 'show']), 'card show').stdout) as {
    id: string;
    signing_key: string;
  };
  const auditPath = securityFiles(resolvePaths(env)).audit;
  return {
    env,
    address,
    id: card.id,
    fingerprint: card.signing_key,
    run,
    audit: () =>
      readFileSync(auditPath, 'utf8')
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line) as Record<string, unknown>),
  };
}

/** `trust add` each of `others` as `who`, retrying while their cards are not seen yet. */
export async function trustAll(
  who: WorkflowAgent,
  others: readonly WorkflowAgent[],
): Promise<void> {
  for (const o of others) {
    for (let i = 0; ; i++) {
      const r = await who.run(['trust', 'add', o.id, o.fingerprint]);
      if (r.code === 0) break;
      assert.ok(i < 40, `trust add ${o.id}: ${r.stderr}`);
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  }
}

/**
 * An orchestrator (`boss`) and `count` workers in one new workspace of `net`, and the work
 * directory (`dir`, a real path) where the workers let the orchestrator run `sh`.
 */
export async function workflowAgents(
  net: WorkflowNetwork,
  count: number,
  options: WorkflowAgentOptions = {},
): Promise<{ boss: WorkflowAgent; workers: WorkflowAgent[]; dir: string }> {
  const dir = realpathSync(mkdtempSync(join(tmpdir(), 'mx-wf-work-')));
  const extra = options.env ?? {};
  const labels = Array.from({ length: count }, (_, i) => `worker${String(i + 1)}`);
  const [boss, ...workers] = (await Promise.all(
    ['boss', ...labels].map((label) => newAgent(net, label, extra)),
  )) as [WorkflowAgent, ...WorkflowAgent[]];
  for (const [i, w] of workers.entries()) {
    const capability = options.capabilities?.[i] ?? options.capability ?? 'sh';
    const card = ['card', 'set', '--name', labels[i] ?? '', '--capability', capability];
    ok(await w.run(card), 'card set');
  }
  const ws = net.workspace();
  ok(await boss.run(['workspace', 'create', ws]), 'workspace create');
  for (const w of workers) {
    ok(await boss.run(['workspace', 'invite', ws, w.address]), 'workspace invite');
    ok(await w.run(['workspace', 'join', ws]), 'workspace join');
    writeFileSync(
      join(w.env.MX_AGENT_CONFIG_DIR ?? '', 'policy.toml'),
      `[[allow]]\nrequester = "${boss.id}"\ncommands = ["sh"]\ncwd = ["${dir}"]\nrequire_sandbox = false\nartifacts = true\n`,
      { mode: 0o600 },
    );
  }
  // Everyone trusts everyone's key as the cards show it (a person compares fingerprints).
  await trustAll(boss, workers);
  for (const w of workers) await trustAll(w, [boss]);
  return { boss, workers, dir };
}
