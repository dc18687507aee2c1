/**
 * The server-restart chaos scenario on one network: a shared stream, a workflow run across
 * three workers and a chat with a serve agent are all in flight when the server (Prosody, the
 * dev homeserver) stops, stays down a few seconds and starts again on the same port and data.
 * Everything must then finish with nothing lost and nothing twice; the figures are printed.
 */
import { scriptedLlmToml } from './serve-people.ts';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Target, Transport } from '../../src/transport/transport.ts';
import { chatWorkload } from './chaos-restart-chat.ts';
import {
  streamWorkload,
  workflowWorkload,
  type Workload,
  type WorkloadFigures,
} from './chaos-restart-workloads.ts';
import { stopHosts, tempHome } from './cli.ts';
import { startScriptedLlm, type ScriptedLlm } from './scripted-llm.ts';
import { serveScript, startServe, type ServeAgentProcess } from './serve-harness.ts';
import { workflowAgents, type WorkflowAgent, type WorkflowNetwork } from './workflow-agents.ts';

/** What a network brings to the scenario. */
export interface RestartNetwork extends WorkflowNetwork {
  /** A connected person (an in-process transport) on a new account. */
  person(prefix: string): Promise<{ transport: Transport; address: string }>;
  /** A serve agent's account: agent.toml's account part and the env it runs in. */
  agent(name: string): Promise<{ toml: string; env: NodeJS.ProcessEnv; address: string }>;
  /** True when `from`, as the person sees it, is the agent at `agent`. */
  isAgent(from: string, agent: string): boolean;
  readonly provider: 'anthropic' | 'openai';
  /** Stop the server (every connection to it drops). */
  stop(): Promise<void>;
  /** Start it again on the same port and data. */
  start(): Promise<void>;
}

/** MX_AGENT_CHAOS_DEBUG=1: serve and stream log verbosely (serve's log printed at the end). */
const DEBUG = process.env.MX_AGENT_CHAOS_DEBUG === '1';

/** How long the server stays down, each time (after it has stopped). */
const DOWN_MS = 3_000;
/** Restarts while the traffic runs. */
const RESTARTS = 2;
/** How long traffic runs between the recovery from one restart and the next restart. */
const BETWEEN_MS = 2_000;

/** Wait until `check()` holds, polling; fail with `show()` after `timeoutMs`. */
async function until(what: string, check: () => boolean, show: () => string, timeoutMs: number) {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`still waiting for ${what}:\n${show()}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** One restart as measured: how long the server was down, and each workload's recovery. */
interface RestartFigures {
  readonly downMs: number;
  /** Server back → that workload's first progress, per workload (undefined: none after). */
  readonly recoveryMs: Record<string, number | undefined>;
}

/** Stop the server, wait, start it; then wait until every unfinished workload moves again. */
async function restart(net: RestartNetwork, loads: readonly Workload[]): Promise<RestartFigures> {
  const stopped = Date.now();
  await net.stop();
  await new Promise((resolve) => setTimeout(resolve, DOWN_MS));
  await net.start();
  const back = Date.now();
  const moving = loads.filter((w) => !w.finished());
  const firstAfter = (w: Workload): number | undefined => w.progress.find((t) => t >= back);
  await until(
    'traffic after the restart',
    () => moving.every((w) => firstAfter(w) !== undefined || w.finished()),
    () => moving.map((w) => `${w.name}: ${w.show()}`).join('\n'),
    60_000,
  );
  const recoveryMs: Record<string, number | undefined> = {};
  for (const w of moving) {
    const t = firstAfter(w);
    recoveryMs[w.name] = t === undefined ? undefined : t - back;
  }
  return { downMs: back - stopped, recoveryMs };
}

/** Register the scenario for one network. */
export function serverRestartScenario(name: string, makeNetwork: () => Promise<RestartNetwork>) {
  describe(`server restart with a stream, a workflow and a chat in flight: ${name}`, () => {
    let net: RestartNetwork;
    let llm: ScriptedLlm;
    let serve: ServeAgentProcess;
    let serveAddress: string;
    let person: { transport: Transport; address: string };
    let boss: WorkflowAgent;
    let workers: WorkflowAgent[];
    let dir: string;
    const streamEnv = tempHome();

    before(async () => {
      net = await makeNetwork();
      llm = await startScriptedLlm(serveScript(), { keepRequests: false });
      const [agents, account, someone] = await Promise.all([
        workflowAgents(net, 3),
        net.agent('helper'),
        net.person('person'),
        net.account(streamEnv, 'alice'),
        net.account(streamEnv, 'bob'),
      ]);
      ({ boss, workers, dir } = agents);
      person = someone;
      serveAddress = account.address;
      serve = await startServe(
        `${account.toml}
${scriptedLlmToml(net.provider, llm.baseUrl(net.provider))}
[agent]
name = "helper"
allowed_jids = ["${person.address}"]
`,
        { env: account.env, ...(DEBUG ? { args: ['-v'] } : {}) },
      );
    });
    after(async () => {
      await serve?.stop();
      if (DEBUG) process.stderr.write(`--- serve:\n${serve?.stderr() ?? ''}`);
      await Promise.allSettled(
        [streamEnv, ...[boss, ...workers].map((a) => a?.env)].map((env) => env && stopHosts(env)),
      );
      await person?.transport.close();
      await llm?.close();
      await net?.dispose();
    });

    it('finishes all three with nothing lost or twice', async (t) => {
      const started = Date.now();
      const workflow = workflowWorkload(boss, workers, dir);
      // The stream and the chat start once the workflow's first job runs, so that all three
      // are mid-way when the server goes.
      const first = join(dir, 'prepare.count');
      await until(
        'the first job',
        () => existsSync(first),
        () => workflow.show(),
        60_000,
      );
      const stream = await streamWorkload(streamEnv, net.workspace());
      const to: Target = { kind: 'direct', address: serveAddress };
      const chat = chatWorkload(person.transport, to, (from) => net.isAgent(from, serveAddress));
      const loads = [stream, workflow, chat];
      const show = (): string => loads.map((w) => `--- ${w.name}:\n${w.show()}`).join('\n');
      const restarts: RestartFigures[] = [];
      try {
        await until('all three in flight', () => loads.every((w) => w.ready()), show, 60_000);
        for (let n = 1; n <= RESTARTS; n++) {
          assert.deepEqual(
            loads.filter((w) => w.finished()).map((w) => w.name),
            [],
            `finished before restart ${String(n)}:\n${show()}`,
          );
          restarts.push(await restart(net, loads));
          // Traffic flows again: let it run a moment before the next fault.
          await new Promise((resolve) => setTimeout(resolve, BETWEEN_MS));
        }
        // Everything ran through every restart; now it may end (the person stops typing).
        for (const w of loads) w.release();
        await Promise.all(loads.map((w) => w.done));
      } finally {
        // A failure must not leave processes running or the person typing forever.
        for (const w of loads) if (!w.finished()) w.abort();
      }
      const figures: WorkloadFigures[] = loads.map((w) => w.figures());
      for (const [n, r] of restarts.entries())
        t.diagnostic(
          `restart ${String(n + 1)}: down ${String(r.downMs)} ms; server back → traffic (ms) ${JSON.stringify(r.recoveryMs)}`,
        );
      for (const f of figures)
        t.diagnostic(
          `${f.what}: ${String(f.checked)} checked, ${String(f.lost)} lost, ${String(f.duplicated)} twice${f.problems.length ? `; ${f.problems.join('; ')}` : ''}`,
        );
      t.diagnostic(`wall time ${String(Date.now() - started)} ms`);
      for (const [i, f] of figures.entries())
        assert.deepEqual(
          { lost: f.lost, duplicated: f.duplicated, problems: f.problems },
          { lost: 0, duplicated: 0, problems: [] },
          `${f.what}:\n${loads[i]?.show() ?? ''}`,
        );
    });
  });
}
