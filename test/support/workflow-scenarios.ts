/**
 * `workflow run` end to end on one network: an orchestrator and three worker agents, each its
 * own installation (HOME) running the built CLI, that trust each other's keys, in one
 * workspace. Output passing between agents, a failing job whose dependents are skipped, a
 * request no policy admits, fan-out and fan-in across the three, a flaky job retried, a job
 * timeout and a Ctrl-C that both end the remote process and everything it started.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startCli, stopHosts } from './cli.ts';
import { workflowAgents, type WorkflowAgent, type WorkflowNetwork } from './workflow-agents.ts';

/** Wait until `ready()`, polling; fail saying `what` after `timeoutMs`. */
async function until(what: string, ready: () => boolean, timeoutMs = 30_000): Promise<void> {
  for (const started = Date.now(); !ready();) {
    assert.ok(Date.now() - started < timeoutMs, `still waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** True once no process `pid` exists (a negative pid: no process in that group). */
function gone(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return false;
  } catch {
    return true;
  }
}

/**
 * Host pids of the processes running exactly `argv`. A job may run in bubblewrap's own pid
 * namespace, where the pids it sees (`$$`, `$!`) mean nothing out here, so the test finds its
 * processes by a command line no other process has.
 */
function pidsOf(argv: readonly string[]): number[] {
  const wanted = argv.map((arg) => `${arg}\0`).join('');
  return readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry))
    .filter((pid) => {
      try {
        return readFileSync(`/proc/${pid}/cmdline`, 'utf8') === wanted;
      } catch {
        return false; // it ended while we looked
      }
    })
    .map(Number);
}

/** The process group of host process `pid` (field 5 of /proc/PID/stat). */
function groupOf(pid: number): number {
  const stat = readFileSync(`/proc/${String(pid)}/stat`, 'utf8');
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[2]);
}

/** `sleep` for a number of seconds no other test run uses, to find it by its command line. */
function uniqueSleep(tag: number): string[] {
  return ['sleep', String(100_000_000 + process.pid * 10 + tag)];
}

/** Register the scenarios. */
export function workflowScenarios(name: string, makeNetwork: () => Promise<WorkflowNetwork>): void {
  describe(`workflow run: ${name}`, () => {
    let net: WorkflowNetwork;
    let boss: WorkflowAgent;
    let builder: WorkflowAgent;
    let tester: WorkflowAgent;
    let packer: WorkflowAgent;
    let dir: string;
    /** Host pids a failed test could leave behind. */
    const leftovers: number[] = [];
    /** Write the workflow `name` into the work directory; returns its path. */
    const workflow = (file: string, text: string): string => {
      const path = join(dir, file);
      writeFileSync(path, text);
      return path;
    };

    before(async () => {
      net = await makeNetwork();
      let workers: WorkflowAgent[];
      ({ boss, workers, dir } = await workflowAgents(net, 3, {
        capabilities: ['build', 'test', 'pack'],
      }));
      [builder, tester, packer] = workers as [WorkflowAgent, WorkflowAgent, WorkflowAgent];
    });
    after(async () => {
      for (const pid of leftovers) if (!gone(pid)) process.kill(pid, 'SIGKILL');
      const agents = [boss, builder, tester, packer].filter((a) => a !== undefined);
      await Promise.allSettled(agents.map((a) => stopHosts(a.env)));
      await net.dispose();
    });

    it('runs a DAG across agents: outputs passed on, a failed job skips its dependents', async () => {
      const file = workflow(
        'ci.yml',
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
      assert.equal(existsSync(join(dir, 'deployed')), false);
      // A command no policy names is refused by the worker, and the run says why.
      const denied = workflow(
        'denied.yml',
        `name: denied\njobs:\n  sneak:\n    runs-on: ${builder.id}\n    working-directory: ${dir}\n    steps:\n      - run: touch ${join(dir, 'sneaked')}\n`,
      );
      const refused = await boss.run(['workflow', 'run', denied], 120_000);
      assert.equal(refused.code, 7, refused.stdout + refused.stderr);
      assert.match(refused.stdout, /refused it \(policy\)/);
      assert.equal(existsSync(join(dir, 'sneaked')), false);
    });

    it('fans out to three agents and gathers their outputs into one value', async () => {
      const part = (job: string, agent: WorkflowAgent, factor: number): string => `  ${job}:
    runs-on: ${agent.id}
    working-directory: ${dir}
    steps:
      - id: calc
        run: sh -c 'echo ::output n=$(( \${{ inputs.seed }} * ${String(factor)} ))'
    outputs:
      n: \${{ steps.calc.outputs.n }}
`;
      const file = workflow(
        'fan.yml',
        `name: fan
inputs:
  seed: { default: '1' }
jobs:
${part('one', builder, 1)}${part('ten', tester, 10)}${part('hundred', packer, 100)}  gather:
    needs: [one, ten, hundred]
    runs-on: { capabilities: [pack] }
    working-directory: ${dir}
    steps:
      - run: sh -c 'echo total=$(( \${{ jobs.one.outputs.n }} + \${{ jobs.ten.outputs.n }} + \${{ jobs.hundred.outputs.n }} )) | tee fan-total'
`,
      );
      const r = await boss.run(['workflow', 'run', file, '--input', 'seed=7'], 120_000);
      assert.equal(r.code, 0, r.stdout + r.stderr);
      for (const [job, agent] of [
        ['one', builder],
        ['ten', tester],
        ['hundred', packer],
      ] as const)
        assert.match(r.stdout, new RegExp(`\\[${job}\\] started on ${agent.id}`));
      assert.match(r.stdout, /\[gather\] total=777/);
      assert.equal(readFileSync(join(dir, 'fan-total'), 'utf8'), 'total=777\n');
    });

    it("passes a job's files to the job that needs it on another agent, as artifacts", async () => {
      mkdirSync(join(dir, 'made'));
      mkdirSync(join(dir, 'used'));
      const file = workflow(
        'artifacts.yml',
        `name: artifacts
jobs:
  make:
    runs-on: ${builder.id}
    working-directory: ${join(dir, 'made')}
    artifacts: [out/**]
    steps:
      - run: sh -c 'mkdir -p out && echo made by builder > out/report.txt'
  use:
    needs: [make]
    runs-on: ${tester.id}
    working-directory: ${join(dir, 'used')}
    steps:
      - run: sh -c 'cat out/report.txt'
`,
      );
      const r = await boss.run(['workflow', 'run', file], 120_000);
      assert.equal(r.code, 0, r.stdout + r.stderr);
      assert.match(r.stdout, /\[use\] made by builder/);
      assert.equal(
        readFileSync(join(dir, 'used', 'out', 'report.txt'), 'utf8'),
        'made by builder\n',
      );
    });

    it('retries a flaky job until it succeeds', async () => {
      const file = workflow(
        'flaky.yml',
        `name: flaky
jobs:
  flaky:
    runs-on: { capabilities: [test] }
    working-directory: ${dir}
    retries: { count: 2, backoff: 200ms }
    steps:
      - run: sh -c 'n=$(( $(cat flaky-count 2>/dev/null || echo 0) + 1 )); echo $n > flaky-count; if [ $n -lt 2 ]; then echo not yet >&2; exit 3; fi; echo ok on try $n'
`,
      );
      const r = await boss.run(['workflow', 'run', file], 120_000);
      assert.equal(r.code, 0, r.stdout + r.stderr);
      assert.match(r.stdout, /✗ flaky: step 0 exited with 3/);
      assert.match(r.stdout, /\[flaky\] started on \S+ \(attempt 2\)/);
      assert.match(r.stdout, /\[flaky\] ok on try 2/);
      assert.match(r.stdout, /workflow succeeded/);
      assert.equal(readFileSync(join(dir, 'flaky-count'), 'utf8'), '2\n');
    });

    it('ends a timed-out step with everything it started', async () => {
      const sleep = uniqueSleep(1);
      const file = workflow(
        'timeout.yml',
        `name: timeout
jobs:
  slow:
    runs-on: { capabilities: [build] }
    working-directory: ${dir}
    timeout: 2s
    steps:
      - run: sh -c '${sleep.join(' ')} & echo $! > timeout-child.pid; wait'
`,
      );
      const running = boss.run(['workflow', 'run', file], 120_000);
      await until('the step to start its sleep', () => pidsOf(sleep).length > 0);
      const sleeping = pidsOf(sleep);
      leftovers.push(...sleeping);
      const r = await running;
      assert.equal(r.code, 7, r.stdout + r.stderr);
      assert.match(r.stdout, /✗ slow: step 0 timed out/);
      for (const pid of sleeping)
        await until(`the step's background sleep (${String(pid)}) to end`, () => gone(pid), 5000);
      const finished = builder.audit().filter((record) => record.event === 'task finished');
      assert.match(String(finished.at(-1)?.summary), /\/slow\/0: exit .*, timed out$/);
    });

    it('Ctrl-C stops the run: exit 130, the remote process group ends, the worker audits the cancel', async () => {
      const sleep = uniqueSleep(2);
      const file = workflow(
        'interrupt.yml',
        `name: interrupt
jobs:
  long:
    runs-on: ${tester.id}
    working-directory: ${dir}
    steps:
      - run: sh -c '${sleep.join(' ')} & echo $$ > interrupted.pid; wait'
`,
      );
      const child = startCli(['workflow', 'run', file], boss.env);
      let out = '';
      child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
      child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
      const closed = new Promise<number | null>((resolve) => child.once('close', resolve));
      try {
        await until('the remote step to start', () => existsSync(join(dir, 'interrupted.pid')));
        await until('the remote sleep', () => pidsOf(sleep).length > 0);
        const [pid] = pidsOf(sleep) as [number];
        leftovers.push(pid);
        const group = groupOf(pid);
        const interrupted = Date.now();
        child.kill('SIGINT');
        assert.equal(await closed, 130, out);
        assert.ok(Date.now() - interrupted < 20_000, 'the run stopped promptly');
        await until(`process group ${String(group)} to end`, () => gone(-group), 5000);
        assert.ok(gone(pid));
      } finally {
        if (child.exitCode === null) child.kill('SIGKILL');
      }
      const records = tester.audit();
      assert.ok(
        records.some((r) => r.event === 'task cancelled'),
        JSON.stringify(records.slice(-3)),
      );
      const finished = records.filter((r) => r.event === 'task finished').at(-1);
      assert.match(String(finished?.summary), /\/long\/0: exit .*, cancelled$/);
    });
  });
}
