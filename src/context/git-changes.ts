import { isKeyMaterialName, secretKindIn } from './content-secrets.ts';
import { runGit } from './git-command.ts';
import { scrubText } from './scrub-text.ts';
import type { WithheldFile } from './withheld.ts';

/**
 * The files a diff would carry, read from `git diff --raw` and `--numstat` on the temporary
 * index (git-index.ts), and which of them must stay out: key material by name, and binary
 * files whose old or new content holds a secret (a binary patch carries both sides whole).
 */

/** One changed file: its old and new path (the same unless renamed) and blob ids. */
export interface ChangedFile {
  readonly oldPath: string;
  readonly newPath: string;
  readonly oldBlob: string;
  readonly newBlob: string;
  /** git shows it as binary (numstat `-`), so the patch carries it base85-encoded. */
  readonly binary: boolean;
  readonly insertions: number;
  readonly deletions: number;
}

/** Files changed, lines inserted and deleted. */
export interface DiffStat {
  readonly files: number;
  readonly insertions: number;
  readonly deletions: number;
}

/** Where the diff runs: the repository root, the temporary index, the base commit. */
export interface DiffScope {
  readonly root: string;
  readonly index: string;
  readonly base: string;
  /** Paths left out of the diff. */
  readonly excluded?: readonly string[];
}

/** The pathspec of the whole tree minus `excluded`, each taken literally (no glob). */
export function pathspec(excluded: readonly string[] = []): string[] {
  return ['.', ...excluded.map((path) => `:(exclude,literal)${path}`)];
}

/** `git diff --cached` of the temporary index against base, with rename detection. */
async function cachedDiff(scope: DiffScope, options: readonly string[]): Promise<string[]> {
  const args = [
    'diff',
    '--cached',
    '-M',
    '-z',
    '--no-ext-diff',
    ...options,
    scope.base,
    '--',
    ...pathspec(scope.excluded),
  ];
  const { stdout } = await runGit(args, { cwd: scope.root, index: scope.index });
  const fields = stdout.toString('utf8').split('\0');
  if (fields.at(-1) === '') fields.pop();
  return fields;
}

/** `--numstat -z`: "added\tdeleted\tpath", or "added\tdeleted\t" then old and new path. */
function parseNumstat(fields: readonly string[]): Map<string, [string, string]> {
  const counts = new Map<string, [string, string]>();
  for (let i = 0; i < fields.length; i++) {
    const [added = '', deleted = '', path = ''] = (fields[i] ?? '').split('\t');
    const key = path === '' ? fields[(i += 2)] : path;
    counts.set(key ?? '', [added, deleted]);
  }
  return counts;
}

/** Every file changed between base and the temporary index. */
export async function changedFiles(scope: DiffScope): Promise<ChangedFile[]> {
  const raw = await cachedDiff(scope, ['--raw', '--no-abbrev']);
  const counts = parseNumstat(await cachedDiff(scope, ['--numstat']));
  const files: ChangedFile[] = [];
  for (let i = 0; i < raw.length; i++) {
    // ":oldmode newmode oldblob newblob status", then one path, or two for a rename or copy.
    const [, , oldBlob = '', newBlob = '', status = ''] = (raw[i] ?? '').slice(1).split(' ');
    const oldPath = raw[++i] ?? '';
    const newPath = /^[RC]/.test(status) ? (raw[++i] ?? '') : oldPath;
    const [added, deleted] = counts.get(newPath) ?? ['0', '0'];
    files.push({
      oldPath,
      newPath,
      oldBlob,
      newBlob,
      binary: added === '-',
      insertions: Number(added) || 0,
      deletions: Number(deleted) || 0,
    });
  }
  return files;
}

/** The totals `git diff --stat` would print for `files`. */
export function diffStat(files: readonly ChangedFile[]): DiffStat {
  return {
    files: files.length,
    insertions: files.reduce((sum, file) => sum + file.insertions, 0),
    deletions: files.reduce((sum, file) => sum + file.deletions, 0),
  };
}

const NO_BLOB = /^0+$/;

/** The secret kind in a blob, if any (a missing side, all zeros, holds none). */
async function blobSecret(scope: DiffScope, blob: string) {
  if (blob === '' || NO_BLOB.test(blob)) return undefined;
  const { stdout } = await runGit(['cat-file', 'blob', blob], { cwd: scope.root });
  return secretKindIn(stdout);
}

/**
 * The files to leave out of the diff, each recorded once under its new path (scrubbed: a name
 * can hold a token too). Both paths of a rename go, so neither side reappears as an add or a
 * delete carrying the content.
 */
export async function filesToWithhold(
  scope: DiffScope,
  files: readonly ChangedFile[],
): Promise<{ paths: string[]; withheld: WithheldFile[] }> {
  const paths: string[] = [];
  const withheld: WithheldFile[] = [];
  for (const file of files) {
    const path = scrubText(file.newPath).text;
    let entry: WithheldFile | undefined;
    if (isKeyMaterialName(file.oldPath) || isKeyMaterialName(file.newPath))
      entry = { type: 'withheld-file', source: 'diff', path, reason: 'key-material' };
    else if (file.binary) {
      const kind =
        (await blobSecret(scope, file.newBlob)) ?? (await blobSecret(scope, file.oldBlob));
      if (kind !== undefined)
        entry = { type: 'withheld-file', source: 'diff', path, reason: 'secret-in-binary', kind };
    }
    if (entry === undefined) continue;
    withheld.push(entry);
    paths.push(...new Set([file.oldPath, file.newPath]));
  }
  return { paths, withheld };
}
