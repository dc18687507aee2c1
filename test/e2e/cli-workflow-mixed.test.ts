/**
 * One workflow run across both networks: the orchestrator has a Matrix profile and an XMPP
 * profile; one worker is on the encrypted dev homeserver, the other on Prosody, each in a
 * workspace of its own network. A job's output on Matrix feeds a job on XMPP, and the run's
 * journal can be read back afterwards.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, realpathSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { loginMatrix, loginNewXmppAccount, stopHosts } from '../support/cli.ts';
import { MatrixTestbed } from '../support/matrix-peers.ts';
import { prosodyForTests, uniqueUser } from '../support/prosody.ts';
import {
  newAgent,
  ok,
  trustAll,
  type WorkflowAgent,
  type WorkflowNetwork,
} from '../support/workflow-agents.ts';

const server = await prosodyForTests();

if (server) {
  describe('workflow run across Matrix and XMPP at once', () => {
    let bed: MatrixTestbed;
    const agents: WorkflowAgent[] = [];
    before(async () => {
      bed = await MatrixTestbed.start();
    });
    after(async () => {
      await Promise.allSettled(agents.map((a) => stopHosts(a.env)));
      await bed.dispose();
    });

    it("passes a Matrix job's output to an XMPP job in one run", async () => {
      const xmpp: WorkflowNetwork = {
        workspace: () => `mixed${String(process.pid)}@${server.mucDomain}`,
        account: (env, profile) => loginNewXmppAccount(env, profile, server, uniqueUser(profile)),
        dispose: () => Promise.resolve(),
      };
      const matrix: WorkflowNetwork = {
        workspace: () => bed.workspace('mixed'),
        account: async (env, profile) => {
          const account = await bed.account(profile);
          await loginMatrix(env, profile, bed.url, account);
          return account.userId;
        },
        dispose: () => Promise.resolve(),
      };
      const [boss, onXmpp, onMatrix] = await Promise.all([
        newAgent(xmpp, 'xmpp', {}),
        newAgent(xmpp, 'wx', {}),
        newAgent(matrix, 'wm', {}),
      ]);
      agents.push(boss, onXmpp, onMatrix);
      const bossOnMatrix = await matrix.account(boss.env, 'matrix');
      assert.match(bossOnMatrix, /^@/);
      const dir = realpathSync(mkdtempSync(join(tmpdir(), 'mx-wf-mixed-')));
      for (const [profile, net, worker] of [
        ['xmpp', xmpp, onXmpp],
        ['matrix', matrix, onMatrix],
      ] as const) {
        const ws = net.workspace();
        ok(await boss.run(['--profile', profile, 'workspace', 'create', ws]), 'create');
        ok(
          await boss.run(['--profile', profile, 'workspace', 'invite', ws, worker.address]),
          'invite',
        );
        ok(await worker.run(['workspace', 'join', ws]), 'join');
        writeFileSync(
          join(worker.env.MX_AGENT_CONFIG_DIR ?? '', 'policy.toml'),
          `[[allow]]\nrequester = "${boss.id}"\ncommands = ["sh"]\ncwd = ["${dir}"]\nrequire_sandbox = false\nartifacts = true\n`,
          { mode: 0o600 },
        );
      }
      await trustAll(boss, [onXmpp, onMatrix]);
      await trustAll(onXmpp, [boss]);
      await trustAll(onMatrix, [boss]);
      mkdirSync(join(dir, 'm'));
      mkdirSync(join(dir, 'x'));
      const file = join(dir, 'mixed.yml');
      writeFileSync(
        file,
        `name: mixed
jobs:
  matrixjob:
    runs-on: ${onMatrix.id}
    working-directory: ${join(dir, 'm')}
    artifacts: [note.txt]
    steps:
      - id: s
        run: sh -c "echo on matrix; echo ::output word=from-matrix; echo carried > note.txt"
    outputs:
      word: \${{ steps.s.outputs.word }}
  xmppjob:
    needs: [matrixjob]
    runs-on: ${onXmpp.id}
    working-directory: ${join(dir, 'x')}
    steps:
      - run: sh -c 'echo "xmpp got $0 and $(cat note.txt)"' \${{ jobs.matrixjob.outputs.word }}
`,
      );
      const r = ok(await boss.run(['--json', 'workflow', 'run', file], 120_000), 'workflow run');
      const events = r.stdout
        .trim()
        .split('\n')
        .map(
          (l) =>
            JSON.parse(l) as {
              run: string;
              type: string;
              job?: string;
              agent?: string;
              line?: string;
            },
        );
      const started: Record<string, string | undefined> = {};
      for (const e of events) if (e.type === 'job-started' && e.job) started[e.job] = e.agent;
      assert.deepEqual(started, { matrixjob: onMatrix.id, xmppjob: onXmpp.id });
      assert.ok(
        events.some((e) => e.job === 'xmppjob' && e.line === 'xmpp got from-matrix and carried'),
        r.stdout,
      );
      const run = events[0]?.run ?? '';
      const status = JSON.parse(
        ok(await boss.run(['--json', 'workflow', 'status', run]), 'status').stdout,
      ) as { result: string };
      assert.equal(status.result, 'succeeded');
    });
  });
}
