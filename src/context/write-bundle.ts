import { chmod, mkdir, readdir, realpath, rm, writeFile } from 'node:fs/promises';
import { dirname, isAbsolute, join, relative } from 'node:path';
import { quote, RemoteFailureError, UsageError } from '../errors.ts';
import { decodeContent, type ContextBundle, type EnvironmentPart } from './bundle.ts';
import { sharedPathProblem } from './shared-paths.ts';

/**
 * A received bundle as files a person or an agent can read:
 *
 *     bundle.json     what the bundle says, without the contents (they are the files below)
 *     changes.patch   the git diff, for `git apply` (or applyBundle)
 *     files/<path>    each shared file, executable bit kept
 *     env.txt         the system line and the shared variables
 *     notes.md        the notes
 *
 * The directory is made 0700: it holds a colleague's work, which other users of this machine
 * have no reason to read, though everything in it was scrubbed. Inside, files are 0644 or 0755
 * as sent. Paths are checked again here, so a crafted bundle cannot write outside `files/`.
 */

/** Options of `writeBundle`. */
export interface WriteOptions {
  /** Write into a directory that is not empty (files of the same name are replaced). */
  readonly overwrite?: boolean;
}

/** Where a bundle was written, and the files written, relative to `dir`. */
export interface WrittenBundle {
  readonly dir: string;
  readonly written: readonly string[];
}

/** What bundle.json holds: the bundle, with references to the files instead of contents. */
function metadata(bundle: ContextBundle): object {
  const { git, files, ...rest } = bundle;
  return {
    ...rest,
    ...(git === undefined
      ? {}
      : {
          git: {
            ...git,
            diff: { encoding: git.diff.encoding, bytes: git.diff.bytes, file: 'changes.patch' },
          },
        }),
    files: files.map(({ content: _content, ...file }) => ({ ...file, file: `files/${file.path}` })),
  };
}

/** env.txt: a comment with the system, then `NAME=value` (JSON-quoted when multi-line). */
function envText(env: EnvironmentPart): string {
  const { os, arch, node, shell } = env.system;
  const system = `# system: ${os} ${arch}, node ${node}${shell === undefined ? '' : `, shell ${shell}`}`;
  const vars = Object.entries(env.vars).map(
    ([name, value]) => `${name}=${/[\r\n]/.test(value) ? JSON.stringify(value) : value}`,
  );
  return [system, ...vars, ''].join('\n');
}

/** True when `path` is `root` or below it. */
function within(root: string, path: string): boolean {
  const rel = relative(root, path);
  return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel));
}

/** Writes one shared file under `filesDir`, refusing any path or link that leads outside. */
export async function writeSharedFile(filesDir: string, path: string, bytes: Buffer, mode: number) {
  const problem = sharedPathProblem(path);
  if (problem !== undefined)
    throw new RemoteFailureError(`context bundle names a file it may not write: ${problem}`);
  const target = join(filesDir, ...path.split('/'));
  await mkdir(dirname(target), { recursive: true, mode: 0o755 });
  // A directory written over may hold links; the real parent must still be inside.
  if (!within(await realpath(filesDir), await realpath(dirname(target))))
    throw new UsageError(
      `${quote(dirname(target))} leads outside ${quote(filesDir)}: not writing there`,
    );
  // Replace, never write through: a link left at the target would lead elsewhere.
  await rm(target, { force: true });
  await writeFile(target, bytes, { mode, flag: 'wx' });
  await chmod(target, mode);
}

/**
 * Writes `bundle` into `dir` (created 0700 if absent). A directory that exists and is not empty
 * is a usage error unless `overwrite`.
 */
export async function writeBundle(
  bundle: ContextBundle,
  dir: string,
  options: WriteOptions = {},
): Promise<WrittenBundle> {
  const existing = await readdir(dir).catch((error: unknown) => {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  });
  if (existing.length > 0 && options.overwrite !== true)
    throw new UsageError(
      `${quote(dir)} is not empty: choose a new directory for context share ${bundle.id}, or overwrite it`,
    );
  await mkdir(dir, { recursive: true, mode: 0o700 });
  await chmod(dir, 0o700);
  const written: string[] = [];
  const put = async (name: string, data: string | Buffer) => {
    await rm(join(dir, name), { force: true });
    await writeFile(join(dir, name), data, { mode: 0o644, flag: 'wx' });
    written.push(name);
  };
  await put('bundle.json', `${JSON.stringify(metadata(bundle), null, 2)}\n`);
  if (bundle.git !== undefined)
    await put('changes.patch', decodeContent(bundle.git.diff.encoding, bundle.git.diff.data));
  for (const file of bundle.files) {
    const bytes = decodeContent(file.encoding, file.content);
    await writeSharedFile(join(dir, 'files'), file.path, bytes, file.mode);
    written.push(`files/${file.path}`);
  }
  if (bundle.env !== undefined) await put('env.txt', envText(bundle.env));
  if (bundle.notes !== undefined) await put('notes.md', bundle.notes);
  return { dir, written };
}
