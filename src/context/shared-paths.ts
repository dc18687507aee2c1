import { glob, lstat, realpath, stat } from 'node:fs/promises';
import { isAbsolute, relative, resolve, sep } from 'node:path';
import { quote, UsageError } from '../errors.ts';

/**
 * Which files `--files` names, and which paths a bundle may carry. Shared files stay inside the
 * directory they are shared from: a glob that reaches outside it (`../x`, `/etc/passwd`, a
 * symlink pointing out) is refused rather than skipped, since the user asked for something
 * that will not be sent. On the receiving side a path is checked again before anything is
 * written, so a crafted bundle cannot write outside its directory.
 */

/** One file a glob named: its path relative to the directory, POSIX-style, and where it is. */
export interface NamedFile {
  readonly path: string;
  readonly absolute: string;
}

/** True when `path` (relative) climbs out of where it is relative to. */
function escapes(path: string): boolean {
  return path === '..' || path.startsWith(`..${sep}`) || isAbsolute(path);
}

/** The regular file at `absolute`, checked to be inside `realCwd` once symlinks are followed. */
async function insideFile(
  absolute: string,
  realCwd: string,
  pattern: string,
): Promise<string | undefined> {
  // A dangling link is no file to send.
  const real = await realpath(absolute).catch(() => undefined);
  if (real === undefined) return undefined;
  if (escapes(relative(realCwd, real)))
    throw new UsageError(
      `--files ${quote(pattern)} names ${quote(absolute)}, a link to ${quote(real)} outside the directory being shared: only files under it can be shared`,
    );
  // Directories are walked by the glob itself; sockets, FIFOs and devices are no files to send.
  return (await stat(real)).isFile() ? real : undefined;
}

/**
 * The files `patterns` name under `cwd` (node:fs glob syntax: `*`, `**`, `{a,b}`; `*` and `**`
 * do not match names starting with a dot, so `.env` is shared only when named), each once, in
 * the order first named (a pattern's own matches sorted). Usage errors: a pattern reaching outside `cwd`, one matching no file.
 */
export async function expandGlobs(cwd: string, patterns: readonly string[]): Promise<NamedFile[]> {
  const realCwd = await realpath(cwd);
  const found = new Map<string, NamedFile>();
  for (const pattern of patterns) {
    let matched = 0;
    let directories = 0;
    // Sorted: directory order differs between file systems, and the bundle should not.
    const matches: string[] = [];
    for await (const match of glob(pattern, { cwd })) matches.push(match);
    matches.sort();
    for (const match of matches) {
      const absolute = resolve(cwd, match);
      const path = relative(cwd, absolute);
      if (escapes(path) || path === '')
        throw new UsageError(
          `--files ${quote(pattern)} names ${quote(match)}, outside the directory being shared (${cwd}): only files under it can be shared`,
        );
      if ((await lstat(absolute)).isDirectory()) {
        directories++;
        continue;
      }
      if ((await insideFile(absolute, realCwd, pattern)) === undefined) continue;
      matched++;
      const posixPath = path.split(sep).join('/');
      if (!found.has(posixPath)) found.set(posixPath, { path: posixPath, absolute });
    }
    if (matched === 0)
      throw new UsageError(
        `--files ${quote(pattern)} matched no file${directories > 0 ? ` (only directories: use "${pattern.replace(/\/$/, '')}/**" for the files under one)` : ''}`,
      );
  }
  return [...found.values()];
}

/**
 * What is wrong with `path` as the place of a shared file in a bundle, or nothing: it must be
 * relative, POSIX, and stay inside (no `..`, `.` or empty part, no backslash, NUL or drive).
 */
export function sharedPathProblem(path: string): string | undefined {
  if (path === '') return 'expected a relative path, got an empty one';
  if (path.startsWith('/') || /^[A-Za-z]:/.test(path))
    return `expected a relative path, got ${quote(path)}`;
  if (/[\\\0]/.test(path))
    return `expected a POSIX path without backslashes or NUL, got ${quote(path)}`;
  if (path.split('/').some((part) => part === '' || part === '.' || part === '..'))
    return `expected a path without empty, "." or ".." parts, got ${quote(path)}`;
  return undefined;
}
