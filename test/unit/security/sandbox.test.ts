/**
 * The bubblewrap sandbox: its command line, detecting whether it works here, and what a job
 * inside it can and cannot do. The behaviour tests need a working bwrap and skip without one.
 */
import assert from 'node:assert/strict';
import { existsSync, lstatSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { RefusedError } from '../../../src/errors.ts';
import {
  JOB_PATH,
  SANDBOX_HOME,
  sandboxArgv,
  sandboxOptions,
} from '../../../src/security/sandbox-argv.ts';
import { detectSandbox } from '../../../src/security/sandbox.ts';
import type { JobProcessOptions } from '../../../src/workflow/job-process.ts';
import { shellJob, type ShellJobResult } from '../../support/shell-jobs.ts';

const root = mkdtempSync(join(tmpdir(), 'mx-sandbox-'));
after(() => {
  rmSync(root, { recursive: true, force: true });
});
const cwd = mkdtempSync(join(root, 'cwd-'));
const outside = mkdtempSync(join(root, 'outside-'));

/** The value after each occurrence of `flag`. */
function valuesOf(argv: readonly string[], flag: string, count = 1): string[][] {
  return argv.flatMap((arg, i) => (arg === flag ? [argv.slice(i + 1, i + 1 + count)] : []));
}

describe('sandboxArgv', () => {
  const spec = {
    command: '/usr/bin/make',
    args: ['-j4', 'all'],
    cwd,
    env: { CI: '1', PATH: '/evil', HOME: '/root' },
    network: false,
    writable: [cwd],
  };
  const argv = sandboxArgv(spec);

  test('isolates every namespace, dies with its parent, drops capabilities', () => {
    assert.deepEqual(argv.slice(0, 5), [
      '--unshare-all',
      '--die-with-parent',
      '--new-session',
      '--cap-drop',
      'ALL',
    ]);
    assert.ok(!argv.includes('--share-net'));
    assert.ok(sandboxArgv({ ...spec, network: true }).includes('--share-net'));
  });

  test('mounts the system read-only as the host has it, never the home directory', () => {
    const roBinds = valuesOf(argv, '--ro-bind', 2);
    assert.ok(roBinds.some(([src, dest]) => src === '/usr' && dest === '/usr'));
    for (const dir of ['/bin', '/lib', '/etc']) {
      if (!existsSync(dir)) continue;
      const link = lstatSync(dir).isSymbolicLink();
      const entries = link
        ? valuesOf(argv, '--symlink', 2).map(([, d]) => d)
        : roBinds.map(([, d]) => d);
      assert.ok(entries.includes(dir), dir);
    }
    const sources = [...roBinds, ...valuesOf(argv, '--bind', 2)].map(([src]) => src);
    assert.ok(!sources.includes(homedir()) && !sources.includes('/'), sources.join(' '));
    assert.deepEqual(
      roBinds.filter(([src]) => src === '/dev/null').map(([, dest]) => dest),
      ['/etc/shadow', '/etc/shadow-', '/etc/gshadow', '/etc/gshadow-'].filter((f) => existsSync(f)),
    );
  });

  test('gives fresh /dev, /proc and /tmp, then binds the working directory writable', () => {
    const order = ['--dev', '--proc', '--tmpfs', '--bind', '--chdir'].map((flag) =>
      argv.lastIndexOf(flag),
    );
    assert.deepEqual(
      [...order].sort((a, b) => a - b),
      order,
    );
    assert.deepEqual(valuesOf(argv, '--dev'), [['/dev']]);
    assert.deepEqual(valuesOf(argv, '--proc'), [['/proc']]);
    assert.deepEqual(valuesOf(argv, '--tmpfs').at(-1), ['/tmp']);
    assert.deepEqual(valuesOf(argv, '--bind', 2), [[cwd, cwd]]);
    assert.deepEqual(valuesOf(argv, '--chdir'), [[cwd]]);
  });

  test('clears the environment and sets only the allowed variables, a fixed PATH and HOME', () => {
    assert.ok(argv.indexOf('--clearenv') < argv.indexOf('--setenv'));
    assert.deepEqual(valuesOf(argv, '--setenv', 2), [
      ['CI', '1'],
      ['PATH', JOB_PATH],
      ['HOME', SANDBOX_HOME],
    ]);
  });

  test('ends with the command and its arguments after --', () => {
    assert.deepEqual(argv.slice(-4), ['--', '/usr/bin/make', '-j4', 'all']);
    assert.deepEqual(sandboxOptions(spec), argv.slice(0, -4));
  });
});

describe('detectSandbox', () => {
  test('no bwrap on the search path: none, saying so', () => {
    assert.deepEqual(detectSandbox({ searchPath: root }), {
      kind: 'none',
      reason: 'bubblewrap (bwrap) is not installed on this worker',
    });
  });

  test('a bwrap that cannot create namespaces counts as none, with its reason', () => {
    const dir = mkdtempSync(join(root, 'fake-bwrap-'));
    writeFileSync(
      join(dir, 'bwrap'),
      '#!/bin/sh\necho "bwrap: No permissions to create new namespace" >&2\nexit 1\n',
      { mode: 0o755 },
    );
    assert.deepEqual(detectSandbox({ searchPath: dir }), {
      kind: 'none',
      reason: `${join(dir, 'bwrap')} cannot create a sandbox here: bwrap: No permissions to create new namespace`,
    });
  });

  test('the answer is remembered', () => {
    assert.equal(detectSandbox(), detectSandbox());
  });
});

const support = detectSandbox();
const noBwrap = support.kind === 'none' ? `no working bubblewrap here: ${support.reason}` : false;

/** Run a shell snippet as a sandboxed job. */
function job(script: string, changes: Partial<JobProcessOptions> = {}): Promise<ShellJobResult> {
  return shellJob(script, cwd, { sandbox: 'required', ...changes });
}

describe('a sandboxed job', { skip: noBwrap }, () => {
  test('can write its working directory and nothing else', async () => {
    writeFileSync(join(outside, 'secret'), 'token');
    const target = join(outside, 'planted');
    const result = await job(
      `echo made > out; echo x > ${target}; echo x > /etc/mx-agent-sandbox-test; cat ${join(outside, 'secret')}; cat /etc/shadow; true`,
    );
    assert.equal(result.sandboxed, true);
    assert.equal(readFileSync(join(cwd, 'out'), 'utf8'), 'made\n');
    assert.ok(!existsSync(target));
    assert.ok(!existsSync('/etc/mx-agent-sandbox-test'));
    assert.ok(!result.output.includes('token'), result.output);
    assert.match(result.output, /Read-only file system/);
  });

  test('sees only the allowed environment', async () => {
    process.env['MX_AGENT_SANDBOX_SECRET'] = 'leak';
    const result = await job('', { command: '/usr/bin/env', args: [], env: { FOO: 'bar baz' } });
    delete process.env['MX_AGENT_SANDBOX_SECRET'];
    assert.deepEqual(result.output.trim().split('\n').sort(), [
      'FOO=bar baz',
      `HOME=${SANDBOX_HOME}`,
      `PATH=${JOB_PATH}`,
      `PWD=${cwd}`, // bwrap's --chdir sets it
    ]);
  });

  test('cannot reach the network unless the policy allows it', async (t) => {
    const connections: number[] = [];
    const server: Server = createServer((socket) => {
      connections.push(1);
      socket.destroy();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    t.after(() => server.close());
    const address = server.address();
    assert.ok(typeof address === 'object' && address !== null);
    const connect = `exec /usr/bin/bash -c 'echo hi > /dev/tcp/127.0.0.1/${String(address.port)}'`;
    const isolated = await job(connect);
    assert.notEqual(isolated.exitCode, 0);
    assert.equal(connections.length, 0);
    const networked = await job(connect, { network: true });
    assert.equal(networked.exitCode, 0, networked.output);
    assert.equal(connections.length, 1);
  });
});

describe('without bubblewrap', () => {
  const none = {
    kind: 'none',
    reason: 'bubblewrap (bwrap) is not installed on this worker',
  } as const;

  test("'required' refuses before starting anything", async () => {
    const marker = join(cwd, 'should-not-exist');
    await assert.rejects(job(`touch ${marker}`, { sandboxSupport: none }), (error: unknown) => {
      assert.ok(error instanceof RefusedError);
      assert.equal(
        error.message,
        'the policy requires a sandbox for this job, but bubblewrap (bwrap) is not installed on this worker; ' +
          "install bubblewrap (apt-get install bubblewrap, dnf install bubblewrap, or your distribution's package), " +
          'or set require_sandbox = false for this rule in policy.toml to let it run unsandboxed',
      );
      return true;
    });
    assert.ok(!existsSync(marker));
  });

  test("'preferred' runs unsandboxed and warns", async () => {
    const result = await job('echo ran', { sandbox: 'preferred', sandboxSupport: none });
    assert.equal(result.output, 'ran\n');
    assert.equal(result.sandboxed, false);
    assert.equal(
      result.warning,
      'ran without a sandbox: bubblewrap (bwrap) is not installed on this worker, so the job could read and ' +
        "write whatever this user can and use the network; install bubblewrap (apt-get install bubblewrap, dnf install bubblewrap, or your distribution's package)",
    );
  });

  test("'off' never sandboxes and does not warn", async () => {
    const result = await job('echo ran', { sandbox: 'off' });
    assert.equal(result.sandboxed, false);
    assert.equal(result.warning, undefined);
  });
});
