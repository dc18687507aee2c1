import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { applyBundle } from '../../../src/context/apply-bundle.ts';
import { buildBundle } from '../../../src/context/build-bundle.ts';
import {
  decodeBundle,
  encodeBundle,
  packBundle,
  unpackBundle,
} from '../../../src/context/bundle-codec.ts';
import { treeHash } from '../../../src/context/git-index.ts';
import { Draw } from './fake-secrets.ts';
import { git, makeRepo, needsGit, removeTemp, tempDir, writeFiles } from './git-fixture.ts';

/**
 * A 5 MB diff (one large new file, one large rewrite) builds, encodes, packs and applies in
 * seconds: no step may cost more than linear time in the size of the changes.
 */

/** `count` lines of code-like text, different per seed. */
function code(count: number, seed: number): string {
  const draw = new Draw(seed);
  const out: string[] = [];
  for (let i = 0; i < count; i++)
    out.push(
      `  const value${String(i)} = compute("${draw.chars(12, 'abcdefghij')}", ${String(draw.int(1000))});`,
    );
  return out.join('\n') + '\n';
}

describe('a 5 MB diff', { skip: needsGit }, () => {
  let tmp = '';
  let repo = '';

  before(() => {
    tmp = tempDir();
    repo = join(tmp, 'repo');
    mkdirSync(repo);
    makeRepo(repo, { 'rewritten.ts': code(20_000, 1) });
    writeFiles(repo, { 'rewritten.ts': code(20_000, 2), 'generated.ts': code(60_000, 3) });
  });
  after(() => {
    removeTemp(tmp);
  });

  it('round-trips in reasonable time', async () => {
    const started = performance.now();
    const { bundle } = await buildBundle({ cwd: repo, git: {} });
    const built = performance.now();
    assert.ok(
      (bundle.git?.diff.bytes ?? 0) > 5_000_000,
      `diff is ${String(bundle.git?.diff.bytes)} bytes`,
    );
    const { bytes, sha256 } = encodeBundle(bundle);
    const received = decodeBundle(await unpackBundle(await packBundle(bytes)), sha256);
    const clone = join(tmp, 'clone');
    git(tmp, 'clone', '-q', repo, clone);
    const result = await applyBundle(received, { repo: clone, dir: join(tmp, 'applied') });
    assert.equal(result.applied, true);
    assert.equal(await treeHash(join(tmp, 'applied')), await treeHash(repo));
    const total = performance.now() - started;
    // Generous bounds for a slow CI machine; quadratic behaviour would take minutes.
    assert.ok(built - started < 15_000, `building took ${String(Math.round(built - started))} ms`);
    assert.ok(total < 30_000, `the round trip took ${String(Math.round(total))} ms`);
  });
});
