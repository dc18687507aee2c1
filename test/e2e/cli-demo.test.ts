/**
 * `mx-agent demo` as a newcomer runs it, without a terminal (plain text): every step works, the
 * chat agent uses Ollama when one answers (a fake one here, speaking Ollama's wire format) or
 * the labelled offline model, `--keep` leaves a world the printed commands work in, and nothing
 * is left behind.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { prosodyAvailable } from '../../src/devserver/xmpp/prosody.ts';
import { runCli, startCli } from '../support/cli.ts';

const env = (): NodeJS.ProcessEnv => ({ PATH: process.env.PATH, HOME: tmpdir(), NO_COLOR: '1' });
const xmpp = prosodyAvailable();

/** The demo's home, from its "agents' files:" note. */
function rootOf(transcript: string): string {
  const root = /agents' files: (\S+)/.exec(transcript)?.[1];
  assert.ok(root, transcript);
  return root;
}

/** No process still runs with the demo's home on its command line (Prosody, hosts, serve). */
function noneLeft(root: string): void {
  let ps = '';
  try {
    ps = execFileSync('pgrep', ['-af', root], { encoding: 'utf8' });
  } catch {
    // pgrep exits 1 when nothing matches.
  }
  assert.equal(ps.trim(), '', `left running:\n${ps}`);
}

describe('mx-agent demo', () => {
  it('runs every step on Matrix and XMPP with the offline model, and --keep leaves it usable', async () => {
    const child = startCli(['demo', '--offline', '--keep'], env());
    let out = '';
    child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
    const closed = new Promise<number | null>((resolve) => child.once('close', resolve));
    for (let i = 0; i < 900 && !out.includes('Ctrl-C here stops'); i++) {
      assert.equal(child.exitCode, null, `the demo ended early:\n${out}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    assert.ok(out.includes('Ctrl-C here stops'), out);
    for (let step = 1; step <= 10; step++)
      assert.match(out, new RegExp(`\\[${String(step)}/10\\] `));
    assert.doesNotMatch(out, /✗/);
    assert.match(out, /model: OFFLINE SCRIPTED MODEL \(asked for the offline model/);
    assert.match(out, /@bob:localhost: \[offline scripted model\] Hello! I am bob/);
    assert.match(out, /GITHUB_TOKEN=\[REDACTED:github-token\]/);
    assert.doesNotMatch(out, /ghp_demo/);
    assert.match(out, /^ {6}4 passed$/m);
    assert.match(out, /testing version 1\.0\.7 on carol, 12 passed/);
    assert.match(out, /^ {6}bob +serve +active/m);
    assert.match(out, xmpp ? /^ {6}carol +cli +active.*carol@localhost/m : /@carol:localhost/);
    const root = rootOf(out);
    // The commands it prints work: the alias file, then a command as alice.
    const aliases = /source (\S+)/.exec(out)?.[1] ?? '';
    const script = join(root, 'try.sh');
    writeFileSync(script, `shopt -s expand_aliases\nsource ${aliases}\nalice discover\n`);
    const discovered = execFileSync('bash', [script], { encoding: 'utf8', env: env() });
    assert.match(discovered, /^bob +serve/m);
    child.kill('SIGINT');
    assert.equal(await closed, 0, out);
    assert.equal(existsSync(root), false, 'the home is removed');
    noneLeft(root);
  });

  it('uses a reachable Ollama, Matrix only with --no-xmpp, and cleans up by itself', async () => {
    const chats: unknown[] = [];
    const ollama = createServer((req, res) => {
      if (req.url === '/api/tags') {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ models: [{ name: 'tiny:latest' }] }));
        return;
      }
      let body = '';
      req.on('data', (d: Buffer) => (body += d.toString()));
      req.on('end', () => {
        chats.push(JSON.parse(body));
        res.writeHead(200, { 'content-type': 'application/x-ndjson' });
        const base = { model: 'tiny', created_at: new Date().toISOString() };
        res.write(
          `${JSON.stringify({ ...base, message: { role: 'assistant', content: 'Bonjour from ' }, done: false })}\n`,
        );
        res.end(
          `${JSON.stringify({ ...base, message: { role: 'assistant', content: 'the fake Ollama.' }, done: true, done_reason: 'stop', prompt_eval_count: 9, eval_count: 4 })}\n`,
        );
      });
    });
    await new Promise<void>((resolve) => ollama.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${String((ollama.address() as AddressInfo).port)}`;
    try {
      const r = await runCli(
        ['--json', 'demo', '--no-xmpp', '--ollama', url],
        env(),
        undefined,
        120_000,
      );
      assert.equal(r.code, 0, r.stdout + r.stderr);
      const events = r.stdout
        .trim()
        .split('\n')
        .map(
          (line) =>
            JSON.parse(line) as { type: string; steps?: string[]; text?: string; lines?: string[] },
        );
      assert.equal(events[0]?.type, 'plan');
      assert.equal(events[0].steps?.length, 10);
      assert.equal(events.filter((e) => e.type === 'step-done').length, 10);
      const said = (pattern: RegExp): boolean =>
        events.some(
          (e) => pattern.test(e.text ?? '') || (e.lines ?? []).some((l) => pattern.test(l)),
        );
      assert.ok(said(new RegExp(`model: Ollama tiny:latest at ${url}`)));
      assert.ok(said(/@bob:localhost: Bonjour from the fake Ollama\./));
      assert.ok(said(/XMPP: .*carol joins on Matrix too/));
      assert.ok(said(/^carol +cli +active.*@carol:localhost/));
      assert.ok(said(/Done in [\d.]+ s; the servers and agents are stopped/));
      assert.ok(chats.length >= 1);
      const root = rootOf(r.stdout);
      assert.equal(existsSync(root), false);
      noneLeft(root);
    } finally {
      ollama.closeAllConnections();
      ollama.close();
    }
  });

  it('stops and cleans up on Ctrl-C in the middle (exit 130)', async () => {
    const child = startCli(['demo', '--offline', '--no-xmpp'], env());
    let out = '';
    child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
    const closed = new Promise<number | null>((resolve) => child.once('close', resolve));
    for (let i = 0; i < 600 && !/\[4\/10\]/.test(out); i++) {
      assert.equal(child.exitCode, null, out);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    child.kill('SIGINT');
    assert.equal(await closed, 130, out);
    const root = rootOf(out);
    assert.equal(existsSync(root), false);
    noneLeft(root);
  });

  it('refuses an --ollama that is not a URL', async () => {
    const r = await runCli(['demo', '--ollama', 'gpu-box'], env());
    assert.equal(r.code, 2);
    assert.match(
      r.stderr,
      /expected --ollama to be a URL like http:\/\/127\.0\.0\.1:11434, got "gpu-box"/,
    );
  });
});
