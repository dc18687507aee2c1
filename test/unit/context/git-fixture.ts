/**
 * Temporary git repositories for the share-context tests. Every git command a test runs goes
 * through `git()`, which refuses any directory outside this run's temporary tree, so a test can
 * never touch the repository it runs in. The code under test inherits the settings made here:
 * no system or global git config (a developer's `commit.gpgsign` or `diff.noprefix` stays out),
 * and no repository discovery above the temporary directory.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

process.env.GIT_CONFIG_NOSYSTEM = '1';
process.env.GIT_CONFIG_GLOBAL = '/dev/null';
process.env.GIT_CEILING_DIRECTORIES = realpathSync(tmpdir());

/** True when git can be run; the git tests are skipped otherwise. */
export const hasGit = spawnSync('git', ['--version']).status === 0;

/** The reason to give node:test when git is missing. */
export const needsGit = hasGit ? false : 'git is not installed';

const PREFIX = join(realpathSync(tmpdir()), 'mx-agent-share-');

/** A fresh temporary directory for one test; `removeTemp` deletes it. */
export function tempDir(): string {
  return mkdtempSync(PREFIX);
}

/** Deletes a directory made by `tempDir` (and nothing else). */
export function removeTemp(dir: string): void {
  assert.ok(dir.startsWith(PREFIX), `not a temporary directory: ${dir}`);
  rmSync(dir, { recursive: true, force: true });
}

/** Runs git in `cwd`, which must be inside a temporary directory; returns stdout. */
export function git(cwd: string, ...args: string[]): string {
  assert.ok(cwd.startsWith(PREFIX), `not a temporary repository: ${cwd}`);
  const result = spawnSync('git', args, { cwd, encoding: 'utf8' });
  assert.equal(result.status, 0, `git ${args.join(' ')} failed: ${result.stderr}`);
  return result.stdout;
}

/** Writes files (path → content) under `dir`, making their directories. */
export function writeFiles(dir: string, files: Readonly<Record<string, string | Uint8Array>>) {
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), content);
  }
}

/** A repository in `dir` with `files` committed as its first commit; returns that commit. */
export function makeRepo(dir: string, files: Readonly<Record<string, string | Uint8Array>>) {
  git(dir, 'init', '-q', '-b', 'main');
  git(dir, 'config', 'user.email', 'dev@example.com');
  git(dir, 'config', 'user.name', 'Dev');
  writeFiles(dir, files);
  git(dir, 'add', '-A');
  git(dir, 'commit', '-qm', 'initial');
  return git(dir, 'rev-parse', 'HEAD').trim();
}
