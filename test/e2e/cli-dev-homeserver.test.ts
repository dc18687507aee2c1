import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { after, describe, it } from 'node:test';
import { freePort } from '../../src/devserver/xmpp/prosody.ts';
import { runCli, startCli, tempHome } from '../support/cli.ts';
import { call, register } from '../support/devserver.ts';

const START_TIMEOUT_MS = 15_000;

/** The first line the running CLI prints on stdout (the --json report), or its early exit. */
function firstLine(child: ChildProcess): Promise<string> {
  return new Promise((resolve, reject) => {
    let stderr = '';
    child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => {
      reject(new Error(`no report within ${String(START_TIMEOUT_MS)} ms; stderr: ${stderr}`));
    }, START_TIMEOUT_MS);
    if (child.stdout)
      createInterface({ input: child.stdout }).once('line', (line) => {
        clearTimeout(timer);
        resolve(line);
      });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`exited with ${String(code)} before reporting; stderr: ${stderr}`));
    });
  });
}

/** Send `signal` and resolve the exit code. */
function stop(child: ChildProcess, signal: NodeJS.Signals): Promise<number | null> {
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  child.kill(signal);
  return exited;
}

describe('mx-agent dev homeserver', () => {
  const children: ChildProcess[] = [];
  after(() => {
    // A failed assertion must not leave a server running.
    for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
  });

  it('serves the Client-Server API on loopback, keeps its data, and stops on SIGTERM with exit 0', async () => {
    const env = tempHome();
    const port = await freePort();
    const start = async (): Promise<{ child: ChildProcess; url: string }> => {
      const child = startCli(['--json', 'dev', 'homeserver', '--port', String(port)], env);
      children.push(child);
      const url = `http://127.0.0.1:${String(port)}`;
      const report = JSON.parse(await firstLine(child)) as Record<string, unknown>;
      assert.deepEqual(report, {
        url,
        serverName: 'localhost',
        dataDir: join(String(env.XDG_DATA_HOME), 'mx-agent', 'devserver'),
      });
      return { child, url };
    };

    const first = await start();
    const versions = await fetch(`${first.url}/_matrix/client/versions`);
    assert.equal(versions.status, 200);
    assert.ok(((await versions.json()) as { versions: string[] }).versions.includes('v1.11'));
    const alice = await register({ url: first.url }, 'alice');
    assert.equal(await stop(first.child, 'SIGTERM'), 0);

    // The default data directory survives a restart: the account and its token still work.
    const second = await start();
    const who = await call(
      { url: second.url },
      'GET',
      '/_matrix/client/v3/account/whoami',
      undefined,
      alice.token,
    );
    assert.equal(who.body.user_id, '@alice:localhost');
    assert.equal(await stop(second.child, 'SIGINT'), 0, 'Ctrl-C is the normal way to stop it');
  });

  it('rejects a bad --port before starting (exit 2)', async () => {
    for (const port of ['x', '0', '70000', '80.5']) {
      const r = await runCli(['dev', 'homeserver', '--port', port], tempHome());
      assert.deepEqual(
        [r.code, r.stderr],
        [2, `mx-agent: expected a port number 1-65535, got "${port}"\n`],
      );
    }
  });

  it('says which port is taken (exit 5)', async () => {
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    const address = taken.address();
    const port = typeof address === 'object' && address ? address.port : 0;
    try {
      const r = await runCli(['dev', 'homeserver', '--port', String(port)], tempHome());
      assert.deepEqual(
        [r.code, r.stderr],
        [
          5,
          `mx-agent: port ${String(port)} is in use on 127.0.0.1 (another homeserver?); stop it or choose another --port\n`,
        ],
      );
    } finally {
      await new Promise((resolve) => taken.close(resolve));
    }
  });

  it('warns before binding beyond loopback, and refuses an address not on this machine', async () => {
    // 192.0.2.1 (TEST-NET-1, RFC 5737) is never an address of this machine.
    const r = await runCli(
      ['dev', 'homeserver', '--host', '192.0.2.1', '--port', String(await freePort())],
      tempHome(),
    );
    assert.equal(r.code, 2, r.stderr);
    assert.equal(
      r.stderr,
      'warning: listening on 192.0.2.1, not loopback: this is a development server, never for production, and anyone who can reach it can register an account\n' +
        'mx-agent: cannot listen on "192.0.2.1": expected an address of this machine, such as 127.0.0.1\n',
    );
  });
});
