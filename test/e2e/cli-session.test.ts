/**
 * The session host as a user meets it: the built CLI against a real Prosody, several commands
 * on one profile at once, all through one background host.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readlinkSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { freePort } from '../../src/devserver/xmpp/prosody.ts';
import {
  TEST_HOST_IDLE_MS,
  runCli,
  startCli,
  startListening,
  stopHosts,
  tempHome,
  waitForStderr,
} from '../support/cli.ts';
import { prosodyForTests, uniqueUser } from '../support/prosody.ts';
import { isAlive } from '../../src/session/lock.ts';

const server = await prosodyForTests();

interface StatusRow {
  profile: string;
  running: boolean;
  pid?: number;
  clients?: number;
  workspaces?: string[];
  address?: string;
  state?: string;
}

const mode = (path: string): number => statSync(path).mode & 0o777;
// Zombie-aware: an exited host may wait a while to be reaped by whatever adopted it.
const alive = isAlive;

describe(
  'session host: commands on one profile share one connection',
  { skip: server ? false : 'prosody not installed: apt-get install prosody' },
  () => {
    let env: NodeJS.ProcessEnv;
    let alice: string;
    let bob: string;
    const sessions = (): string => join(env.XDG_DATA_HOME ?? '', 'mx-agent', 'sessions');
    const status = async (profile?: string): Promise<StatusRow[]> => {
      const r = await runCli(
        [...(profile ? ['--profile', profile] : []), '--json', 'daemon', 'status'],
        env,
      );
      assert.equal(r.code, 0, r.stderr);
      return JSON.parse(r.stdout) as StatusRow[];
    };
    const servingLines = (profile: string): number =>
      readFileSync(join(sessions(), `${profile}.log`), 'utf8')
        .split('\n')
        .filter((l) => / info serving /.test(l)).length;

    before(async () => {
      if (!server) return;
      env = tempHome();
      for (const [profile, user] of [
        ['a', uniqueUser('alice')],
        ['b', uniqueUser('bob')],
      ] as const) {
        await server.register(user, `pw-${user}`);
        const login = await runCli(
          [
            '--profile',
            profile,
            'login',
            'xmpp',
            '--jid',
            `${user}@${server.domain}`,
            '--host',
            server.host,
            '--port',
            String(server.c2sPort),
            '--tls',
            'off',
            '--password-stdin',
          ],
          env,
          `pw-${user}\n`,
        );
        assert.equal(login.code, 0, login.stderr);
        if (profile === 'a') alice = `${user}@${server.domain}`;
        else bob = `${user}@${server.domain}`;
      }
    });
    after(async () => {
      if (env) await stopHosts(env);
      await server?.stop();
    });

    it('listen and send on the same profile at once both work, through one host', async () => {
      if (!server) return;
      const room = `s-${uniqueUser('room')}@${server.mucDomain}`;
      const listener = await startListening(
        [
          '--profile',
          'a',
          '--json',
          'listen',
          '--workspace',
          room,
          '--count',
          '2',
          '--timeout',
          '20',
        ],
        env,
      );
      const [host] = await status('a');
      assert.equal(host?.running, true);
      // Same profile, same moment: a direct send, and a send into the listener's own room
      // (joined for the send and left again without taking the room from the listener).
      const [toBob, toRoom] = await Promise.all([
        runCli(['--profile', 'a', 'send', bob, 'from a'], env),
        runCli(['--profile', 'a', 'send', room, 'a in the room'], env),
      ]);
      assert.equal(toBob.code, 0, toBob.stderr);
      assert.equal(toRoom.code, 0, toRoom.stderr);
      const [during] = await status('a');
      assert.equal(during?.pid, host?.pid, 'the same host served them all');
      assert.equal(during?.clients, 1, 'the listener is still connected');
      assert.deepEqual(during?.workspaces, [room], 'and still in its room');
      const fromB = await runCli(['--profile', 'b', 'send', room, 'b in the room'], env);
      assert.equal(fromB.code, 0, fromB.stderr);
      const direct = await runCli(['--profile', 'b', 'send', alice, 'b to a'], env);
      assert.equal(direct.code, 0, direct.stderr);
      assert.equal(await listener.closed, 0);
      const texts = listener
        .stdout()
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as { type: string; text?: string })
        .filter((m) => m.type === 'text')
        .map((m) => m.text);
      assert.deepEqual(texts, ['b in the room', 'b to a'], 'no echo of our own room message');
      assert.equal(servingLines('a'), 1, 'one host for profile a');
      // Bob's side got a's direct message (held for him until something listened).
      const got = await runCli(
        ['--profile', 'b', '--json', 'listen', '--count', '1', '--timeout', '15'],
        env,
      );
      assert.equal(got.code, 0, got.stderr);
      assert.equal((JSON.parse(got.stdout.trim()) as { text: string }).text, 'from a');
    });

    it('daemon status shows the hosts; daemon stop ends one, and the commands using it exit 5', async () => {
      const listener = startCli(['--profile', 'a', 'listen'], env);
      let stderr = '';
      listener.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
      const closed = new Promise<number | null>((resolve) => listener.once('close', resolve));
      await waitForStderr(listener, /listening as /);
      const text = await runCli(['daemon', 'status'], env);
      assert.equal(text.code, 0, text.stderr);
      const line = new RegExp(
        `^a +online +${alice}/\\S+ +pid (\\d+), 1 command, up \\d+ s, exits after 3 s idle$`,
        'm',
      );
      assert.match(text.stdout, line);
      const pid = Number(line.exec(text.stdout)?.[1]);
      const stop = await runCli(['--profile', 'a', 'daemon', 'stop'], env);
      assert.equal(stop.code, 0, stop.stderr);
      assert.equal(stop.stdout, `stopped the session host of profile "a" (pid ${String(pid)})\n`);
      assert.equal(alive(pid), false, 'daemon stop waited for the host to exit');
      assert.equal(await closed, 5);
      assert.match(
        stderr,
        /^mx-agent: the session host of profile "a" stopped: asked to stop \(mx-agent daemon stop\)$/m,
      );
      const [after] = await status('a');
      assert.deepEqual(after, { profile: 'a', running: false });
      const again = await runCli(['--profile', 'a', 'daemon', 'stop'], env);
      assert.equal(again.stdout, 'no session host runs for profile "a"\n');
    });

    it('keeps its socket and files private to this user', async () => {
      const sent = await runCli(['--profile', 'a', 'send', bob, 'files check'], env);
      assert.equal(sent.code, 0, sent.stderr);
      const lock = JSON.parse(readFileSync(join(sessions(), 'a.lock'), 'utf8')) as {
        socket: string;
      };
      assert.equal(mode(sessions()), 0o700);
      assert.equal(mode(join(sessions(), 'a.lock')), 0o600);
      assert.equal(mode(join(sessions(), 'a.log')), 0o600);
      assert.equal(mode(lock.socket), 0o600);
      assert.ok(statSync(lock.socket).isSocket());
      const log = readFileSync(join(sessions(), 'a.log'), 'utf8');
      assert.doesNotMatch(log, /pw-alice/, 'no secret in the log');
      const [host] = await status('a');
      if (existsSync('/proc/self/fd')) {
        // Whatever the host (or an SDK in it) prints goes to its log, never to a closed pipe.
        for (const fd of [1, 2])
          assert.equal(
            readlinkSync(`/proc/${String(host?.pid)}/fd/${String(fd)}`),
            join(sessions(), 'a.log'),
          );
      }
    });

    it('an idle host exits on its own', async () => {
      const sent = await runCli(['--profile', 'a', 'send', bob, 'then idle'], env);
      assert.equal(sent.code, 0, sent.stderr);
      const [running] = await status('a');
      assert.equal(running?.running, true);
      const deadline = Date.now() + TEST_HOST_IDLE_MS + 10_000;
      while ((await status('a'))[0]?.running === true && Date.now() < deadline)
        await new Promise((resolve) => setTimeout(resolve, 250));
      assert.deepEqual((await status('a'))[0], { profile: 'a', running: false });
      assert.equal(alive(running?.pid ?? 0), false);
    });

    it('two commands starting the host at once end up sharing one', async () => {
      await stopHosts(env);
      const before = servingLines('a');
      const results = await Promise.all(
        [1, 2, 3].map((n) => runCli(['--profile', 'a', 'send', bob, `race ${String(n)}`], env)),
      );
      for (const r of results) assert.equal(r.code, 0, r.stderr);
      assert.equal(servingLines('a') - before, 1, 'exactly one host won');
      const [host] = await status('a');
      assert.equal(host?.running, true);
    });

    it('a host that cannot connect gives the command its error: wrong password 4, no server 5', async () => {
      await stopHosts(env);
      const config = env.MX_AGENT_CONFIG_DIR ?? '';
      const secretFile = join(config, 'secrets', 'a.json');
      const secret = readFileSync(secretFile, 'utf8');
      writeFileSync(secretFile, JSON.stringify({ secret: 'not-the-password' }));
      try {
        const r = await runCli(['--profile', 'a', 'send', bob, 'x'], env);
        assert.equal(r.code, 4, r.stderr);
        assert.match(
          r.stderr,
          new RegExp(`^mx-agent: the server refused the password for ${alice}`),
        );
        assert.equal(r.stderr.trim().split('\n').length, 1, 'one line');
      } finally {
        writeFileSync(secretFile, secret);
      }
      const profilesFile = join(config, 'profiles.json');
      const profiles = readFileSync(profilesFile, 'utf8');
      const data = JSON.parse(profiles) as {
        profiles: Record<string, { account: { port: number } }>;
      };
      const a = data.profiles.a;
      assert.ok(a);
      a.account.port = await freePort();
      writeFileSync(profilesFile, JSON.stringify(data));
      try {
        const r = await runCli(['--profile', 'a', 'listen', '--count', '1'], env);
        assert.equal(r.code, 5, r.stderr);
        assert.match(
          r.stderr,
          /^mx-agent: could not connect to 127\.0\.0\.1:\d+: connection refused/,
        );
      } finally {
        writeFileSync(profilesFile, profiles);
      }
      assert.deepEqual((await status('a'))[0], { profile: 'a', running: false });
      const ok = await runCli(['--profile', 'a', 'whoami', '--check'], env);
      assert.equal(ok.code, 0, ok.stderr);
      assert.match(ok.stdout, new RegExp(`^online: +${alice}/`, 'm'));
    });

    it('logout stops the profile’s host first', async () => {
      const sent = await runCli(['--profile', 'b', 'send', alice, 'bye'], env);
      assert.equal(sent.code, 0, sent.stderr);
      const [host] = await status('b');
      assert.equal(host?.running, true);
      const r = await runCli(['logout', 'b'], env);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(alive(host?.pid ?? 0), false);
    });
  },
);
