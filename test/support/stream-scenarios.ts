/**
 * `mx-agent stream` end to end, the same scenarios on every network: the built CLI shares a
 * program (with pipes, or inside a real pty driven by node-pty), other profiles watch it, and
 * what they see is compared byte for byte (sha256) with what the program wrote.
 */
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parseAsciicast, outputOf } from '../../src/stream/asciicast.ts';
import { HeadlessScreen } from '../../src/stream/screen.ts';
import { CLI, runCli, startCli, stopHosts } from './cli.ts';
import { startCliInPty } from './pty-cli.ts';
import { spawn, type ChildProcess } from 'node:child_process';

/** What a network brings to the stream scenarios. */
export interface StreamNetwork {
  /** The temp home every profile of the suite lives in. */
  readonly env: NodeJS.ProcessEnv;
  /** A workspace nobody has used. */
  workspace(): string;
  /** Register and log in a new account as `profile`; resolves with its address. */
  account(profile: string): Promise<string>;
  /** Restart the server (the CLI's connections must recover). */
  restart(): Promise<void>;
  dispose(): Promise<void>;
}

const sha = (data: Uint8Array | string): string => createHash('sha256').update(data).digest('hex');

/** A running CLI with its output collected as bytes. */
export interface Running {
  readonly child: ChildProcess;
  readonly stdout: () => Buffer;
  readonly stderr: () => string;
  readonly closed: Promise<number | null>;
}

export function start(args: string[], env: NodeJS.ProcessEnv, input?: string): Running {
  const child = startCli(args, env, input);
  const out: Buffer[] = [];
  let err = '';
  child.stdout?.on('data', (d: Buffer) => out.push(d));
  child.stderr?.on('data', (d: Buffer) => (err += d.toString()));
  const closed = new Promise<number | null>((resolve) => child.once('close', resolve));
  return { child, stdout: () => Buffer.concat(out), stderr: () => err, closed };
}

/** Wait until `check` holds (polling), or fail showing `show()`. */
export async function eventually(
  check: () => boolean,
  show: () => string,
  timeoutMs = 30_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out; output so far:\n${show()}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Start a share and wait for its id. */
export async function share(
  env: NodeJS.ProcessEnv,
  profile: string,
  args: string[],
): Promise<Running & { id: string }> {
  const running = start(['--profile', profile, 'stream', ...args], env);
  await eventually(() => /sharing stream [0-9a-f]+/.test(running.stderr()), running.stderr);
  const id = /sharing stream ([0-9a-f]+)/.exec(running.stderr())?.[1] ?? '';
  return { ...running, id };
}

/** Register the stream scenarios for one network. */
export function streamScenarios(name: string, makeNetwork: () => Promise<StreamNetwork>): void {
  describe(`mx-agent stream on ${name}`, () => {
    let net: StreamNetwork;
    let env: NodeJS.ProcessEnv;
    let alice: string;
    let bob: string;
    const dir = mkdtempSync(join(tmpdir(), 'mx-stream-'));
    // 300 KB of random bytes (invalid UTF-8 included): large enough to travel as blobs.
    const binary = join(dir, 'random.bin');
    const payload = randomBytes(300 * 1024);
    writeFileSync(binary, payload);

    before(async () => {
      net = await makeNetwork();
      env = net.env;
      alice = await net.account('alice');
      bob = await net.account('bob');
      await net.account('carol');
    });
    after(async () => {
      await stopHosts(env);
      await net.dispose();
    });

    /**
     * A workspace bob is already in, as a team's room is. On Matrix a device can decrypt only
     * what was encrypted after the sender saw it in the room, so a viewer who wants every byte
     * from the start (--from-start) must be a member before the stream starts; joining at the
     * same moment races the sharer's first events (late joiners get a snapshot instead).
     */
    const workspaceWithBob = async (): Promise<string> => {
      const ws = net.workspace();
      const r = await runCli(['--profile', 'bob', 'send', ws, 'here to watch'], env);
      assert.equal(r.code, 0, r.stderr);
      return ws;
    };

    it('shows a viewer exactly the bytes the program wrote, and its exit code', async () => {
      const ws = await workspaceWithBob();
      const script = `sleep 1; printf 'h\\303\\251llo \\377\\376 binary\\n'; cat ${binary}; printf done; exit 3`;
      const sharer = await share(env, 'alice', ['--to', ws, '--pipe', '--', 'sh', '-c', script]);
      const viewer = start(
        ['--profile', 'bob', 'stream', 'attach', ws, '--stream', sharer.id, '--from-start'],
        env,
      );
      assert.equal(await sharer.closed, 3, sharer.stderr());
      assert.equal(await viewer.closed, 3, viewer.stderr());
      const expected = Buffer.concat([
        Buffer.from('h\u00e9llo '),
        Buffer.from([0xff, 0xfe]),
        Buffer.from(' binary\n'),
        payload,
        Buffer.from('done'),
      ]);
      if (sha(viewer.stdout()) !== sha(expected))
        writeFileSync(join(dir, 'viewer.out'), viewer.stdout());
      assert.equal(
        sha(viewer.stdout()),
        sha(expected),
        `${viewer.stderr()} ${String(viewer.stdout().length)} vs ${String(expected.length)} in ${dir}`,
      );
      assert.equal(sha(sharer.stdout()), sha(expected), 'the sharer sees its program as usual');
      assert.match(viewer.stderr(), /exit code 3 \(sha256 verified\)/);
    });

    it('carries a 20 MB burst (cat of a large file) complete and exact', async () => {
      const ws = await workspaceWithBob();
      const big = join(dir, 'big.bin');
      const data = randomBytes(20 * 1024 * 1024);
      writeFileSync(big, data);
      const sharer = await share(env, 'alice', [
        '--to',
        ws,
        '--pipe',
        '--',
        'sh',
        '-c',
        `sleep 1; cat ${big}`,
      ]);
      const viewer = start(
        ['--profile', 'bob', 'stream', 'attach', ws, '--stream', sharer.id, '--from-start'],
        env,
      );
      assert.equal(await sharer.closed, 0, sharer.stderr());
      assert.equal(await viewer.closed, 0, viewer.stderr());
      assert.equal(viewer.stdout().length, data.length, viewer.stderr());
      assert.equal(sha(viewer.stdout()), sha(data));
      assert.match(viewer.stderr(), /sha256 verified/);
    });

    it('streams to one peer directly, without a workspace', async () => {
      const script =
        'sleep 1; i=0; while [ $i -lt 30 ]; do i=$((i+1)); echo "direct $i"; done; exit 4';
      const sharer = await share(env, 'alice', ['--to', bob, '--pipe', '--', 'sh', '-c', script]);
      const viewer = start(
        ['--profile', 'bob', 'stream', 'attach', alice, '--stream', sharer.id, '--from-start'],
        env,
      );
      assert.equal(await sharer.closed, 4, sharer.stderr());
      assert.equal(await viewer.closed, 4, viewer.stderr());
      const expected = Array.from({ length: 30 }, (_, i) => `direct ${String(i + 1)}\n`).join('');
      assert.equal(viewer.stdout().toString(), expected, viewer.stderr());
      const listed = await runCli(['--profile', 'bob', '--json', 'stream', 'list', alice], env);
      assert.equal(listed.code, 0, listed.stderr);
      const rows = JSON.parse(listed.stdout) as { stream: string; state: string }[];
      assert.ok(
        rows.some((r) => r.stream === sharer.id && r.state === 'ended'),
        listed.stdout,
      );
    });

    it('lets allowed peers type, and drops what anyone else types', async () => {
      const ws = net.workspace();
      const sharer = await share(env, 'alice', [
        '--to',
        ws,
        '--pipe',
        '--allow-input',
        bob,
        '--',
        'sh',
        '-c',
        'read line; echo "got:$line"',
      ]);
      const carol = start(
        ['--profile', 'carol', 'stream', 'attach', ws, '--stream', sharer.id],
        env,
        'evil\n',
      );
      // carol's keys are dropped by the sharer (her viewer may not even know yet that she may
      // not type); so is input she forges with a raw send.
      await eventually(() => /watching/.test(carol.stderr()), carol.stderr);
      const forged = JSON.stringify({
        stream: sharer.id,
        data: Buffer.from('forged\n').toString('base64'),
      });
      const sent = await runCli(
        ['--profile', 'carol', 'send', ws, '--payload', 'stream.input', forged],
        env,
      );
      assert.equal(sent.code, 0, sent.stderr);
      await eventually(
        () => /input from \S+ dropped: not allowed/.test(sharer.stderr()),
        sharer.stderr,
      );
      const viewer = start(
        ['--profile', 'bob', 'stream', 'attach', ws, '--stream', sharer.id],
        env,
        'hello\n',
      );
      const show = (): string =>
        `sharer:\n${sharer.stderr()}\nbob:\n${viewer.stderr()}\ncarol:\n${carol.stderr()}`;
      await eventually(() => sharer.child.exitCode !== null, show);
      assert.equal(await sharer.closed, 0, sharer.stderr());
      assert.match(sharer.stdout().toString(), /^got:hello$/m);
      assert.doesNotMatch(sharer.stdout().toString(), /evil|forged/);
      await eventually(() => viewer.child.exitCode !== null && carol.child.exitCode !== null, show);
      assert.match(viewer.stdout().toString(), /got:hello/);
    });

    it('revokes and grants input while the program runs', async () => {
      const ws = net.workspace();
      const sharer = await share(env, 'alice', [
        '--to',
        ws,
        '--pipe',
        '--allow-input',
        bob,
        '--',
        'sh',
        '-c',
        'while read l; do echo "got:$l"; done',
      ]);
      // A viewer whose stdin stays open, as a person at a keyboard.
      const child = spawn(
        process.execPath,
        [CLI, '--profile', 'bob', 'stream', 'attach', ws, '--stream', sharer.id],
        {
          env,
          stdio: ['pipe', 'pipe', 'pipe'],
        },
      );
      let out = '';
      let err = '';
      child.stdout.on('data', (d: Buffer) => (out += d.toString()));
      child.stderr.on('data', (d: Buffer) => (err += d.toString()));
      const show = (): string => `sharer:\n${sharer.stderr()}\nviewer:\n${err}\n${out}`;
      await eventually(() => /watching/.test(err), show);
      child.stdin.write('one\n');
      await eventually(() => sharer.stdout().toString().includes('got:one'), show);
      const revoked = await runCli(['--profile', 'alice', 'stream', 'revoke', bob], env);
      assert.equal(revoked.code, 0, revoked.stderr + show());
      assert.match(revoked.stdout, /view-only/);
      await eventually(() => /view-only now/.test(err), show);
      child.stdin.write('two\n');
      const granted = await runCli(['--profile', 'alice', 'stream', 'allow', bob], env);
      assert.equal(granted.code, 0, granted.stderr);
      await eventually(
        () => /you may type now/.test(err.slice(err.indexOf('view-only now'))),
        show,
      );
      child.stdin.write('three\n');
      await eventually(() => sharer.stdout().toString().includes('got:three'), show);
      assert.doesNotMatch(sharer.stdout().toString(), /got:two/);
      sharer.child.kill('SIGTERM');
      await sharer.closed;
      child.kill('SIGTERM');
    });

    it('resumes a killed viewer exactly where it stopped', async () => {
      const ws = await workspaceWithBob();
      const script =
        'sleep 1; i=0; while [ $i -lt 150 ]; do i=$((i+1)); echo "line $i"; sleep 0.02; done';
      const sharer = await share(env, 'alice', ['--to', ws, '--pipe', '--', 'sh', '-c', script]);
      const first = start(
        ['--profile', 'bob', 'stream', 'attach', ws, '--stream', sharer.id, '--from-start'],
        env,
      );
      await new Promise((resolve) => setTimeout(resolve, 2_000));
      // `kill` (SIGTERM) mid-stream. After SIGKILL the last chunk shown may be shown again:
      // nothing can make writing to a pipe and recording it one atomic step.
      first.child.kill('SIGTERM');
      await first.closed;
      const second = start(
        ['--profile', 'bob', 'stream', 'attach', ws, '--stream', sharer.id],
        env,
      );
      assert.equal(await second.closed, 0, second.stderr());
      await sharer.closed;
      const expected = Array.from({ length: 150 }, (_, i) => `line ${String(i + 1)}\n`).join('');
      const seen = Buffer.concat([first.stdout(), second.stdout()]).toString();
      assert.ok(first.stdout().length > 0, 'the first viewer saw some output');
      assert.match(second.stderr(), /resuming stream/);
      assert.equal(
        seen,
        expected,
        `first viewer:\n${first.stderr()}\nsecond:\n${second.stderr()}\nsecond starts: ${JSON.stringify(second.stdout().toString().slice(0, 30))}`,
      );
    });

    it('survives a server restart mid-stream with complete, identical output', async () => {
      const ws = await workspaceWithBob();
      const script =
        'sleep 1; i=0; while [ $i -lt 100 ]; do i=$((i+1)); echo "tick $i"; sleep 0.05; done';
      const sharer = await share(env, 'alice', ['--to', ws, '--pipe', '--', 'sh', '-c', script]);
      const viewer = start(
        ['--profile', 'bob', 'stream', 'attach', ws, '--stream', sharer.id, '--from-start'],
        env,
      );
      await new Promise((resolve) => setTimeout(resolve, 2_500));
      await net.restart();
      assert.equal(await sharer.closed, 0, sharer.stderr());
      assert.equal(await viewer.closed, 0, viewer.stderr());
      const expected = Array.from({ length: 100 }, (_, i) => `tick ${String(i + 1)}\n`).join('');
      assert.equal(viewer.stdout().toString(), expected);
      assert.match(viewer.stderr(), /sha256 verified/);
    });

    it('propagates resizes, shows a late joiner the screen, and records and exports asciicast', async () => {
      const ws = net.workspace();
      const cast = join(dir, `local-${String(Date.now())}.cast`);
      // Draw a screen, report the size, wait for a resize, report it again, then linger.
      const script =
        "printf '\\033[2J\\033[Htop line\\n\\033[1;31mred\\033[0m text\\033[10;20Hmiddle'; stty size; " +
        'trap "stty size" WINCH; sleep 4; printf "\\nbye\\n"';
      const { term, screen, exited } = await startCliInPty(
        ['--profile', 'alice', 'stream', '--to', ws, '--record', cast, '--', 'sh', '-c', script],
        env,
      );
      const deadline = Date.now() + 30_000;
      while (!/sharing stream ([0-9a-f]+)/.test(screen()) && Date.now() < deadline)
        await new Promise((resolve) => setTimeout(resolve, 50));
      const id = /sharing stream ([0-9a-f]+)/.exec(screen())?.[1] ?? '';
      assert.ok(id, screen());
      await new Promise((resolve) => setTimeout(resolve, 1_500));
      term.resize(100, 30);
      // A late joiner: no --from-start; it gets the current screen from a snapshot.
      await new Promise((resolve) => setTimeout(resolve, 800));
      const late = start(['--profile', 'bob', 'stream', 'attach', ws, '--stream', id], env);
      assert.equal(await exited, 0, screen());
      assert.equal(await late.closed, 0, late.stderr());
      const viewerScreen = new HeadlessScreen(100, 30);
      await viewerScreen.write(late.stdout());
      const lines = viewerScreen.lines();
      viewerScreen.dispose();
      assert.equal(lines[0], 'top line', lines.join('\n'));
      assert.equal(lines[1], 'red text');
      assert.match(lines[9] ?? '', /^ {19}middle/);
      assert.ok(lines.includes('bye'), lines.join('\n'));

      const exported = join(dir, `export-${id}.cast`);
      // The sharer exports (bob joined late: on Matrix he holds no keys for the start).
      const r = await runCli(['--profile', 'alice', 'stream', 'export', id, '-o', exported], env);
      assert.equal(r.code, 0, r.stderr);
      const fromHistory = parseAsciicast(readFileSync(exported, 'utf8'));
      const local = parseAsciicast(readFileSync(cast, 'utf8'));
      assert.equal(fromHistory.header.width, 80);
      assert.equal(outputOf(fromHistory), outputOf(local));
      assert.match(outputOf(fromHistory), /24 80\r\n[\s\S]*30 100\r\n/);
      assert.ok(
        fromHistory.events.some((e) => e.type === 'resize' && e.cols === 100 && e.rows === 30),
      );
      const replay = await runCli(['stream', 'replay', exported, '--speed', '50'], env);
      assert.equal(replay.code, 0, replay.stderr);
      assert.equal(replay.stdout, outputOf(local));
    });

    it('renders in a viewer terminal, detaches on Ctrl-], and ends on the sharer SIGTERM', async () => {
      const ws = net.workspace();
      const sharer = await share(env, 'alice', [
        '--to',
        ws,
        '--pipe',
        '--',
        'sh',
        '-c',
        'sleep 1; echo first; sleep 60',
      ]);
      const { term, screen, exited } = await startCliInPty(
        ['--profile', 'bob', 'stream', 'attach', ws, '--stream', sharer.id],
        env,
      );
      await eventually(() => screen().includes('first'), screen);
      term.write('\x1d');
      assert.equal(await exited, 0, screen());
      sharer.child.kill('SIGTERM');
      assert.equal(await sharer.closed, 129, sharer.stderr());
      assert.match(sharer.stderr(), /ended: SIGHUP/);
    });

    it('lists live and finished streams', async () => {
      const ws = net.workspace();
      const sharer = await share(env, 'alice', [
        '--to',
        ws,
        '--pipe',
        '--title',
        'the build',
        '--',
        'sh',
        '-c',
        'sleep 2',
      ]);
      const live = await runCli(['--profile', 'bob', '--json', 'stream', 'list', ws], env);
      assert.equal(live.code, 0, live.stderr);
      const rows = JSON.parse(live.stdout) as { stream: string; state: string; title: string }[];
      assert.deepEqual(
        rows.map((r) => [r.stream, r.state, r.title]),
        [[sharer.id, 'live', 'the build']],
      );
      assert.equal(await sharer.closed, 0);
      const done = JSON.parse(
        (await runCli(['--profile', 'bob', '--json', 'stream', 'list', ws], env)).stdout,
      ) as {
        state: string;
        exitCode: number;
      }[];
      assert.deepEqual(
        done.map((r) => [r.state, r.exitCode]),
        [['ended', 0]],
      );
    });
  });
}
