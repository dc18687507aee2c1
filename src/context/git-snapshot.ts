import { quote, UsageError } from '../errors.ts';
import type { GitSnapshot } from './bundle.ts';
import { scrubDiff } from './diff-scrub.ts';
import {
  changedFiles,
  diffStat,
  filesToWithhold,
  pathspec,
  type DiffScope,
} from './git-changes.ts';
import { runGit } from './git-command.ts';
import { repositoryRoot, withWorkingTreeIndex } from './git-index.ts';
import { sharedRemote } from './git-remote.ts';
import { scrubText } from './scrub-text.ts';
import { tagRedactions, type WithheldEntry } from './withheld.ts';

/**
 * The git part of a bundle: where the work is (remote, branch, HEAD), and all of it as one diff
 * against a base commit: staged, unstaged and untracked files (.gitignore respected), binary
 * files and renames included, so that `git apply --index` on a checkout of the base rebuilds
 * the sender's working tree. The diff is taken from a temporary index (git-index.ts); the
 * user's own index is never written.
 */

/** What `collectGit` returns: the snapshot and what it held back. */
export interface CollectedGit {
  readonly snapshot: GitSnapshot;
  readonly withheld: readonly WithheldEntry[];
}

/** Options of `collectGit`. */
export interface CollectGitOptions {
  /** The commit to diff against, as the user named it; HEAD when absent. */
  readonly base?: string;
}

/**
 * The commit `ref` names in the repository at `root`. `--end-of-options` keeps a ref that starts
 * with a dash from being read as an option.
 */
async function resolveCommit(root: string, ref: string): Promise<string | undefined> {
  const { stdout, code } = await runGit(
    ['rev-parse', '--verify', '--quiet', '--end-of-options', `${ref}^{commit}`],
    { cwd: root, accept: [1, 128] },
  );
  const sha = stdout.toString('utf8').trim();
  return code === 0 && sha !== '' ? sha : undefined;
}

/** The checked-out branch, or nothing when HEAD is detached. */
async function currentBranch(root: string): Promise<string | undefined> {
  const { stdout, code } = await runGit(['symbolic-ref', '--quiet', '--short', 'HEAD'], {
    cwd: root,
    accept: [1, 128],
  });
  const branch = stdout.toString('utf8').trim();
  return code === 0 && branch !== '' ? branch : undefined;
}

// Fixed prefixes and no external or text-converted diffs whatever the user's config says:
// `git apply` on the receiving side needs a/ and b/ and the real bytes.
const PATCH_ARGS = [
  '-c',
  'diff.noprefix=false',
  '-c',
  'diff.mnemonicPrefix=false',
  'diff',
  '--cached',
  '--binary',
  '-M',
  '--full-index',
  '--no-color',
  '--no-ext-diff',
  '--no-textconv',
  '--src-prefix=a/',
  '--dst-prefix=b/',
];

/** The patch of everything in the temporary index against base, minus excluded paths. */
async function workingDiff(scope: DiffScope): Promise<Buffer> {
  const args = [...PATCH_ARGS, scope.base, '--', ...pathspec(scope.excluded)];
  const { stdout } = await runGit(args, { cwd: scope.root, index: scope.index });
  return stdout;
}

/**
 * Snapshot of the git working tree containing `cwd`, diffed against `options.base` (HEAD by
 * default). Usage errors: not a git working tree; a base that names no commit; no commit yet.
 */
export async function collectGit(
  cwd: string,
  options: CollectGitOptions = {},
): Promise<CollectedGit> {
  const root = await repositoryRoot(cwd);
  const baseRef = options.base ?? 'HEAD';
  const head = await resolveCommit(root, 'HEAD');
  if (head === undefined)
    throw new UsageError(
      `the repository at ${quote(root)} has no commit yet: commit something first, so the changes have a base the peer can check out`,
    );
  const base = await resolveCommit(root, baseRef);
  if (base === undefined)
    throw new UsageError(
      `expected --base to name a commit in this repository, got ${quote(baseRef)}`,
    );
  const branch = await currentBranch(root);
  const remote = await sharedRemote(root, branch);
  const { stdout: statusOut } = await runGit(['status', '--porcelain=v1'], { cwd: root });
  const status = scrubText(statusOut.toString('utf8'));

  const { patch, stat, left } = await withWorkingTreeIndex(root, async (index) => {
    const whole: DiffScope = { root, index, base };
    const files = await changedFiles(whole);
    const { paths, withheld } = await filesToWithhold(whole, files);
    const scope: DiffScope = { ...whole, excluded: paths };
    // Leaving files out can change which renames git pairs up; count what the patch holds.
    const kept = paths.length === 0 ? files : await changedFiles(scope);
    return { patch: await workingDiff(scope), stat: diffStat(kept), left: withheld };
  });
  const scrubbed = scrubDiff(patch);
  const snapshot: GitSnapshot = {
    ...(remote.remote === undefined ? {} : { remote: remote.remote }),
    ...(branch === undefined ? {} : { branch }),
    head,
    base,
    baseRef,
    status: status.text,
    diff: scrubbed.diff,
    stat,
  };
  return {
    snapshot,
    withheld: [
      ...remote.withheld,
      ...tagRedactions(status.redactions, 'git', 'status'),
      ...left,
      ...scrubbed.redactions,
    ],
  };
}
