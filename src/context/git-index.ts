import { copyFile, mkdtemp, rm, stat, utimes } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { quote, UsageError } from '../errors.ts';
import { gitText, runGit } from './git-command.ts';

/**
 * The working tree as git would commit it, without touching the user's index: a temporary index
 * file (`GIT_INDEX_FILE`) brought up to date with `git add -A`. Starting from a copy of the real
 * index keeps files that are tracked although ignored, and spares hashing unchanged files again.
 * The user's index and refs are never written; `git add -A` and `git write-tree` do store blobs
 * and trees in the object database, where unreferenced ones are pruned by `git gc` in time.
 */

/** The top of the git working tree containing `cwd`; a usage error when there is none. */
export async function repositoryRoot(cwd: string): Promise<string> {
  const isDirectory = await stat(cwd).then(
    (s) => s.isDirectory(),
    () => false,
  );
  if (!isDirectory) throw new UsageError(`${quote(cwd)} is not a directory`);
  const { stdout, code } = await runGit(['rev-parse', '--show-toplevel'], {
    cwd,
    accept: [128],
  });
  const root = stdout.toString('utf8').replace(/\n$/, '');
  if (code !== 0 || root === '')
    throw new UsageError(
      `${quote(cwd)} is not inside a git working tree: sharing git changes needs one (run it in your clone, or leave out --git)`,
    );
  return root;
}

/** Where the working tree at `root` keeps its index (a linked worktree has its own). */
async function indexPath(root: string): Promise<string> {
  return resolve(root, await gitText(['rev-parse', '--git-path', 'index'], { cwd: root }));
}

/**
 * Runs `use` with the path of a temporary index that holds the whole working tree of `root`
 * (staged, unstaged and untracked files, `.gitignore` respected); removes it afterwards.
 */
export async function withWorkingTreeIndex<T>(
  root: string,
  use: (index: string) => Promise<T>,
): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), 'mx-agent-index-'));
  const index = join(dir, 'index');
  try {
    try {
      const real = await indexPath(root);
      await copyFile(real, index);
      // Git trusts an entry's stat data only when the file is older than the index itself
      // ("racy git"); the copy must keep the original's time, or a file rewritten with the same
      // size in the same second as its last `git add` would be taken as unchanged.
      const { atime, mtime } = await stat(real);
      await utimes(index, atime, mtime);
    } catch (error) {
      // No index yet (a fresh repository): git starts from an empty one.
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
    await runGit(['add', '-A'], { cwd: root, index });
    return await use(index);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * The tree id git would commit for the working tree at `dir`, staged or not: two directories
 * with the same tree hash hold the same files, modes and symlinks (ignored files aside).
 */
export async function treeHash(dir: string): Promise<string> {
  const root = await repositoryRoot(dir);
  return withWorkingTreeIndex(root, (index) => gitText(['write-tree'], { cwd: root, index }));
}
