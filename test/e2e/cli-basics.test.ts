import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { freePort } from '../../src/devserver/xmpp/prosody.ts';
import { runCli, tempHome } from '../support/cli.ts';

const noStack = (stderr: string): void => {
  assert.doesNotMatch(stderr, /^\s+at /m, 'no stack trace without -v');
};

describe('mx-agent CLI basics (no server needed)', () => {
  it('--help lists the commands and the exit codes', async () => {
    const r = await runCli(['--help'], tempHome());
    assert.equal(r.code, 0);
    for (const command of ['login', 'whoami', 'profiles', 'logout', 'send', 'listen'])
      assert.match(r.stdout, new RegExp(`^  ${command}\\b`, 'm'));
    assert.match(r.stdout, /Exit codes:\n\s+0 {2}success/);
    assert.match(r.stdout, /130 {2}interrupted/);
  });

  it('--version prints the package version', async () => {
    const { version } = JSON.parse(
      readFileSync(new URL('../../package.json', import.meta.url), 'utf8'),
    ) as { version: string };
    const r = await runCli(['--version'], tempHome());
    assert.deepEqual([r.code, r.stdout.trim()], [0, version]);
  });

  it('an unknown command is a usage error (exit 2)', async () => {
    const r = await runCli(['frobnicate'], tempHome());
    assert.equal(r.code, 2);
    assert.match(r.stderr, /unknown command 'frobnicate'/);
  });

  it('a malformed JID exits 2 naming the expected form, without a stack trace', async () => {
    const r = await runCli(
      ['login', 'xmpp', '--jid', 'alice', '--password-stdin'],
      tempHome(),
      'pw\n',
    );
    assert.equal(r.code, 2);
    assert.equal(
      r.stderr,
      'mx-agent: expected an XMPP address like alice@example.org, got "alice"\n',
    );
    noStack(r.stderr);
  });

  it('an unreachable server exits 5 within the connect timeout and stores nothing', async () => {
    const env = tempHome();
    const port = await freePort();
    const r = await runCli(
      [
        'login',
        'xmpp',
        '--jid',
        'a@localhost',
        '--host',
        '127.0.0.1',
        '--port',
        String(port),
        '--tls',
        'off',
        '--password-stdin',
      ],
      env,
      'pw\n',
    );
    assert.equal(r.code, 5);
    assert.match(r.stderr, /^mx-agent: could not connect to 127\.0\.0\.1:\d+: connection refused/);
    assert.equal(r.stderr.trim().split('\n').length, 1, 'one line');
    assert.ok(r.ms < 10_000);
    const list = await runCli(['--json', 'profiles'], env);
    assert.deepEqual(JSON.parse(list.stdout), []);
  });

  it('refuses --tls off towards a server that is not on this machine', async () => {
    const r = await runCli(
      ['login', 'xmpp', '--jid', 'a@example.org', '--tls', 'off', '--password-stdin'],
      tempHome(),
      'pw\n',
    );
    assert.equal(r.code, 2);
    assert.match(
      r.stderr,
      /--tls off sends everything unencrypted; it is only allowed for a server on this machine/,
    );
  });

  it('without a terminal, asks for --password-stdin instead of hanging', async () => {
    const r = await runCli(['login', 'xmpp', '--jid', 'a@example.org'], tempHome());
    assert.equal(r.code, 2);
    assert.match(r.stderr, /use --password-stdin|pipe it in with --password-stdin/);
  });

  it('commands needing an account exit 3 when there is none, saying what to do', async () => {
    for (const args of [
      ['whoami'],
      ['send', 'bob@example.org', 'hi'],
      ['listen'],
      ['--profile', 'nope', 'whoami'],
    ]) {
      const r = await runCli(args, tempHome());
      assert.equal(r.code, 3, args.join(' '));
      assert.match(r.stderr, /mx-agent login xmpp|no profile named "nope"/);
      noStack(r.stderr);
    }
  });

  it('a missing argument or a bare group command is a usage error (exit 2)', async () => {
    const send = await runCli(['send'], tempHome());
    assert.equal(send.code, 2);
    assert.match(send.stderr, /^mx-agent: missing required argument 'to'\n/);
    const login = await runCli(['login'], tempHome());
    assert.equal(login.code, 2);
    assert.match(login.stderr, /Usage: mx-agent login/);
  });

  it('there is no way to give a password in argv', async () => {
    const r = await runCli(
      ['login', 'xmpp', '--jid', 'a@localhost', '--password', 'hunter2'],
      tempHome(),
    );
    assert.equal(r.code, 2);
    assert.match(r.stderr, /unknown option '--password'/);
  });

  it('-v adds the stack trace that is otherwise left out', async () => {
    const quiet = await runCli(['whoami'], tempHome());
    assert.equal(quiet.stderr.trim().split('\n').length, 1);
    const verbose = await runCli(['-v', 'whoami'], tempHome());
    assert.equal(verbose.code, 3);
    assert.match(verbose.stderr, /^ConfigError: no profile yet/m);
    assert.match(verbose.stderr, /^\s+at /m);
  });

  it('profiles with none stored says how to add one; --json gives []', async () => {
    const env = tempHome();
    const text = await runCli(['profiles'], env);
    assert.deepEqual(
      [text.code, text.stdout],
      [0, 'no profiles yet; log in with `mx-agent login xmpp --jid alice@example.org`\n'],
    );
    const json = await runCli(['--json', 'profiles'], env);
    assert.deepEqual([json.code, JSON.parse(json.stdout)], [0, []]);
  });

  it('--tls-insecure is needed to send a password unencrypted to another machine, with a warning', async () => {
    const port = await freePort();
    // 0.0.0.0 is not a loopback address by our rule, but a connection to it fails at once.
    const r = await runCli(
      [
        'login',
        'xmpp',
        '--jid',
        'a@example.org',
        '--host',
        '0.0.0.0',
        '--port',
        String(port),
      ].concat(['--tls', 'off', '--tls-insecure', '--password-stdin']),
      tempHome(),
      'pw\n',
    );
    assert.equal(r.code, 5, r.stderr);
    assert.match(
      r.stderr,
      /^warning: --tls off: the password and every message cross the network to 0\.0\.0\.0 unencrypted\n/,
    );
  });

  it('rejects a bad payload body before connecting', async () => {
    const r = await runCli(
      ['send', 'bob@example.org', '--payload', 'test.echo', 'not json'],
      tempHome(),
    );
    assert.equal(r.code, 2);
    assert.match(r.stderr, /expected the payload body as a JSON object/);
  });
});
