/**
 * `workflow run` end to end on one network: an orchestrator and two worker agents, each its
 * own installation (HOME) running the built CLI, that trust each other's keys, in one
 * workspace. Fan-out, output passing between agents, a failing job whose dependents are
 * skipped, and a request no policy admits.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { runCli, stopHosts, tempHome, type CliResult } from './cli.ts';

/** What a network brings. */
export interface WorkflowNetwork {
  workspace(): string;
  /** Create an account, log `env` in to it; returns its address. */
  account(env: NodeJS.ProcessEnv, profile: string): Promise<string>;
  dispose(): Promise<void>;
}

interface Agent {
  readonly env: NodeJS.ProcessEnv;
  readonly address: string;
  id: string;
  fingerprint: string;
  run(args: string[], timeoutMs?: number): Promise<CliResult>;
}

function ok(r: CliResult, what: string): CliResult {
  assert.equal(r.code, 0, `${what} exited ${String(r.code)}: ${r.stderr}`);
  return r;
}

/** Register the scenarios. */
export function workflowScenarios(name: string, makeNetwork: () => Promise<WorkflowNetwork>): void {
  describe(`workflow run: ${name}`, () => {
    let net: WorkflowNetwork;
    const agents: Agent[] = [];
    const dir = mkdtempSync(join(tmpdir(), 'mx-wf-work-'));
    const agent = async (label: string): Promise<Agent> => {
      const env = { ...tempHome(), MX_AGENT_HEARTBEAT_MS: '2000', MX_AGENT_HOST_IDLE_MS: '120000' };
      const address = await net.account(env, label);
      const a: Agent = {
        env,
        address,
        id: '',
        fingerprint: '',
        run: (args, timeoutMs = 60_000) => runCli(args, env, undefined, timeoutMs),
      };
      const card = JSON.parse(ok(await a.run(['--json', 'card', 'show']), 'card show').stdout) as {
        id: string;
        signing_key: string;
      };
      a.id = card.id;
      a.fingerprint = card.signing_key;
      agents.push(a);
      return a;
    };

    before(async () => {
      net = await makeNetwork();
    });
    after(async () => {
      await Promise.allSettled(agents.map((a) => stopHosts(a.env)));
      await net.dispose();
    });

    it('runs a DAG across two agents: outputs passed on, a failed job skips its dependents', async () => {
      const [boss, builder, tester] = await Promise.all([
        agent('boss'),
        agent('builder'),
        agent('tester'),
      ]);
      assert.ok(boss && builder && tester);
      ok(await builder.run(['card', 'set', '--name', 'builder', '--capability', 'build']), 'card');
      ok(await tester.run(['card', 'set', '--name', 'tester', '--capability', 'test']), 'card');
      const ws = net.workspace();
      ok(await boss.run(['workspace', 'create', ws]), 'create');
      for (const w of [builder, tester]) {
        ok(await boss.run(['workspace', 'invite', ws, w.address]), 'invite');
        ok(await w.run(['workspace', 'join', ws]), 'join');
        writeFileSync(
          join(w.env.MX_AGENT_CONFIG_DIR ?? '', 'policy.toml'),
          `[[allow]]\nrequester = "${boss.id}"\ncommands = ["sh"]\ncwd = ["${dir}"]\nrequire_sandbox = false\n`,
          { mode: 0o600 },
        );
      }
      // Everyone trusts everyone's key as the cards show it (a person compares fingerprints).
      const trustAll = async (who: Agent, others: Agent[]): Promise<void> => {
        for (const o of others) {
          for (let i = 0; ; i++) {
            const r = await who.run(['trust', 'add', o.id, o.fingerprint]);
            if (r.code === 0) break;
            assert.ok(i < 40, `trust add ${o.id}: ${r.stderr}`);
            await new Promise((resolve) => setTimeout(resolve, 500));
          }
        }
      };
      await trustAll(boss, [builder, tester]);
      await trustAll(builder, [boss]);
      await trustAll(tester, [boss]);
      const file = join(dir, 'ci.yml');
      writeFileSync(
        file,
        `name: e2e
inputs:
  word: { default: hello }
jobs:
  build:
    runs-on: { capabilities: [build] }
    working-directory: ${dir}
    steps:
      - id: make
        run: sh -c "echo building \${{ inputs.word }}; echo ::output artifact=art-\${{ inputs.word }}"
    outputs:
      artifact: \${{ steps.make.outputs.artifact }}
  test:
    needs: [build]
    runs-on: { capabilities: [test] }
    working-directory: ${dir}
    steps:
      - run: sh -c "echo testing \${{ jobs.build.outputs.artifact }}"
  flaky:
    runs-on: { capabilities: [test] }
    working-directory: ${dir}
    steps:
      - run: sh -c "echo giving up >&2; exit 4"
  deploy:
    needs: [test, flaky]
    runs-on: { capabilities: [build] }
    working-directory: ${dir}
    steps:
      - run: sh -c "touch ${join(dir, 'deployed')}"
`,
      );
      const r = await boss.run(['workflow', 'run', file, '--input', 'word=wave'], 120_000);
      assert.equal(r.code, 7, r.stdout + r.stderr);
      assert.match(r.stdout, /\[build\] building wave/);
      assert.match(r.stdout, /\[test\] testing art-wave/);
      assert.match(r.stdout, /✗ flaky: step 0 exited with 4/);
      assert.match(r.stdout, /- deploy skipped: needs flaky, which failed/);
      assert.match(r.stdout, /workflow failed in/);
      // A command no policy names is refused by the worker, and the run says why.
      const denied = join(dir, 'denied.yml');
      writeFileSync(
        denied,
        `name: denied\njobs:\n  sneak:\n    runs-on: ${builder.id}\n    working-directory: ${dir}\n    steps:\n      - run: touch ${join(dir, 'sneaked')}\n`,
      );
      const refused = await boss.run(['workflow', 'run', denied], 120_000);
      assert.equal(refused.code, 7, refused.stdout + refused.stderr);
      assert.match(refused.stdout, /refused it \(policy\)/);
    });
  });
}
