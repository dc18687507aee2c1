import assert from 'node:assert/strict';
import { mkdirSync, symlinkSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { buildBundle } from '../../../src/context/build-bundle.ts';
import { collectGit } from '../../../src/context/git-snapshot.ts';
import { collectFiles, MAX_FILE_BYTES } from '../../../src/context/shared-files.ts';
import { git, makeRepo, needsGit, removeTemp, tempDir, writeFiles } from './git-fixture.ts';

/** What the user hears when a share cannot be built from what they asked for. */

describe('share-context usage errors', { skip: needsGit }, () => {
  let tmp = '';
  let repo = '';

  before(() => {
    tmp = tempDir();
    repo = join(tmp, 'repo');
    mkdirSync(repo);
    makeRepo(repo, { 'a.txt': 'a\n', 'src/b.ts': 'export {};\n' });
    writeFileSync(join(tmp, 'outside.txt'), 'not under the repo\n');
  });
  after(() => {
    removeTemp(tmp);
  });

  it('a base that names no commit', async () => {
    for (const base of ['no-such-branch', 'HEAD:a.txt', '--output=x'])
      await assert.rejects(collectGit(repo, { base }), {
        name: 'UsageError',
        message: `expected --base to name a commit in this repository, got ${JSON.stringify(base)}`,
      });
  });

  it('a base that names a commit by branch, tag or sha', async () => {
    const head = git(repo, 'rev-parse', 'HEAD').trim();
    git(repo, 'tag', 'v1');
    for (const base of ['main', 'v1', head.slice(0, 10), 'HEAD'])
      assert.equal((await collectGit(repo, { base })).snapshot.base, head);
  });

  it('not a git working tree', async () => {
    await assert.rejects(collectGit(tmp), {
      name: 'UsageError',
      message: `"${tmp}" is not inside a git working tree: sharing git changes needs one (run it in your clone, or leave out --git)`,
    });
    await assert.rejects(collectGit(join(tmp, 'missing')), {
      name: 'UsageError',
      message: `"${join(tmp, 'missing')}" is not a directory`,
    });
  });

  it('a repository without a commit', async () => {
    const empty = join(tmp, 'empty');
    mkdirSync(empty);
    git(empty, 'init', '-q');
    await assert.rejects(collectGit(empty), {
      name: 'UsageError',
      message: `the repository at "${empty}" has no commit yet: commit something first, so the changes have a base the peer can check out`,
    });
  });

  it('a glob that matches no file, or only directories', async () => {
    await assert.rejects(collectFiles(repo, ['*.txt', '*.nope']), {
      name: 'UsageError',
      message: '--files "*.nope" matched no file',
    });
    await assert.rejects(collectFiles(repo, ['src']), {
      name: 'UsageError',
      message:
        '--files "src" matched no file (only directories: use "src/**" for the files under one)',
    });
    assert.deepEqual(
      (await collectFiles(repo, ['src/**'])).files.map((f) => f.path),
      ['src/b.ts'],
    );
  });

  it('a path that escapes the directory, by .., by absolute path or by a link', async () => {
    await assert.rejects(collectFiles(repo, ['../outside.txt']), {
      name: 'UsageError',
      message: `--files "../outside.txt" names "../outside.txt", outside the directory being shared (${repo}): only files under it can be shared`,
    });
    const absolute = join(tmp, 'outside.txt');
    await assert.rejects(collectFiles(repo, [absolute]), {
      name: 'UsageError',
      message: `--files ${JSON.stringify(absolute)} names ${JSON.stringify(absolute)}, outside the directory being shared (${repo}): only files under it can be shared`,
    });
    symlinkSync(absolute, join(repo, 'link.txt'));
    await assert.rejects(collectFiles(repo, ['*.txt']), {
      name: 'UsageError',
      message: `--files "*.txt" names "${join(repo, 'link.txt')}", a link to "${absolute}" outside the directory being shared: only files under it can be shared`,
    });
  });

  it('files over the size caps, refused before any is read', async () => {
    const big = join(tmp, 'big');
    mkdirSync(big);
    writeFileSync(join(big, 'huge.bin'), '');
    truncateSync(join(big, 'huge.bin'), MAX_FILE_BYTES + 1);
    await assert.rejects(collectFiles(big, ['huge.bin']), {
      name: 'UsageError',
      message: `--files: huge.bin is 10.0 MiB (${String(MAX_FILE_BYTES + 1)} bytes), more than the 10 MiB one shared file may be; share a part of it, or the diff instead`,
    });
    for (let i = 1; i <= 6; i++) {
      writeFileSync(join(big, `part${String(i)}.bin`), '');
      truncateSync(join(big, `part${String(i)}.bin`), 9 * 1024 * 1024);
    }
    await assert.rejects(collectFiles(big, ['part*.bin']), {
      name: 'UsageError',
      message: '--files: the files add up to more than 50 MiB by part6.bin; share fewer files',
    });
  });

  it('key material named explicitly is withheld, not an error', async () => {
    writeFiles(repo, { 'deploy.key': 'whatever\n', id_ed25519: 'whatever\n' });
    const { files, withheld } = await collectFiles(repo, ['deploy.key', 'id_ed25519', 'a.txt']);
    assert.deepEqual(
      files.map((f) => f.path),
      ['a.txt'],
    );
    assert.deepEqual(withheld, [
      { type: 'withheld-file', source: 'file', path: 'deploy.key', reason: 'key-material' },
      { type: 'withheld-file', source: 'file', path: 'id_ed25519', reason: 'key-material' },
    ]);
  });

  it('a malformed bundle id', async () => {
    await assert.rejects(buildBundle({ cwd: repo, id: 'ctx-UPPER' }), {
      name: 'UsageError',
      message: 'expected a bundle id like "ctx-abcdefgh2345", got "ctx-UPPER"',
    });
  });
});
