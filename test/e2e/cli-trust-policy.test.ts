import assert from 'node:assert/strict';
import {
  mkdirSync,
  mkdtempSync,
  readFileSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { AuditLog } from '../../src/security/audit-log.ts';
import { findOnPath } from '../../src/security/policy-paths.ts';
import { runCli, tempHome } from '../support/cli.ts';

interface CardJson {
  id: string;
  signing_key: string;
  public_key: string;
}

async function cardOf(env: NodeJS.ProcessEnv): Promise<CardJson> {
  const r = await runCli(['--json', 'card', 'show'], env);
  assert.equal(r.code, 0, r.stderr);
  return JSON.parse(r.stdout) as CardJson;
}

describe('trust, policy check and audit verify (no server needed)', () => {
  it('gives every agent an Ed25519 key on its card, private to its owner', async () => {
    const env = tempHome();
    const card = await cardOf(env);
    assert.match(card.signing_key, /^SHA256:[A-Za-z0-9_-]{43}$/);
    assert.match(card.public_key, /^ed25519:[A-Za-z0-9_-]{43}$/);
    const file = join(env.MX_AGENT_CONFIG_DIR ?? '', 'signing-key.pem');
    assert.equal(statSync(file).mode & 0o777, 0o600);
    assert.deepEqual(await cardOf(env), card, 'the same key every time');
  });

  it('trusts a key only with its matching fingerprint, and a changed key only with --replace', async () => {
    const me = tempHome();
    const peer = await cardOf(tempHome());
    const other = await cardOf(tempHome());
    const wrong = await runCli(
      ['trust', 'add', peer.id, other.signing_key, '--key', peer.public_key],
      me,
    );
    assert.equal(wrong.code, 6);
    assert.match(wrong.stderr, /has the fingerprint SHA256:.*, not SHA256:.*compared fingerprints/);
    const bad = await runCli(['trust', 'add', 'bob', peer.signing_key], me);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /expected an agent id like agt-/);
    const ok = await runCli(
      ['trust', 'add', peer.id, peer.signing_key, '--key', peer.public_key, '--label', 'ci box'],
      me,
    );
    assert.equal(ok.code, 0, ok.stderr);
    const changed = await runCli(
      ['trust', 'add', peer.id, other.signing_key, '--key', other.public_key],
      me,
    );
    assert.equal(changed.code, 6, changed.stderr);
    const list = await runCli(['--json', 'trust', 'list'], me);
    const entries = JSON.parse(list.stdout) as { agent: string; fingerprint: string }[];
    assert.deepEqual(
      entries.map((e) => [e.agent, e.fingerprint]),
      [[peer.id, peer.signing_key]],
    );
    const trustFile = join(me.MX_AGENT_CONFIG_DIR ?? '', 'trust.json');
    assert.equal(statSync(trustFile).mode & 0o777, 0o600);
    assert.equal((await runCli(['trust', 'remove', peer.id], me)).code, 0);
    assert.match((await runCli(['trust', 'list'], me)).stdout, /no trusted agents yet/);
  });

  it('explains policy decisions: deny by default, real paths, forbidden variables, precise errors', async () => {
    const env = tempHome();
    const config = env.MX_AGENT_CONFIG_DIR ?? '';
    const work = mkdtempSync(join(tmpdir(), 'mx-policy-'));
    const agent = 'agt-abcdefghijklmnop';
    const check = (...args: string[]) =>
      runCli(['policy', 'check', '--requester', agent, '--cwd', work, ...args], env);
    const none = await check('--', 'git', 'status');
    assert.equal(none.code, 6);
    assert.match(none.stdout, /no policy file at .*everything is denied/);
    mkdirSync(config, { recursive: true });
    const policyFile = join(config, 'policy.toml');
    writeFileSync(
      policyFile,
      `[[allow]]\nrequester = "${agent}"\ncommands = ["git"]\ncwd = ["${work}"]\nenv = ["CI", "LD_PRELOAD"]\nrequire_sandbox = false\n`,
      { mode: 0o600 },
    );
    const allowed = await check('--env', 'CI=1', '--', 'git', 'status');
    assert.equal(allowed.code, 0, allowed.stdout + allowed.stderr);
    assert.match(allowed.stdout, /^allowed by allow\[0\]/);
    const git = findOnPath('git', process.env.PATH ?? '');
    assert.ok(git);
    const fake = mkdtempSync(join(tmpdir(), 'mx-fake-bin-'));
    symlinkSync(git, join(fake, 'git'));
    const elsewhere = await check('--', join(fake, 'git'), 'status');
    assert.equal(elsewhere.code, 6, elsewhere.stdout);
    const preload = await check('--env', 'LD_PRELOAD=/tmp/evil.so', '--', 'git', 'status');
    assert.equal(preload.code, 6);
    assert.match(preload.stdout, /LD_PRELOAD/);
    const escape = await runCli(
      ['policy', 'check', '--requester', agent, '--cwd', join(work, '..'), '--', 'git', 'status'],
      env,
    );
    assert.equal(escape.code, 6);
    writeFileSync(
      policyFile,
      `[[allow]]\nrequester = "${agent}"\ncommands = ["git"]\ncwd = ["${work}"]\ntimeout = "forever"\n`,
      {
        mode: 0o600,
      },
    );
    const broken = await check('--', 'git', 'status');
    assert.equal(broken.code, 3);
    assert.match(broken.stderr, /policy\.toml:5:\d+: allow\[0\]\.timeout: expected a duration/);
    assert.doesNotMatch(broken.stderr, /^\s+at /m);
  });

  it('verifies the audit chain and names the first tampered line', async () => {
    const env = tempHome();
    const file = join(mkdtempSync(join(tmpdir(), 'mx-audit-')), 'audit.jsonl');
    const log = new AuditLog(file);
    for (let i = 0; i < 5; i++)
      log.append({ event: 'request', decision: 'denied', reason: `test ${String(i)}` });
    const good = await runCli(['audit', 'verify', '--file', file], env);
    assert.equal(good.code, 0, good.stderr);
    assert.match(good.stdout, /5 record\(s\), chain intact/);
    const lines = readFileSync(file, 'utf8').split('\n');
    lines[2] = (lines[2] ?? '').replace('denied', 'allowed');
    writeFileSync(file, lines.join('\n'));
    const bad = await runCli(['audit', 'verify', '--file', file], env);
    assert.equal(bad.code, 3);
    assert.match(bad.stderr, /audit\.jsonl:3: the audit log is broken/);
  });
});
