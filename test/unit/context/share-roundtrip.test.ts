import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { applyBundle } from '../../../src/context/apply-bundle.ts';
import { buildBundle } from '../../../src/context/build-bundle.ts';
import type { ContextBundle } from '../../../src/context/bundle.ts';
import { decodeBundle, encodeBundle } from '../../../src/context/bundle-codec.ts';
import { treeHash } from '../../../src/context/git-index.ts';
import { writeBundle } from '../../../src/context/write-bundle.ts';
import { git, makeRepo, needsGit, removeTemp, tempDir, writeFiles } from './git-fixture.ts';

/**
 * The whole trip: a working tree with every kind of change, built into a bundle, encoded,
 * decoded, and applied to a fresh clone at the base commit; the clone's new worktree must hold
 * exactly the sender's working tree. The sender's index must be untouched throughout.
 */

const lines = (n: number, word: string) =>
  Array.from({ length: n }, (_, i) => `${word} ${String(i + 1)}`).join('\n') + '\n';

describe('share-context round trip', { skip: needsGit }, () => {
  let tmp = '';
  let sender = '';
  let base = '';
  let bundle: ContextBundle;
  let indexBefore: Buffer;
  let stagedBefore = '';

  before(async () => {
    tmp = tempDir();
    sender = join(tmp, 'sender');
    mkdirSync(sender);
    base = makeRepo(sender, {
      '.gitignore': '*.log\n',
      'edited.txt': lines(10, 'line'),
      'old-name.txt': lines(20, 'moved'),
      'gone.txt': 'to be deleted\n',
      'staged.txt': lines(5, 'staged'),
      'tool.sh': '#!/bin/sh\necho hi\n',
      'latin1.txt': Buffer.from('caf\xe9\n', 'latin1'),
    });
    // Unstaged edit; binary file (every byte value), untracked; a rename with a small edit;
    // a deletion; an untracked text file; a staged edit with an unstaged edit on top; a mode
    // change; a non-UTF-8 edit; an ignored file that must stay out.
    writeFiles(sender, {
      'edited.txt': lines(10, 'line').replace('line 3', 'line three'),
      'binary.dat': Uint8Array.from({ length: 256 }, (_, i) => i),
      'untracked.txt': 'new and untracked\n',
      'staged.txt': lines(5, 'staged').replace('staged 1', 'staged one'),
      'latin1.txt': Buffer.from('caf\xe9 cr\xe8me\n', 'latin1'),
      'debug.log': 'ignored\n',
    });
    git(sender, 'add', 'staged.txt');
    writeFiles(sender, {
      'staged.txt': lines(5, 'staged').replace('staged 1', 'staged one') + 'more\n',
    });
    git(sender, 'mv', 'old-name.txt', 'new-name.txt');
    writeFiles(sender, { 'new-name.txt': lines(20, 'moved').replace('moved 7', 'moved seven') });
    rmSync(join(sender, 'gone.txt'));
    chmodSync(join(sender, 'tool.sh'), 0o755);
    mkdirSync(join(sender, 'nested/deeper'), { recursive: true });
    writeFiles(sender, { 'nested/deeper/file.txt': 'deep\n' });

    indexBefore = readFileSync(join(sender, '.git/index'));
    stagedBefore = git(sender, 'diff', '--cached', '--name-only');
    ({ bundle } = await buildBundle({ cwd: sender, git: {}, now: 1_700_000_000_000 }));
  });
  after(() => {
    removeTemp(tmp);
  });

  it('leaves the index alone', () => {
    assert.deepEqual(readFileSync(join(sender, '.git/index')), indexBefore);
    assert.equal(git(sender, 'diff', '--cached', '--name-only'), stagedBefore);
  });

  it('describes the repository and the changes', () => {
    const snapshot = bundle.git;
    assert.ok(snapshot !== undefined);
    assert.equal(snapshot.head, base);
    assert.equal(snapshot.base, base);
    assert.equal(snapshot.baseRef, 'HEAD');
    assert.equal(snapshot.branch, 'main');
    assert.equal(snapshot.remote, undefined);
    // Not UTF-8 (latin1.txt), so the patch travels as base64.
    assert.equal(snapshot.diff.encoding, 'base64');
    const patch = Buffer.from(snapshot.diff.data, 'base64');
    assert.equal(patch.length, snapshot.diff.bytes);
    const text = patch.toString('latin1');
    assert.match(text, /^rename from old-name\.txt$/m);
    assert.match(text, /^GIT binary patch$/m);
    assert.match(text, /^old mode 100644\nnew mode 100755$/m);
    assert.doesNotMatch(text, /debug\.log/);
    assert.deepEqual(snapshot.stat, { files: 9, insertions: 7, deletions: 5 });
    assert.equal(
      snapshot.status,
      [
        ' M edited.txt',
        ' D gone.txt',
        ' M latin1.txt',
        'RM old-name.txt -> new-name.txt',
        'MM staged.txt',
        ' M tool.sh',
        '?? binary.dat',
        '?? nested/',
        '?? untracked.txt',
        '',
      ].join('\n'),
    );
    assert.deepEqual(bundle.withheld, []);
  });

  it('decodes and applies to a clone, giving the same tree', async () => {
    const { bytes, sha256 } = encodeBundle(bundle);
    const received = decodeBundle(bytes, sha256, bundle.id);
    assert.deepEqual(received, JSON.parse(JSON.stringify(bundle)));
    const clone = join(tmp, 'receiver');
    git(tmp, 'clone', '-q', sender, clone);
    const worktree = join(tmp, 'applied');
    const result = await applyBundle(received, { repo: clone, dir: worktree });
    assert.deepEqual(result, {
      applied: true,
      worktree,
      conflicts: [],
      message: `applied context share ${bundle.id} in ${worktree}: 9 files changed`,
    });
    assert.equal(await treeHash(worktree), await treeHash(sender));
    assert.equal(statSync(join(worktree, 'tool.sh')).mode & 0o777, 0o755);
    assert.deepEqual(
      readFileSync(join(worktree, 'binary.dat')),
      Buffer.from(Uint8Array.from({ length: 256 }, (_, i) => i)),
    );
  });

  it('writes the bundle out as files, refusing a directory that is not empty', async () => {
    const out = join(tmp, 'out');
    const written = await writeBundle(bundle, out);
    assert.deepEqual(written.written, ['bundle.json', 'changes.patch']);
    assert.equal(statSync(out).mode & 0o777, 0o700);
    const patch = readFileSync(join(out, 'changes.patch'));
    assert.equal(patch.length, bundle.git?.diff.bytes);
    const meta = JSON.parse(readFileSync(join(out, 'bundle.json'), 'utf8')) as {
      git: { diff: object };
    };
    assert.deepEqual(meta.git.diff, {
      encoding: 'base64',
      bytes: patch.length,
      file: 'changes.patch',
    });
    await assert.rejects(writeBundle(bundle, out), {
      name: 'UsageError',
      message: `"${out}" is not empty: choose a new directory for context share ${bundle.id}, or overwrite it`,
    });
    await writeBundle(bundle, out, { overwrite: true });
  });

  it('treeHash sees untracked files and ignores ignored ones', async () => {
    const before = await treeHash(sender);
    writeFiles(sender, { 'other.log': 'ignored too\n' });
    assert.equal(await treeHash(sender), before);
    writeFiles(sender, { 'fresh.txt': 'x\n' });
    assert.notEqual(await treeHash(sender), before);
    renameSync(join(sender, 'fresh.txt'), join(tmp, 'fresh.txt'));
    assert.equal(await treeHash(sender), before);
  });
});
