import { execFile, type ExecFileException } from 'node:child_process';
import { InternalError, UsageError } from '../errors.ts';

/**
 * Git as a subprocess (execFile, never a shell), addressed by its working directory alone.
 * Variables that would point git at another repository or index are dropped from the inherited
 * environment, so a share started from inside a git hook still describes the directory it was
 * given; `GIT_OPTIONAL_LOCKS=0` keeps `git status` from refreshing (rewriting) the user's index;
 * `LC_ALL=C` keeps the messages we parse in English.
 */

/** Most output one git command may produce: also the largest diff a bundle can carry. */
export const MAX_GIT_OUTPUT = 256 * 1024 * 1024;

const REDIRECTING = [
  'GIT_DIR',
  'GIT_WORK_TREE',
  'GIT_INDEX_FILE',
  'GIT_COMMON_DIR',
  'GIT_OBJECT_DIRECTORY',
  'GIT_ALTERNATE_OBJECT_DIRECTORIES',
  'GIT_NAMESPACE',
  'GIT_PREFIX',
];

/** How to run one git command. */
export interface GitOptions {
  readonly cwd: string;
  /** A temporary index file to use instead of the repository's own. */
  readonly index?: string;
  /** Exit codes other than 0 that are answers, not failures (`cat-file -e` says 1 for "no"). */
  readonly accept?: readonly number[];
}

/** What git printed, and how it exited. */
export interface GitResult {
  readonly stdout: Buffer;
  readonly stderr: string;
  readonly code: number;
}

/** The environment git runs in: the caller's, minus redirections, plus our settings. */
function gitEnvironment(index: string | undefined): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, GIT_OPTIONAL_LOCKS: '0', LC_ALL: 'C' };
  for (const name of REDIRECTING) env[name] = undefined;
  if (index !== undefined) env.GIT_INDEX_FILE = index;
  return Object.fromEntries(Object.entries(env).filter(([, value]) => value !== undefined));
}

/** Runs `git args` in `options.cwd`; a failure the caller did not accept throws with git's words. */
export function runGit(args: readonly string[], options: GitOptions): Promise<GitResult> {
  return new Promise((resolve, reject) => {
    execFile(
      'git',
      args,
      {
        cwd: options.cwd,
        env: gitEnvironment(options.index),
        encoding: 'buffer',
        maxBuffer: MAX_GIT_OUTPUT,
      },
      (error, stdout, stderr) => {
        const text = stderr.toString('utf8').trim();
        if (error === null) {
          resolve({ stdout, stderr: text, code: 0 });
          return;
        }
        const code = typeof error.code === 'number' ? error.code : undefined;
        if (code !== undefined && options.accept?.includes(code) === true) {
          resolve({ stdout, stderr: text, code });
          return;
        }
        reject(gitFailure(args, options.cwd, error, text));
      },
    );
  });
}

/** Runs git and returns its standard output as text, without the final newline. */
export async function gitText(args: readonly string[], options: GitOptions): Promise<string> {
  const { stdout } = await runGit(args, options);
  return stdout.toString('utf8').replace(/\n$/, '');
}

/** The error for a git command that could not run or failed. */
function gitFailure(
  args: readonly string[],
  cwd: string,
  error: ExecFileException,
  stderr: string,
): Error {
  if (error.code === 'ENOENT' && error.path === 'git')
    return new UsageError('git is not installed or not on PATH: sharing git changes needs it');
  if (error.code === 'ERR_CHILD_PROCESS_STDIO_MAXBUFFER')
    return new UsageError(
      `git ${args[0] ?? ''} printed more than ${String(MAX_GIT_OUTPUT / 1024 / 1024)} MiB in ${cwd}: the changes are too large to share; commit part of them or choose a nearer --base`,
    );
  const said = stderr === '' ? error.message : stderr.split('\n').slice(0, 6).join('\n');
  return new InternalError(`git ${args.join(' ')} failed in ${cwd}: ${said}`, { cause: error });
}
