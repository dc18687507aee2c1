/**
 * `approvals` end to end on Prosody: a worker whose policy requires approval holds the
 * orchestrator's job; its owner sees it in `approvals list`, approves it and the run succeeds;
 * a second job denied ends the run with exit 7 and the reason, having run nothing.
 */
import assert from 'node:assert/strict';
import { existsSync, writeFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { loginNewXmppAccount, stopHosts, type CliResult } from '../support/cli.ts';
import { prosodyForTests, uniqueUser } from '../support/prosody.ts';
import { ok, workflowAgents, type WorkflowAgent } from '../support/workflow-agents.ts';

const server = await prosodyForTests();

/** The first job `agent` holds for approval, polled until there is one (while `run` runs). */
async function heldJob(
  agent: WorkflowAgent,
  run: Promise<CliResult>,
): Promise<{ id: string; run: string; job: string; env: unknown }> {
  let ended: CliResult | undefined;
  void run.then((r) => (ended = r));
  for (const started = Date.now(); ;) {
    const r = ok(await agent.run(['--json', 'approvals', 'list']), 'approvals list');
    const [first] = JSON.parse(r.stdout) as {
      id: string;
      run: string;
      job: string;
      env: unknown;
    }[];
    if (first) return first;
    assert.equal(
      ended,
      undefined,
      `the run ended before its job was held: ${JSON.stringify(ended)}`,
    );
    assert.ok(Date.now() - started < 60_000, 'no job was held for approval');
    await new Promise((resolve) => setTimeout(resolve, 300));
  }
}

if (server) {
  describe('approvals: XMPP (Prosody)', () => {
    let boss: WorkflowAgent;
    let worker: WorkflowAgent;
    let dir: string;

    before(async () => {
      let rooms = 0;
      let workers: WorkflowAgent[];
      ({ boss, workers, dir } = await workflowAgents(
        {
          workspace: () => `apr${String(process.pid)}-${String(++rooms)}@${server.mucDomain}`,
          account: (env, profile) => loginNewXmppAccount(env, profile, server, uniqueUser(profile)),
          dispose: () => Promise.resolve(),
        },
        1,
      ));
      [worker] = workers as [WorkflowAgent];
      writeFileSync(
        join(worker.env.MX_AGENT_CONFIG_DIR ?? '', 'policy.toml'),
        `[[allow]]\nrequester = "${boss.id}"\ncommands = ["sh"]\ncwd = ["${dir}"]\nenv = ["STAGE"]\nrequire_sandbox = false\nrequires_approval = true\n`,
        { mode: 0o600 },
      );
    });
    after(async () => {
      await Promise.allSettled([boss, worker].filter(Boolean).map((a) => stopHosts(a.env)));
    });

    it('runs a held job once approved, and refuses a denied one', async () => {
      const file = (name: string, marker: string): string => {
        const path = join(dir, `${name}.yml`);
        writeFileSync(
          path,
          `name: ${name}\nenv: { STAGE: prod }\njobs:\n  ${name}:\n    runs-on: ${worker.id}\n    working-directory: ${dir}\n    steps:\n      - run: sh -c 'echo ran on $STAGE; touch ${join(dir, marker)}'\n`,
        );
        return path;
      };
      const approved = boss.run(['workflow', 'run', file('deploy', 'deployed')], 120_000);
      const held = await heldJob(worker, approved);
      assert.equal(held.job, 'deploy');
      assert.deepEqual(held.env, [{ name: 'STAGE', length: 4 }]);
      // The run's journal says so too, for anyone following it.
      for (let i = 0; ; i++) {
        const status = JSON.parse(
          ok(await boss.run(['--json', 'workflow', 'status', held.run]), 'status').stdout,
        ) as { jobs: { status: string; reason?: string }[] };
        if (status.jobs[0]?.reason?.includes(held.id)) break;
        assert.ok(i < 20, JSON.stringify(status));
        await new Promise((resolve) => setTimeout(resolve, 300));
      }
      const listed = ok(await worker.run(['approvals', 'list']), 'approvals list').stdout;
      assert.match(listed, new RegExp(`${held.id}  pending  ${boss.id} `));
      assert.match(listed, /env STAGE\(4 chars\)/);
      ok(await worker.run(['approvals', 'approve', held.id]), 'approvals approve');
      const r = await approved;
      assert.equal(r.code, 0, r.stdout + r.stderr);
      assert.match(r.stdout, /\[deploy\] ran on prod/);
      assert.match(
        r.stdout,
        new RegExp(
          `\\[deploy\\] held by ${worker.id} until its owner approves it: \`mx-agent approvals approve ${held.id}\``,
        ),
      );
      assert.ok(existsSync(join(dir, 'deployed')));
      const twice = await worker.run(['approvals', 'approve', held.id]);
      assert.equal(twice.code, 6, twice.stderr);
      assert.match(twice.stderr, new RegExp(`${held.id} is already released`));

      const denied = boss.run(['workflow', 'run', file('wipe', 'wiped')], 120_000);
      const second = await heldJob(worker, denied);
      ok(
        await worker.run(['approvals', 'deny', second.id, '--reason', 'not during the freeze']),
        'approvals deny',
      );
      const refused = await denied;
      assert.equal(refused.code, 7, refused.stdout + refused.stderr);
      assert.match(
        refused.stdout,
        new RegExp(
          `refused it \\(approval\\): denied by ${userInfo().username}: not during the freeze`,
        ),
      );
      assert.equal(existsSync(join(dir, 'wiped')), false);
      const unknown = await worker.run(['approvals', 'approve', 'apr-aaaaaaaa']);
      assert.equal(unknown.code, 2, unknown.stderr);

      const events = worker
        .audit()
        .map((record) => `${String(record.event)} ${String(record.approval)}`);
      for (const expected of [
        `approval held ${held.id}`,
        `approval approved ${held.id}`,
        `approval released ${held.id}`,
        `approval denied ${second.id}`,
      ])
        assert.ok(events.includes(expected), `${expected} not in ${events.join(', ')}`);
      ok(await worker.run(['audit', 'verify']), 'audit verify');
    });
  });
}
