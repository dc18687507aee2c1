import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { ProsodyServer } from '../../src/devserver/xmpp/prosody.ts';
import {
  runCli,
  startCli,
  startListening,
  stopHosts,
  tempHome,
  waitForStderr,
} from '../support/cli.ts';
import { prosodyForTests, uniqueUser } from '../support/prosody.ts';

const server = await prosodyForTests();

/** A registered account and the login arguments for it. */
async function account(
  s: ProsodyServer,
): Promise<{ jid: string; password: string; args: string[] }> {
  const user = uniqueUser('cli');
  const password = `secret-${user}-pw`;
  await s.register(user, password);
  const jid = `${user}@${s.domain}`;
  return {
    jid,
    password,
    args: [
      'login',
      'xmpp',
      '--jid',
      jid,
      '--host',
      s.host,
      '--port',
      String(s.c2sPort),
      '--tls',
      'off',
      '--password-stdin',
    ],
  };
}

const mode = (path: string): number => statSync(path).mode & 0o777;

describe(
  'mx-agent CLI against a real Prosody',
  { skip: server ? false : 'prosody not installed: apt-get install prosody' },
  () => {
    let env: NodeJS.ProcessEnv;
    let alice: Awaited<ReturnType<typeof account>>;
    let bob: Awaited<ReturnType<typeof account>>;

    before(async () => {
      if (!server) return;
      env = tempHome();
      alice = await account(server);
      bob = await account(server);
    });
    after(async () => {
      if (env) await stopHosts(env);
      await server?.stop();
    });

    it('logs in, stores the secret in a 0600 file, and never prints it', async () => {
      const r = await runCli(['--profile', 'a', ...alice.args], env, `${alice.password}\n`);
      assert.equal(r.code, 0, r.stderr);
      assert.match(
        r.stdout,
        new RegExp(`^logged in as ${alice.jid}/\\S+ \\(profile "a", default\\)\\n$`),
      );
      const dir = env.MX_AGENT_CONFIG_DIR ?? '';
      assert.equal(mode(join(dir, 'secrets', 'a.json')), 0o600);
      assert.equal(mode(join(dir, 'secrets')), 0o700);
      assert.equal(mode(join(dir, 'profiles.json')), 0o600);
      assert.doesNotMatch(
        readFileSync(join(dir, 'profiles.json'), 'utf8'),
        new RegExp(alice.password),
      );
      assert.ok(!r.stdout.includes(alice.password) && !r.stderr.includes(alice.password));
      const who = await runCli(['--json', 'whoami', '--check'], env);
      assert.equal(who.code, 0, who.stderr);
      const data = JSON.parse(who.stdout) as {
        profile: string;
        account: string;
        address: string;
        default: boolean;
      };
      assert.deepEqual([data.profile, data.account, data.default], ['a', alice.jid, true]);
      assert.match(data.address, new RegExp(`^${alice.jid}/`));
    });

    it('a wrong password exits 4 with one line, and stores nothing', async () => {
      const r = await runCli(['--profile', 'wrong', ...bob.args], env, 'not-the-password\n');
      assert.equal(r.code, 4);
      assert.match(
        r.stderr,
        new RegExp(`^mx-agent: the server refused the password for ${bob.jid} \\(not-authorized`),
      );
      assert.equal(r.stderr.trim().split('\n').length, 1);
      assert.ok(
        !readdirSync(join(env.MX_AGENT_CONFIG_DIR ?? '', 'secrets')).includes('wrong.json'),
      );
      const list = await runCli(['--json', 'profiles'], env);
      assert.deepEqual(
        (JSON.parse(list.stdout) as { name: string }[]).map((p) => p.name),
        ['a'],
      );
    });

    it('exchanges messages between two profiles with send and listen', async () => {
      if (!server) return;
      const login = await runCli(['--profile', 'b', ...bob.args], env, `${bob.password}\n`);
      assert.equal(login.code, 0, login.stderr);
      const room = `cli-${uniqueUser('room')}@${server.mucDomain}`;
      const listener = await startListening(
        [
          '--profile',
          'b',
          '--json',
          'listen',
          '--workspace',
          room,
          '--count',
          '4',
          '--timeout',
          '20',
        ],
        env,
      );
      const direct = await runCli(['--profile', 'a', 'send', bob.jid, 'hello', 'bob'], env);
      assert.equal(direct.code, 0, direct.stderr);
      const id = /^sent (\S+) to /.exec(direct.stdout)?.[1];
      const inRoom = await runCli(['--profile', 'a', 'send', room, 'hello room'], env);
      assert.equal(inRoom.code, 0, inRoom.stderr);
      const payload = await runCli(
        ['--profile', 'a', 'send', bob.jid, '--payload', 'test.echo', '{"n":1,"s":"ü"}'],
        env,
      );
      assert.equal(payload.code, 0, payload.stderr);
      const piped = await runCli(
        ['--profile', 'a', 'send', bob.jid, '--stdin'],
        env,
        'line one\nline two\n',
      );
      assert.equal(piped.code, 0, piped.stderr);
      assert.equal(await listener.closed, 0);
      const lines = listener
        .stdout()
        .trim()
        .split('\n')
        .map(
          (l) =>
            JSON.parse(l) as {
              type: string;
              text?: string;
              id?: string;
              target?: { kind: string };
              payload?: unknown;
            },
        );
      const messages = lines.filter((l) => l.type === 'text' || l.type === 'payload');
      assert.deepEqual(
        messages.map((m) => m.text ?? m.payload),
        [
          'hello bob',
          'hello room',
          { kind: 'test.echo', version: 1, body: { n: 1, s: 'ü' } },
          'line one\nline two',
        ],
      );
      assert.equal(messages[0]?.id, id);
      assert.deepEqual(
        messages.map((m) => m.target?.kind),
        ['direct', 'workspace', 'direct', 'direct'],
      );
    });

    it('delivers a message sent while the peer was offline', async () => {
      const sent = await runCli(['--profile', 'a', 'send', bob.jid, 'while you were away'], env);
      assert.equal(sent.code, 0, sent.stderr);
      const r = await runCli(
        ['--profile', 'b', '--json', 'listen', '--count', '1', '--timeout', '15'],
        env,
      );
      assert.equal(r.code, 0, r.stderr);
      const got = JSON.parse(r.stdout.trim()) as { text: string; delayed: boolean };
      assert.deepEqual([got.text, got.delayed], ['while you were away', true]);
    });

    it('listen --count with --timeout exits 5 when too few messages arrive', async () => {
      const r = await runCli(['--profile', 'b', 'listen', '--count', '1', '--timeout', '1'], env);
      assert.equal(r.code, 5);
      assert.match(r.stderr, /timed out after 1 s with 0 of 1 messages/);
    });

    it('logs in a component with --secret-stdin', async () => {
      if (!server) return;
      const args = [
        '--profile',
        'comp',
        'login',
        'xmpp',
        '--component',
        server.componentDomain,
        '--host',
        server.host,
        '--port',
        String(server.componentPort),
        '--secret-stdin',
      ];
      const bad = await runCli(args, env, 'wrong\n');
      assert.equal(bad.code, 4);
      const r = await runCli(args, env, `${server.componentSecret}\n`);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /^logged in as agent\.localhost \(profile "comp"\)/);
    });

    it('listen prints one line per message for a person, and Ctrl-C ends it with exit 0', async () => {
      const listener = startCli(['--profile', 'b', 'listen'], env);
      let stdout = '';
      listener.stdout?.on('data', (d: Buffer) => (stdout += d.toString()));
      const closed = new Promise<number | null>((resolve) => listener.once('close', resolve));
      await waitForStderr(
        listener,
        new RegExp(`listening as ${bob.jid}/\\S+ \\(Ctrl-C to stop\\)`),
      );
      const sent = await runCli(['--profile', 'a', 'send', bob.jid, 'hi', 'there'], env);
      assert.equal(sent.code, 0, sent.stderr);
      const deadline = Date.now() + 10_000;
      while (!stdout.includes('hi there') && Date.now() < deadline)
        await new Promise((resolve) => setTimeout(resolve, 50));
      listener.kill('SIGINT');
      assert.equal(await closed, 0);
      assert.match(
        stdout,
        new RegExp(`^\\[\\d\\d:\\d\\d:\\d\\d\\] ${alice.jid}/\\S+: hi there$`, 'm'),
      );
    });

    it('whoami shows the profile without connecting', async () => {
      const r = await runCli(['--profile', 'a', 'whoami'], env);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(
        r.stdout,
        [
          'profile:  a (default)',
          'network:  xmpp',
          `account:  ${alice.jid}`,
          `server:   ${server?.host ?? ''}:${String(server?.c2sPort)} (tls off)`,
          '',
        ].join('\n'),
      );
    });

    it('profiles lists both accounts with the default marked', async () => {
      const r = await runCli(['profiles'], env);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, new RegExp(`^\\* a +xmpp +${alice.jid}$`, 'm'));
      assert.match(r.stdout, new RegExp(`^ {2}b +xmpp +${bob.jid}$`, 'm'));
    });

    it('logout removes the profile and its secret', async () => {
      const r = await runCli(['logout', 'b'], env);
      assert.equal(r.code, 0, r.stderr);
      assert.ok(!readdirSync(join(env.MX_AGENT_CONFIG_DIR ?? '', 'secrets')).includes('b.json'));
      const again = await runCli(['--profile', 'b', 'whoami'], env);
      assert.equal(again.code, 3);
    });
  },
);
