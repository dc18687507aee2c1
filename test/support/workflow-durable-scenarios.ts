/**
 * `workflow run` when things die, end to end on one network: an orchestrator killed mid-run
 * is resumed from the run's journal in the workspace without re-running what succeeded, the
 * run's status and logs are read by another agent, and a worker whose process is killed
 * mid-job is reported and its job moved to another matching agent. Built CLI, one HOME each.
 */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startCli, stopHosts } from './cli.ts';
import { startCliInPty } from './pty-cli.ts';
import { ok, workflowAgents, type WorkflowAgent, type WorkflowNetwork } from './workflow-agents.ts';

/** Register the scenarios. */
export function durableRunScenarios(
  name: string,
  makeNetwork: () => Promise<WorkflowNetwork>,
): void {
  describe(`workflow run, durable: ${name}`, () => {
    let net: WorkflowNetwork;
    let boss: WorkflowAgent;
    let workers: WorkflowAgent[];
    let dir: string;

    before(async () => {
      net = await makeNetwork();
      ({ boss, workers, dir } = await workflowAgents(net, 2, {
        capability: 'sh',
        env: { MX_AGENT_TASK_KEEPALIVE_MS: '500' },
      }));
    });
    after(async () => {
      // Stopping the hosts stops their jobs; a killed host's sandboxed job dies with it.
      await Promise.allSettled([boss, ...workers].map((a) => stopHosts(a.env)));
      await net.dispose();
    });

    it('resumes a killed orchestrator without re-running what succeeded; status and logs from another agent', async () => {
      const file = join(dir, 'durable.yml');
      writeFileSync(
        file,
        `name: durable
jobs:
  first:
    runs-on: { capabilities: [sh] }
    working-directory: ${dir}
    steps:
      - id: s
        run: sh -c "echo ran >> first.count; echo hello-from-first; echo ::output word=kept"
    outputs:
      word: \${{ steps.s.outputs.word }}
  second:
    needs: [first]
    runs-on: { capabilities: [sh] }
    working-directory: ${dir}
    steps:
      - run: sh -c 'if [ -e go ]; then echo "second got $0"; else echo waiting; sleep 60; fi' \${{ jobs.first.outputs.word }}
`,
      );
      const child = startCli(['--json', 'workflow', 'run', file], boss.env);
      let run = '';
      let out = '';
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => {
          reject(new Error(`no "waiting" from second: ${out}`));
        }, 90_000);
        child.stdout?.on('data', (data: Buffer) => {
          out += data.toString();
          for (const line of out.split('\n')) {
            if (!line.startsWith('{')) continue;
            const event = JSON.parse(line) as { run?: string; type?: string; line?: string };
            run = event.run ?? run;
            if (event.type === 'output' && event.line === 'waiting') {
              clearTimeout(timer);
              resolve();
            }
          }
        });
      });
      assert.match(run, /^run-[0-9a-f]{12}$/);
      // Let the journal's last records go out, then the orchestrator dies without a word.
      await new Promise((resolve) => setTimeout(resolve, 1500));
      child.kill('SIGKILL');
      const [reader, other] = workers as [WorkflowAgent, WorkflowAgent];
      const status = JSON.parse(
        ok(await reader.run(['--json', 'workflow', 'status', run]), 'status').stdout,
      ) as { result: string; key: string; jobs: { job: string; status: string }[] };
      assert.equal(status.result, 'running');
      assert.match(status.key, /trust/);
      assert.deepEqual(
        status.jobs.map((j) => [j.job, j.status]),
        [
          ['first', 'succeeded'],
          ['second', 'running'],
        ],
      );
      // Someone follows the run's logs from another agent while it is resumed.
      const follower = startCli(['workflow', 'logs', '--follow', run], other.env);
      let followed = '';
      follower.stdout?.on('data', (data: Buffer) => {
        followed += data.toString();
      });
      follower.stderr?.on('data', (data: Buffer) => {
        followed += data.toString();
      });
      const followerExit = new Promise<number | null>((resolve) => follower.on('exit', resolve));
      writeFileSync(join(dir, 'go'), '');
      const resumed = ok(
        await boss.run(['workflow', 'run', '--resume', run], 120_000),
        'workflow run --resume',
      );
      assert.match(resumed.stderr + resumed.stdout, /1 of 2 job\(s\) already succeeded/);
      assert.match(resumed.stdout, /\[second\] second got kept/);
      assert.doesNotMatch(resumed.stdout, /\[first\]/);
      assert.equal(readFileSync(join(dir, 'first.count'), 'utf8'), 'ran\n');
      const after = JSON.parse(
        ok(await other.run(['--json', 'workflow', 'status', run]), 'status').stdout,
      ) as { result: string; resumes: number };
      assert.equal(after.result, 'succeeded');
      assert.equal(after.resumes, 1);
      const logs = ok(await other.run(['workflow', 'logs', run, 'first']), 'logs').stdout;
      assert.match(logs, /\[first\] hello-from-first/);
      assert.doesNotMatch(logs, /\[second\]/);
      assert.equal(await followerExit, 0, followed);
      assert.match(followed, /\[first\] hello-from-first/);
      assert.match(followed, /\[second\] second got kept/);
      assert.match(followed, /workflow succeeded/);
      const again = ok(await boss.run(['workflow', 'run', '--resume', run]), 'resume again');
      assert.match(again.stdout, /already succeeded: nothing to resume/);
    });

    it('shows the run as a live view of its DAG in a terminal', async () => {
      // durable.yml again, now that `go` exists: both jobs finish at once.
      const pty = await startCliInPty(['workflow', 'run', join(dir, 'durable.yml')], boss.env, {
        cols: 100,
        rows: 20,
      });
      assert.equal(await pty.exited, 0, pty.screen());
      // eslint-disable-next-line no-control-regex
      const text = pty.screen().replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '');
      assert.match(text, /✓ first/);
      assert.match(text, /✓ second/);
      assert.match(text, /workflow succeeded/);
      assert.match(text, /second got kept/);
    });

    it('reports a worker killed mid-job and moves the job to another matching agent', async () => {
      const file = join(dir, 'lost.yml');
      writeFileSync(
        file,
        `name: lost
jobs:
  move:
    runs-on: { capabilities: [sh] }
    working-directory: ${dir}
    steps:
      - run: sh -c 'if [ -e first.ran ]; then echo moved; else touch first.ran; echo waiting; sleep 60; fi'
`,
      );
      const child = startCli(['--json', 'workflow', 'run', file], boss.env);
      const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
      let out = '';
      const picked = await new Promise<string>((resolve, reject) => {
        let agent = '';
        const timer = setTimeout(() => {
          reject(new Error(`the job never started: ${out}`));
        }, 90_000);
        child.stdout?.on('data', (data: Buffer) => {
          out += data.toString();
          for (const line of out.split('\n')) {
            if (!line.startsWith('{')) continue;
            const e = JSON.parse(line) as { type?: string; agent?: string; line?: string };
            if (e.type === 'job-started' && agent === '') agent = e.agent ?? '';
            if (e.type === 'output' && e.line === 'waiting') {
              clearTimeout(timer);
              resolve(agent);
            }
          }
        });
      });
      // The picked worker's session host dies as a crashed machine would.
      const victim = workers.find((w) => w.id === picked);
      assert.ok(victim, `job-started named ${picked}`);
      const [host] = JSON.parse(
        ok(await victim.run(['--json', 'daemon', 'status']), 'daemon status').stdout,
      ) as { pid: number }[];
      assert.ok(host);
      process.kill(host.pid, 'SIGKILL');
      assert.equal(await exited, 0, out);
      const events = out
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .map(
          (l) => JSON.parse(l) as { type: string; agent?: string; reason?: string; line?: string },
        );
      const lost = events.find((e) => e.type === 'worker-lost');
      assert.equal(lost?.agent, picked);
      assert.match(lost.reason ?? '', /stopped answering/);
      const second = events.filter((e) => e.type === 'job-started')[1];
      assert.ok(second?.agent !== undefined && second.agent !== picked, out);
      assert.ok(
        events.some((e) => e.type === 'output' && e.line === 'moved'),
        out,
      );
    });
  });
}
