import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { quote, UsageError } from '../errors.ts';
import { decodeContent, type ContextBundle } from './bundle.ts';
import { runGit } from './git-command.ts';
import { repositoryRoot } from './git-index.ts';

/**
 * Applying a bundle's diff where it cannot disturb anyone's work: a new worktree of the
 * receiver's clone, checked out at the bundle's base commit (detached), then `git apply --3way
 * --index`. Conflicts are an outcome, not a failure: the result lists the files, and the
 * worktree is left for the user to resolve them in.
 */

/** Where to apply: a local clone of the sender's repository, and a new worktree path. */
export interface ApplyOptions {
  readonly repo: string;
  readonly dir: string;
}

/** What applying did. `applied` only when the whole diff applied cleanly. */
export interface ApplyResult {
  readonly applied: boolean;
  /** Absolute path of the new worktree. */
  readonly worktree: string;
  /** Files that conflicted, or whose part of the diff did not apply. */
  readonly conflicts: readonly string[];
  /** One sentence for the user. */
  readonly message: string;
}

// What `git apply` prints about a file it could not apply (apply.c), and --3way's "U path".
const FAILED_FILE = [
  /^U (.+)$/,
  /^error: patch failed: (.+):[0-9]+$/,
  /^error: (.+): (?:patch does not apply|does not exist in index|already exists in (?:index|working directory)|does not match index)$/,
];

/** The files `git apply` named as failed or conflicting, in order, each once. */
function failedFiles(stderr: string): string[] {
  const files = new Set<string>();
  for (const line of stderr.split('\n'))
    for (const pattern of FAILED_FILE) {
      const match = pattern.exec(line);
      if (match?.[1] !== undefined) files.add(match[1]);
    }
  return [...files];
}

/** Makes sure `repo` has the base commit, with advice on fetching it when not. */
async function requireBase(repo: string, bundle: ContextBundle, base: string): Promise<void> {
  const { code } = await runGit(['cat-file', '-e', `${base}^{commit}`], {
    cwd: repo,
    accept: [1, 128],
  });
  if (code === 0) return;
  const from = bundle.git?.remote ?? "the sender's remote";
  const branch = bundle.git?.branch === undefined ? '' : ` (branch ${bundle.git.branch})`;
  throw new UsageError(
    `${quote(repo)} does not have commit ${base.slice(0, 12)}, the base of context share ${bundle.id}: fetch it from ${from}${branch} first (git -C ${repo} fetch <remote> ${base}), then apply again`,
  );
}

/**
 * Applies the diff of `bundle` in a new worktree `options.dir` of the clone `options.repo`, at
 * the bundle's base commit. Usage errors: no git part in the bundle, `repo` not a git working
 * tree or without the base commit, `dir` not new or empty.
 */
export async function applyBundle(
  bundle: ContextBundle,
  options: ApplyOptions,
): Promise<ApplyResult> {
  const git = bundle.git;
  if (git === undefined)
    throw new UsageError(`context share ${bundle.id} carries no git changes to apply`);
  const repo = await repositoryRoot(options.repo);
  await requireBase(repo, bundle, git.base);
  const worktree = resolve(options.dir);
  const added = await runGit(['worktree', 'add', '--detach', '--quiet', worktree, git.base], {
    cwd: repo,
    accept: [128],
  });
  if (added.code !== 0)
    throw new UsageError(`could not make a worktree at ${quote(worktree)}: ${added.stderr}`);
  if (git.diff.bytes === 0)
    return {
      applied: true,
      worktree,
      conflicts: [],
      message: `no changes to apply: ${worktree} holds the base commit`,
    };

  const scratch = await mkdtemp(join(tmpdir(), 'mx-agent-apply-'));
  try {
    const patch = join(scratch, 'changes.patch');
    await writeFile(patch, decodeContent(git.diff.encoding, git.diff.data));
    const applied = await runGit(['apply', '--3way', '--index', '--whitespace=nowarn', patch], {
      cwd: worktree,
      accept: [1, 128],
    });
    if (applied.code === 0)
      return {
        applied: true,
        worktree,
        conflicts: [],
        message: `applied context share ${bundle.id} in ${worktree}: ${String(git.stat.files)} files changed`,
      };
    const unmerged = await runGit(['diff', '--name-only', '--diff-filter=U', '-z'], {
      cwd: worktree,
    });
    const conflicted = unmerged.stdout
      .toString('utf8')
      .split('\0')
      .filter((p) => p !== '');
    const conflicts = [...new Set([...conflicted, ...failedFiles(applied.stderr)])];
    const listed =
      conflicts.length === 0 ? (applied.stderr.split('\n')[0] ?? '') : conflicts.join(', ');
    return {
      applied: false,
      worktree,
      conflicts,
      message:
        conflicted.length > 0
          ? `context share ${bundle.id} applied in ${worktree} with conflicts in ${listed}: resolve them there (git status lists them)`
          : `context share ${bundle.id} did not apply to its base (${listed}); nothing was changed in ${worktree}, which holds the base commit`,
    };
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}
