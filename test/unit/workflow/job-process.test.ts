/**
 * Running one job: exit codes and signals, the timeout and cancel that end the whole process
 * group, the output cap, and an environment that owes nothing to the worker's. These run
 * unsandboxed (sandbox 'off') to pin the process handling; sandbox.test.ts covers bubblewrap.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { InternalError, RemoteFailureError } from '../../../src/errors.ts';
import { isAlive } from '../../../src/processes.ts';
import { JOB_PATH } from '../../../src/security/sandbox-argv.ts';
import { detectSandbox } from '../../../src/security/sandbox.ts';
import type { JobProcessOptions } from '../../../src/workflow/job-process.ts';
import { shellJob, type ShellJobResult } from '../../support/shell-jobs.ts';

const cwd = mkdtempSync(join(tmpdir(), 'mx-job-'));
after(() => {
  rmSync(cwd, { recursive: true, force: true });
});

/** Run `script` with /bin/sh as a job, unsandboxed unless `changes` say otherwise. */
function run(script: string, changes: Partial<JobProcessOptions> = {}): Promise<ShellJobResult> {
  return shellJob(script, cwd, changes);
}

/** The pid the job printed first, once it is gone (or after `ms`): true when it is gone. */
async function goneSoon(pid: number, ms = 500): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (isAlive(pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  return !isAlive(pid);
}

test('reports the exit code and output by stream', async () => {
  const result = await run('echo out; echo err >&2; exit 3');
  assert.equal(result.exitCode, 3);
  assert.equal(result.signal, null);
  assert.equal(result.stdout, 'out\n');
  assert.equal(result.stderr, 'err\n');
  assert.equal(result.outputBytes, 8);
  assert.deepEqual(
    {
      timedOut: result.timedOut,
      cancelled: result.cancelled,
      truncated: result.truncated,
      sandboxed: result.sandboxed,
    },
    { timedOut: false, cancelled: false, truncated: false, sandboxed: false },
  );
});

test('reports the signal that ended a job', async () => {
  const result = await run('kill -KILL $$');
  assert.equal(result.exitCode, null);
  assert.equal(result.signal, 'SIGKILL');
});

test('arguments reach the program as they are, never through a shell', async () => {
  const result = await run('', { command: '/bin/echo', args: ['$(id)', ';', '*', '`x`'] });
  assert.equal(result.stdout, '$(id) ; * `x`\n');
});

test('a timeout ends the whole process group, even a grandchild that ignores SIGTERM', async () => {
  const started = Date.now();
  let grandchild = 0;
  const result = await run('trap "" TERM; sleep 100 & echo $!; wait', {
    timeoutMs: 200,
    onOutput: (_stream, chunk) => {
      grandchild ||= Number.parseInt(chunk.toString(), 10);
    },
  });
  assert.equal(result.timedOut, true);
  assert.equal(result.signal, 'SIGKILL');
  assert.ok(grandchild > 0);
  assert.ok(await goneSoon(grandchild), `grandchild ${String(grandchild)} still runs`);
  const elapsed = Date.now() - started;
  assert.ok(
    elapsed >= 2200 && elapsed < 4000,
    `took ${String(elapsed)} ms: 200 ms, then the 2 s grace`,
  );
});

test('a job that exits on SIGTERM ends without waiting for the grace period', async () => {
  const result = await run('sleep 100', { timeoutMs: 100 });
  assert.equal(result.timedOut, true);
  assert.equal(result.signal, 'SIGTERM');
  assert.ok(result.durationMs < 1500, String(result.durationMs));
});

test('what a finished job left running is ended with it', async () => {
  let leftover = 0;
  const result = await run('sleep 100 & echo $!', {
    onOutput: (_stream, chunk) => {
      leftover ||= Number.parseInt(chunk.toString(), 10);
    },
  });
  assert.equal(result.exitCode, 0);
  assert.ok(await goneSoon(leftover), `leftover ${String(leftover)} still runs`);
});

test('an abort cancels the job and its group', async () => {
  const controller = new AbortController();
  let child = 0;
  const running = run('sleep 100 & echo $!; wait', {
    signal: controller.signal,
    onOutput: (_stream, chunk) => {
      child ||= Number.parseInt(chunk.toString(), 10);
      controller.abort();
    },
  });
  const result = await running;
  assert.equal(result.cancelled, true);
  assert.equal(result.timedOut, false);
  assert.ok(await goneSoon(child));
});

test('an already aborted signal starts nothing', async () => {
  const marker = join(cwd, 'started');
  const result = await run(`touch ${marker}`, { signal: AbortSignal.abort() });
  assert.equal(result.cancelled, true);
  assert.equal(result.exitCode, null);
  assert.ok(!existsSync(marker));
});

test('output past the cap is not forwarded and the job is killed', async () => {
  const result = await run('while :; do echo 0123456789; done', { maxOutputBytes: 1000 });
  assert.equal(result.truncated, true);
  assert.equal(result.outputBytes, 1000);
  assert.equal(result.stdout.length, 1000);
  assert.equal(result.signal, 'SIGTERM');
  const exact = await run('printf 0123456789', { maxOutputBytes: 10 });
  assert.equal(exact.truncated, false);
  assert.equal(exact.exitCode, 0);
});

test('the environment is the job env and a fixed PATH, nothing of the worker', async () => {
  process.env['MX_AGENT_JOB_SECRET'] = 'do-not-leak';
  try {
    const result = await run('', {
      command: '/usr/bin/env',
      args: [],
      env: { FOO: 'bar', PATH: '/tmp/evil' },
    });
    assert.deepEqual(result.stdout.trim().split('\n').sort(), ['FOO=bar', `PATH=${JOB_PATH}`]);
  } finally {
    delete process.env['MX_AGENT_JOB_SECRET'];
  }
});

test('a program that cannot start is a job failure; a relative command is a bug', async () => {
  await assert.rejects(run('', { command: join(cwd, 'missing') }), RemoteFailureError);
  await assert.rejects(run('', { command: 'sh' }), InternalError);
});

const support = detectSandbox();
test(
  'in the sandbox, a timeout ends everything inside it',
  { skip: support.kind === 'none' ? `no working bubblewrap: ${support.reason}` : false },
  async () => {
    const marker = `97.${String(process.pid)}`; // unique to this test process
    const result = await run(`trap "" TERM; sleep ${marker} & wait`, {
      timeoutMs: 200,
      sandbox: 'required',
    });
    assert.equal(result.sandboxed, true);
    assert.equal(result.timedOut, true);
    assert.ok(result.durationMs < 3000, String(result.durationMs));
    // Its pids are the sandbox's own; look for its command line on the host instead.
    const running = () =>
      readdirSync('/proc').filter((pid) => {
        try {
          return readFileSync(`/proc/${pid}/cmdline`, 'utf8') === `sleep\u0000${marker}\u0000`;
        } catch {
          return false;
        }
      });
    const deadline = Date.now() + 1000;
    while (running().length > 0 && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 20));
    assert.deepEqual(running(), []);
  },
);
