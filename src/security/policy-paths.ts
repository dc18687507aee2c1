/**
 * Commands and directories as the worker sees them on its own machine. Every comparison is on
 * real paths (symlinks resolved), so `..`, a symlink and a second spelling of the same file all
 * compare as the file they reach.
 */
import { accessSync, constants, realpathSync, statSync } from 'node:fs';
import { delimiter, isAbsolute, join, relative, sep } from 'node:path';
import { messageOf } from '../errors.ts';

/**
 * The first executable regular file called `name` in the absolute directories of `searchPath`.
 * Relative and empty PATH entries (the current directory) are skipped: they would let whoever
 * controls the working directory choose the program.
 */
export function findOnPath(name: string, searchPath: string): string | undefined {
  for (const dir of searchPath.split(delimiter)) {
    if (!isAbsolute(dir)) continue;
    const candidate = join(dir, name);
    if (isExecutableFile(candidate)) return candidate;
  }
  return undefined;
}

/** True for an existing regular file (after symlinks) that this process may execute. */
export function isExecutableFile(path: string): boolean {
  try {
    if (!statSync(path).isFile()) return false;
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** The real path, or undefined when it does not exist. */
export function realPath(path: string): string | undefined {
  try {
    return realpathSync(path);
  } catch {
    return undefined;
  }
}

/** Where a command is and what it really is, or why it cannot be found. */
export type CommandLookup =
  | { readonly found: true; readonly path: string; readonly real: string }
  | { readonly found: false; readonly why: string };

/** Find a command written as a name (on `searchPath`) or as an absolute path. */
export function lookUpCommand(command: string, searchPath: string): CommandLookup {
  if (command === '') return { found: false, why: 'the command is empty' };
  if (command.includes('\0')) return { found: false, why: 'the command contains a NUL character' };
  if (!command.includes('/')) {
    const path = findOnPath(command, searchPath);
    if (path === undefined) {
      return { found: false, why: `${command} is not an executable on this worker's PATH` };
    }
    return withReal(path);
  }
  if (!isAbsolute(command)) {
    return {
      found: false,
      why: `${command} is a relative path; name a command or an absolute path`,
    };
  }
  if (!isExecutableFile(command)) {
    return { found: false, why: `${command} is not an executable file on this worker` };
  }
  return withReal(command);
}

function withReal(path: string): CommandLookup {
  const real = realPath(path);
  return real === undefined
    ? { found: false, why: `${path} cannot be resolved` }
    : { found: true, path, real };
}

/** True when `dir` is one of the absolute directories on `searchPath`. */
export function isOnPath(dir: string, searchPath: string): boolean {
  return searchPath.split(delimiter).some((entry) => isAbsolute(entry) && entry === dir);
}

/** `~` and `~/…` with the worker's home; other paths unchanged. */
export function expandHome(path: string, home: string): string {
  if (path === '~') return home;
  return path.startsWith('~/') ? join(home, path.slice(2)) : path;
}

/** An existing directory's real path, or why it is not one. */
export function resolveDirectory(
  path: string,
): { readonly real: string } | { readonly why: string } {
  if (path.includes('\0')) return { why: 'it contains a NUL character' };
  try {
    const real = realpathSync(path);
    if (!statSync(real).isDirectory()) return { why: 'it is not a directory' };
    return { real };
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return { why: code === 'ENOENT' ? 'it does not exist' : messageOf(error) };
  }
}

/** True when real path `child` is `parent` or inside it. */
export function isWithin(parent: string, child: string): boolean {
  const rel = relative(parent, child);
  return rel === '' || (!rel.startsWith(`..${sep}`) && rel !== '..' && !isAbsolute(rel));
}
