import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { applyBundle } from '../../../src/context/apply-bundle.ts';
import { buildBundle } from '../../../src/context/build-bundle.ts';
import type { ContextBundle, GitSnapshot } from '../../../src/context/bundle.ts';
import { git, makeRepo, needsGit, removeTemp, tempDir, writeFiles } from './git-fixture.ts';

/**
 * Applying on the receiving side: conflicts are reported as data (which files, what to do),
 * never thrown; a missing base commit, a bundle without git changes or a worktree path in use
 * are usage errors.
 */

describe('applyBundle', { skip: needsGit }, () => {
  let tmp = '';
  let sender = '';
  let receiver = '';
  let bundle: ContextBundle;
  let snapshot: GitSnapshot;
  let receiverCommit = '';

  before(async () => {
    tmp = tempDir();
    sender = join(tmp, 'sender');
    receiver = join(tmp, 'receiver');
    mkdirSync(sender);
    makeRepo(sender, { 'a.txt': 'one\ntwo\nthree\n', 'b.txt': 'bee\n' });
    git(tmp, 'clone', '-q', sender, receiver);
    git(receiver, 'config', 'user.email', 'peer@example.com');
    git(receiver, 'config', 'user.name', 'Peer');
    writeFiles(sender, { 'a.txt': 'ONE\ntwo\nthree\n' });
    ({ bundle } = await buildBundle({ cwd: sender, git: {} }));
    assert.ok(bundle.git !== undefined);
    snapshot = bundle.git;
    // The receiver's own commit changes the same line another way.
    writeFiles(receiver, { 'a.txt': 'uno\ntwo\nthree\n' });
    git(receiver, 'commit', '-qam', 'uno');
    receiverCommit = git(receiver, 'rev-parse', 'HEAD').trim();
  });
  after(() => {
    removeTemp(tmp);
  });

  it('reports a three-way conflict with the files, leaving markers to resolve', async () => {
    // The bundle's diff, pointed at a base where the same line changed differently.
    const moved = { ...bundle, git: { ...snapshot, base: receiverCommit } };
    const worktree = join(tmp, 'conflict');
    const result = await applyBundle(moved, { repo: receiver, dir: worktree });
    assert.deepEqual(result, {
      applied: false,
      worktree,
      conflicts: ['a.txt'],
      message: `context share ${bundle.id} applied in ${worktree} with conflicts in a.txt: resolve them there (git status lists them)`,
    });
    assert.match(
      readFileSync(join(worktree, 'a.txt'), 'utf8'),
      /^<<<<<<< ours\nuno\n=======\nONE\n>>>>>>> theirs\n/,
    );
  });

  it('reports a diff that does not apply at all, changing nothing', async () => {
    const patch = [
      'diff --git a/b.txt b/b.txt',
      'index 1111111111111111111111111111111111111111..2222222222222222222222222222222222222222 100644',
      '--- a/b.txt',
      '+++ b/b.txt',
      '@@ -1 +1 @@',
      '-not what is there',
      '+something else',
      '',
    ].join('\n');
    const edited = {
      ...bundle,
      git: { ...snapshot, diff: { encoding: 'utf8' as const, data: patch, bytes: patch.length } },
    };
    const worktree = join(tmp, 'rejected');
    const result = await applyBundle(edited, { repo: receiver, dir: worktree });
    assert.deepEqual(result, {
      applied: false,
      worktree,
      conflicts: ['b.txt'],
      message: `context share ${bundle.id} did not apply to its base (b.txt); nothing was changed in ${worktree}, which holds the base commit`,
    });
    assert.equal(readFileSync(join(worktree, 'b.txt'), 'utf8'), 'bee\n');
    assert.equal(git(worktree, 'status', '--porcelain'), '');
  });

  it('applies an empty diff as the base commit itself', async () => {
    const empty = {
      ...bundle,
      git: { ...snapshot, diff: { encoding: 'utf8' as const, data: '', bytes: 0 } },
    };
    const worktree = join(tmp, 'empty');
    assert.deepEqual(await applyBundle(empty, { repo: receiver, dir: worktree }), {
      applied: true,
      worktree,
      conflicts: [],
      message: `no changes to apply: ${worktree} holds the base commit`,
    });
  });

  it('a base the receiver lacks: fetch it first', async () => {
    writeFiles(sender, { 'c.txt': 'sea\n' });
    git(sender, 'add', 'c.txt');
    git(sender, 'commit', '-qm', 'only the sender has this');
    const { bundle: ahead } = await buildBundle({ cwd: sender, git: {} });
    const base = ahead.git?.base ?? '';
    await assert.rejects(applyBundle(ahead, { repo: receiver, dir: join(tmp, 'never') }), {
      name: 'UsageError',
      message: `"${receiver}" does not have commit ${base.slice(0, 12)}, the base of context share ${ahead.id}: fetch it from the sender's remote (branch main) first (git -C ${receiver} fetch <remote> ${base}), then apply again`,
    });
  });

  it('a bundle without git changes, and a worktree path in use', async () => {
    const { git: _git, ...noGit } = bundle;
    await assert.rejects(applyBundle(noGit, { repo: receiver, dir: join(tmp, 'x') }), {
      name: 'UsageError',
      message: `context share ${bundle.id} carries no git changes to apply`,
    });
    const used = join(tmp, 'used');
    mkdirSync(used);
    writeFileSync(join(used, 'file'), 'x');
    await assert.rejects(applyBundle(bundle, { repo: receiver, dir: used }), {
      name: 'UsageError',
      message: `could not make a worktree at "${used}": fatal: '${used}' already exists`,
    });
  });
});
