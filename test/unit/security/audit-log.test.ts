import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { ConfigError, UsageError } from '../../../src/errors.ts';
import { canonicalJson } from '../../../src/protocol/canonical-json.ts';
import { AuditLog, GENESIS, hashOf, verifyAuditLog } from '../../../src/security/audit-log.ts';

const root = mkdtempSync(join(tmpdir(), 'mx-audit-'));
after(() => {
  rmSync(root, { recursive: true, force: true });
});
let count = 0;
const freshPath = (): string => join(root, `log-${String((count += 1))}`, 'audit.jsonl');
const MODULE = new URL('../../../src/security/audit-log.ts', import.meta.url).href;
const NOW = Date.UTC(2026, 0, 2, 3, 4, 5);

/** A log of `n` decisions. */
const logOf = (n: number): { path: string; lines: string[] } => {
  const path = freshPath();
  const log = new AuditLog(path, { now: () => NOW });
  for (let i = 1; i <= n; i += 1)
    log.append({
      event: 'request',
      decision: i % 2 === 0 ? 'allowed' : 'denied',
      stage: 'policy',
      reason: `reason ${String(i)}`,
      requester: { agent: 'agt-aaaaaaaaaaaaaaaa', fingerprint: 'SHA256:x', address: undefined },
      kind: 'task.request',
    });
  return { path, lines: readFileSync(path, 'utf8').split('\n').slice(0, -1) };
};
const rewrite = (path: string, lines: readonly string[]): void => {
  writeFileSync(path, lines.map((line) => `${line}\n`).join(''));
};
const bad = (path: string, line: number, reason: RegExp): void => {
  const verdict = verifyAuditLog(path);
  assert.equal(verdict.ok, false, 'the tampering was noticed');
  if (verdict.ok) return;
  assert.equal(verdict.line, line, verdict.reason);
  assert.match(verdict.reason, reason);
};

describe('audit log', () => {
  it('writes canonical, hash-chained records to a private file', () => {
    const { path, lines } = logOf(3);
    assert.equal(statSync(path).mode & 0o777, 0o600);
    const records = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
    assert.deepEqual(records[0], {
      seq: 1,
      at: '2026-01-02T03:04:05.000Z',
      prev: GENESIS,
      event: 'request',
      decision: 'denied',
      stage: 'policy',
      reason: 'reason 1',
      requester: { agent: 'agt-aaaaaaaaaaaaaaaa', fingerprint: 'SHA256:x' },
      kind: 'task.request',
      hash: records[0]?.hash,
    });
    for (const [index, record] of records.entries()) {
      assert.equal(lines[index], canonicalJson(record), 'each line is canonical JSON');
      const { hash, ...rest } = record;
      const digest = createHash('sha256').update(canonicalJson(rest)).digest('hex');
      assert.equal(hash, digest, 'hash = sha256 of the record without hash');
      assert.equal(hashOf(rest), digest);
      if (index > 0) assert.equal(record.prev, records[index - 1]?.hash);
    }
    assert.deepEqual(verifyAuditLog(path), { ok: true, records: 3, head: records[2]?.hash });
  });

  it('returns the record it wrote and refuses fields that are the log own', () => {
    const log = new AuditLog(freshPath());
    const record = log.append({ event: 'start', summary: 'worker started' });
    assert.equal(record.seq, 1);
    assert.equal(record.summary, 'worker started');
    assert.throws(() => log.append({ event: 'x', seq: 9 }), UsageError);
    assert.throws(
      () => log.append({ event: 'x', ratio: 0.5 }),
      /ratio: expected an integer, got 0.5/,
    );
    assert.deepEqual(verifyAuditLog(log.path), { ok: true, records: 1, head: record.hash });
  });

  it('an empty log verifies, a missing one is a configuration error', () => {
    const path = freshPath();
    assert.throws(() => verifyAuditLog(path), ConfigError);
    new AuditLog(path).append({ event: 'x' });
    writeFileSync(path, '');
    assert.deepEqual(verifyAuditLog(path), { ok: true, records: 0, head: GENESIS });
  });

  it('names the line whose field was edited', () => {
    const { path, lines } = logOf(5);
    rewrite(
      path,
      lines.map((line, i) => (i === 2 ? line.replace('"denied"', '"allowed"') : line)),
    );
    bad(path, 3, /^its content does not match its hash: the record was edited$/);
  });

  it('names the line after one edited with its hash recomputed', () => {
    const { path, lines } = logOf(5);
    const { hash: _hash, ...record } = JSON.parse(lines[2] ?? '') as Record<string, unknown>;
    const rest = { ...record, decision: 'allowed' };
    const forged = canonicalJson({ ...rest, hash: hashOf(rest) });
    rewrite(
      path,
      lines.map((line, i) => (i === 2 ? forged : line)),
    );
    bad(
      path,
      4,
      /^prev does not match the hash of line 3: a record was deleted, inserted or moved$/,
    );
  });

  it('names the line where a record was deleted', () => {
    const { path, lines } = logOf(5);
    rewrite(
      path,
      lines.filter((_, i) => i !== 2),
    );
    bad(path, 3, /^seq is 4 where 3 was expected/);
    rewrite(path, lines.slice(1));
    bad(path, 1, /^seq is 2 where 1 was expected/);
  });

  it('names the line where two records were swapped', () => {
    const { path, lines } = logOf(5);
    const swapped = [...lines];
    [swapped[2], swapped[3]] = [lines[3] ?? '', lines[2] ?? ''];
    rewrite(path, swapped);
    bad(path, 3, /^seq is 4 where 3 was expected: a record was deleted, inserted or moved$/);
  });

  it('names a line truncated mid-record, a line of bad JSON, and a reformatted line', () => {
    const { path, lines } = logOf(4);
    const size = statSync(path).size;
    truncateSync(path, size - 10);
    bad(path, 4, /^the log ends in the middle of this record/);
    rewrite(
      path,
      lines.map((line, i) => (i === 1 ? '{"seq":2,' : line)),
    );
    bad(path, 2, /^not JSON: /);
    rewrite(
      path,
      lines.map((line, i) =>
        i === 1 ? JSON.stringify(JSON.parse(line), null, 1).replace(/\n/g, '') : line,
      ),
    );
    bad(path, 2, /^not in canonical JSON form/);
  });

  it('refuses to extend a damaged log, writing nothing', () => {
    const { path } = logOf(2);
    truncateSync(path, statSync(path).size - 1);
    const before = readFileSync(path, 'utf8');
    assert.throws(
      () => new AuditLog(path).append({ event: 'x' }),
      (error: unknown) =>
        error instanceof ConfigError &&
        error.message.startsWith(
          `the audit log ${path} is damaged (it ends in the middle of a record)`,
        ),
    );
    assert.equal(readFileSync(path, 'utf8'), before);
  });

  it('keeps one chain when two processes append 200 records each at once', async () => {
    const path = freshPath();
    const writer = (name: string): string => `import { AuditLog } from ${JSON.stringify(MODULE)};
      const log = new AuditLog(${JSON.stringify(path)});
      for (let i = 0; i < 200; i += 1) log.append({ event: 'test', writer: '${name}', n: i });`;
    const run = async (name: string): Promise<void> => {
      const child = spawn(process.execPath, ['--input-type=module', '-e', writer(name)], {
        stdio: ['ignore', 'inherit', 'inherit'],
      });
      const [code] = (await once(child, 'exit')) as [number];
      assert.equal(code, 0);
    };
    await Promise.all([run('one'), run('two')]);
    const verdict = verifyAuditLog(path);
    assert.equal(verdict.ok ? verdict.records : verdict.reason, 400);
    const records = readFileSync(path, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { writer: string; n: number });
    for (const name of ['one', 'two']) {
      const mine = records.filter((r) => r.writer === name).map((r) => r.n);
      assert.deepEqual(mine, [...Array(200).keys()], `every record of ${name}, in its order`);
    }
  });
});
