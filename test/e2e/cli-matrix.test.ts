/**
 * The built CLI on Matrix against the dev homeserver: login (ok, wrong password, unreachable),
 * whoami, and an end-to-end encrypted exchange between two profiles with send and listen — both
 * running through the profiles' session hosts, concurrently on one profile.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { MatrixTestbed, type MatrixAccount } from '../support/matrix-peers.ts';
import {
  runCli,
  startCli,
  startListening,
  stopHosts,
  tempHome,
  waitForStderr,
} from '../support/cli.ts';
import { call } from '../support/devserver.ts';

describe('mx-agent CLI on Matrix (dev homeserver)', () => {
  let bed: MatrixTestbed;
  let env: NodeJS.ProcessEnv;
  let alice: MatrixAccount;
  let bob: MatrixAccount;
  const login = (profile: string, account: MatrixAccount, extra: string[] = []) => [
    '--profile',
    profile,
    'login',
    'matrix',
    '--homeserver',
    bed.url,
    '--user',
    account.userId,
    '--password-stdin',
    ...extra,
  ];

  before(async () => {
    bed = await MatrixTestbed.start();
    env = tempHome();
    alice = await bed.account('clia');
    bob = await bed.account('clib');
  });
  after(async () => {
    await stopHosts(env);
    await bed.dispose();
  });

  it('logs a device in, keeps only its token (0600), never the password', async () => {
    const r = await runCli(login('a', alice), env, `${alice.password}\n`);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /logged in as @clia\S+, device \S+ \(profile "a", default\)/);
    assert.ok(!r.stdout.includes(alice.password) && !r.stderr.includes(alice.password));
    const secretFile = join(String(env.MX_AGENT_CONFIG_DIR), 'secrets', 'a.json');
    assert.equal(statSync(secretFile).mode & 0o777, 0o600);
    assert.ok(!readFileSync(secretFile, 'utf8').includes(alice.password));
    const loggedIn = JSON.parse((await runCli(['--json', 'profiles'], env)).stdout) as unknown[];
    assert.equal(loggedIn.length, 1);
    const who = await runCli(['--json', 'whoami'], env);
    const report = JSON.parse(who.stdout) as Record<string, unknown>;
    assert.deepEqual(
      [report.network, report.mode, report.account],
      ['matrix', 'matrix', alice.userId],
    );
    // The device exists on the server with our display name.
    const devices = await call(
      bed.hs,
      'GET',
      '/_matrix/client/v3/devices',
      undefined,
      alice.accessToken,
    );
    assert.ok(
      (devices.body.devices as { display_name?: string }[]).some((d) =>
        d.display_name?.startsWith('mx-agent on '),
      ),
    );
  });

  it('logging in again replaces the device: the old one is logged out and its keys deleted', async () => {
    const before = readFileSync(join(String(env.MX_AGENT_CONFIG_DIR), 'secrets', 'a.json'), 'utf8');
    const oldToken = (JSON.parse(before) as { secret: string }).secret;
    const again = await runCli(login('a', alice), env, `${alice.password}\n`);
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stdout, /replacing the stored one/);
    const old = await call(bed.hs, 'GET', '/_matrix/client/v3/account/whoami', undefined, oldToken);
    assert.equal(old.status, 401);
    const stores = join(String(env.HOME), '.local', 'share', 'mx-agent', 'matrix');
    assert.equal(readdirSync(stores).filter((n) => n.startsWith('a.')).length, 1);
  });

  it('a wrong password exits 4, an unreachable homeserver 5, a bad user id 2; nothing stored', async () => {
    const wrong = await runCli(login('x', bob), env, 'not-the-password\n');
    assert.equal(wrong.code, 4, wrong.stderr);
    assert.match(wrong.stderr, /refused the password/);
    const down = await runCli(
      [
        '--profile',
        'y',
        'login',
        'matrix',
        '--homeserver',
        'http://127.0.0.1:9',
        '--user',
        bob.userId,
        '--password-stdin',
      ],
      env,
      'pw\n',
    );
    assert.equal(down.code, 5, down.stderr);
    assert.match(down.stderr, /cannot reach the Matrix homeserver/);
    const bad = await runCli(
      ['login', 'matrix', '--homeserver', bed.url, '--user', 'bob', '--password-stdin'],
      env,
      'pw\n',
    );
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /expected a Matrix user id like @alice:example.org, got "bob"/);
    const insecure = await runCli(
      [
        'login',
        'matrix',
        '--homeserver',
        'http://matrix.example.org',
        '--user',
        bob.userId,
        '--password-stdin',
      ],
      env,
      'pw\n',
    );
    assert.equal(insecure.code, 2);
    assert.match(insecure.stderr, /refusing plain http/);
    const list = await runCli(['--json', 'profiles'], env);
    assert.deepEqual(
      (JSON.parse(list.stdout) as { name: string }[]).map((p) => p.name),
      ['a'],
    );
  });

  it('exchanges encrypted messages with send and listen, two commands on one profile at once', async () => {
    const r = await runCli(login('b', bob), env, `${bob.password}\n`);
    assert.equal(r.code, 0, r.stderr);
    const workspace = bed.workspace('cli');
    const listener = await startListening(
      [
        '--profile',
        'b',
        '--json',
        'listen',
        '--workspace',
        workspace,
        '--count',
        '3',
        '--timeout',
        '40',
      ],
      env,
      /listening as /,
      40_000,
    );
    // A second command on the listening profile, while listen runs: joins the same workspace.
    const alsoB = await runCli(['--profile', 'b', 'send', workspace, 'from b too'], env);
    assert.equal(alsoB.code, 0, alsoB.stderr);
    const direct = await runCli(
      ['--profile', 'a', 'send', bob.userId, 'hello', 'bob'],
      env,
      undefined,
      60_000,
    );
    assert.equal(direct.code, 0, direct.stderr);
    const inRoom = await runCli(
      ['--profile', 'a', 'send', workspace, 'hello room'],
      env,
      undefined,
      60_000,
    );
    assert.equal(inRoom.code, 0, inRoom.stderr);
    const payload = await runCli(
      ['--profile', 'a', 'send', bob.userId, '--payload', 'test.echo', '{"n":1,"s":"ü"}'],
      env,
      undefined,
      60_000,
    );
    assert.equal(payload.code, 0, payload.stderr);
    assert.equal(await listener.closed, 0);
    const got = listener
      .stdout()
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as Record<string, unknown>)
      .filter((m) => m.type === 'text' || m.type === 'payload');
    assert.deepEqual(
      got.map((m) => [m.from, m.type, m.text ?? (m.payload as { body: unknown }).body]),
      [
        [alice.userId, 'text', 'hello bob'],
        [alice.userId, 'text', 'hello room'],
        [alice.userId, 'payload', { n: 1, s: 'ü' }],
      ],
    );
    // What the server stored is ciphertext: read the workspace as a member would.
    const roomId = await bed.roomIdOf(workspace);
    const room = encodeURIComponent(roomId);
    const history = await call(
      bed.hs,
      'GET',
      `/_matrix/client/v3/rooms/${room}/messages?dir=b&limit=50`,
      undefined,
      bob.accessToken,
    );
    const chunk = history.body.chunk as { type: string; sender: string }[];
    // Alice's message events in the room: only ciphertext, whatever their kind.
    const fromAlice = chunk.filter(
      (e) =>
        e.sender === alice.userId &&
        (e.type === 'm.room.encrypted' ||
          e.type === 'm.room.message' ||
          e.type.startsWith('org.mxagent.')),
    );
    assert.deepEqual(
      fromAlice.map((e) => e.type),
      ['m.room.encrypted'],
    );
    assert.ok(!JSON.stringify(history.body).includes('hello room'));
    // On Matrix, membership is the account's: sending into a workspace does not leave it after.
    const members = await call(
      bed.hs,
      'GET',
      `/_matrix/client/v3/rooms/${room}/joined_members`,
      undefined,
      bob.accessToken,
    );
    assert.ok(alice.userId in (members.body.joined as Record<string, unknown>));
  });

  it('a restarted agent (its host killed with SIGKILL) keeps its keys and repeats nothing', async () => {
    const keysOf = async () => {
      const r = await call(
        bed.hs,
        'POST',
        '/_matrix/client/v3/keys/query',
        { device_keys: { [bob.userId]: [] } },
        alice.accessToken,
      );
      return (r.body.device_keys as Record<string, unknown>)[bob.userId];
    };
    const before = await keysOf();
    // Make sure bob's host runs (it exits when idle), then kill it without warning.
    const check = await runCli(['--profile', 'b', 'whoami', '--check'], env);
    assert.equal(check.code, 0, check.stderr);
    const status = JSON.parse((await runCli(['--json', 'daemon', 'status'], env)).stdout) as {
      profile: string;
      pid?: number;
    }[];
    const host = status.find((h) => h.profile === 'b');
    assert.ok(host?.pid, JSON.stringify(status));
    process.kill(host.pid, 'SIGKILL');
    // Sent while bob's host is dead: the same Megolm session bob's store must still hold.
    const sent = await runCli(['--profile', 'a', 'send', bob.userId, 'while you were down'], env);
    assert.equal(sent.code, 0, sent.stderr);
    const got = await runCli(
      ['--profile', 'b', '--json', 'listen', '--count', '1', '--timeout', '30'],
      env,
      undefined,
      60_000,
    );
    assert.equal(got.code, 0, got.stderr);
    const lines = got.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>)
      .filter((m) => m.type === 'text' || m.type === 'payload');
    assert.deepEqual(
      lines.map((m) => [m.text, m.delayed]),
      [['while you were down', true]],
      'only the new message, decrypted, nothing delivered before',
    );
    assert.deepEqual(await keysOf(), before, 'same device, same keys');
  });

  it('verifies devices with emoji between two profiles, answered on stdin', async () => {
    // Bob waits for the request first (a request that reaches his running session host instead
    // would be answered by nobody), then alice asks.
    const answerer = startCli(
      ['--profile', 'b', '--json', 'verify', '--incoming', alice.userId, '--timeout', '60'],
      env,
      'y\n',
    );
    await waitForStderr(answerer, /waiting for a verification request/, 30_000);
    const asker = startCli(
      ['--profile', 'a', '--json', 'verify', bob.userId, '--timeout', '60'],
      env,
      'y\n',
    );
    const collect = (child: typeof asker) => {
      let out = '';
      let err = '';
      child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
      child.stderr?.on('data', (d: Buffer) => (err += d.toString()));
      return new Promise<{ code: number | null; out: string; err: string }>((resolve) =>
        child.once('close', (code) => {
          resolve({ code, out, err });
        }),
      );
    };
    const [x, y] = await Promise.all([collect(asker), collect(answerer)]);
    assert.equal(x.code, 0, x.err);
    assert.equal(y.code, 0, y.err);
    // One JSON line when the emoji are shown, then the result document.
    const lines = (out: string): Record<string, unknown>[] => {
      const [first = '', ...rest] = out.trim().split('\n');
      return [JSON.parse(first), JSON.parse(rest.join('\n'))] as Record<string, unknown>[];
    };
    const [sasA, resultA] = lines(x.out);
    const [sasB, resultB] = lines(y.out);
    assert.equal(sasA?.type, 'sas');
    assert.deepEqual(sasA?.emoji, sasB?.emoji);
    assert.deepEqual([resultA?.userId, resultA?.verified], [bob.userId, true]);
    assert.deepEqual([resultB?.userId, resultB?.verified], [alice.userId, true]);
    const listed = await runCli(['--profile', 'a', '--json', 'verify', '--list', bob.userId], env);
    assert.equal(listed.code, 0, listed.stderr);
    assert.ok((JSON.parse(listed.stdout) as { verified: boolean }[]).every((d) => d.verified));
    const notMatrix = await runCli(['--profile', 'a', 'verify', 'bob'], env);
    assert.equal(notMatrix.code, 2);
  });

  it('enables key backup, prints the recovery key once, and restores with it', async () => {
    const none = await runCli(['--profile', 'a', '--json', 'backup', 'status'], env);
    assert.equal(none.code, 0, none.stderr);
    assert.equal((JSON.parse(none.stdout) as { version: unknown }).version, null);
    const enabled = await runCli(['--profile', 'a', '--json', 'backup', 'enable'], env);
    assert.equal(enabled.code, 0, enabled.stderr);
    const { recoveryKey } = JSON.parse(enabled.stdout) as { recoveryKey: string };
    assert.match(recoveryKey, /^(\S{4} ){11}\S{4}$/);
    const again = await runCli(['--profile', 'a', 'backup', 'enable'], env);
    assert.equal(again.code, 6);
    assert.match(again.stderr, /already exists/);
    const wrong = await runCli(
      ['--profile', 'a', 'backup', 'restore', '--recovery-key-stdin'],
      env,
      'nonsense\n',
    );
    assert.equal(wrong.code, 2);
    const restored = await runCli(
      ['--profile', 'a', 'backup', 'restore', '--recovery-key-stdin'],
      env,
      `${recoveryKey}\n`,
    );
    assert.equal(restored.code, 0, restored.stderr);
    assert.match(restored.stdout, /restored \d+ of \d+ room keys/);
    const status = await runCli(['--profile', 'a', 'backup', 'status'], env);
    assert.match(status.stdout, /this device backs up to it/);
    assert.ok(!status.stdout.includes(recoveryKey) && !restored.stdout.includes(recoveryKey));
  });

  it('logout asks first, then logs the device out on the server and deletes its keys', async () => {
    const token = readFileSync(join(String(env.MX_AGENT_CONFIG_DIR), 'secrets', 'b.json'), 'utf8');
    const accessToken = (JSON.parse(token) as { secret: string }).secret;
    const unconfirmed = await runCli(['logout', 'b'], env);
    assert.equal(unconfirmed.code, 2);
    assert.match(unconfirmed.stderr, /pass --yes to confirm/);
    const stores = join(String(env.HOME), '.local', 'share', 'mx-agent', 'matrix');
    const storeDir = readdirSync(stores).find((n) => n.startsWith('b.')) ?? '';
    const file = join(stores, storeDir, 'indexeddb.sqlite');
    assert.equal(statSync(file).mode & 0o777, 0o600, 'the crypto and sync store');
    const r = await runCli(['logout', 'b', '--yes'], env);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(
      readdirSync(stores).filter((n) => n.startsWith('b.')),
      [],
    );
    const who = await call(
      bed.hs,
      'GET',
      '/_matrix/client/v3/account/whoami',
      undefined,
      accessToken,
    );
    assert.equal(who.status, 401);
  });
});
