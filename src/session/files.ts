/**
 * Where a profile's session host keeps its files. The lock, the log and the undelivered inbox
 * live in `<data>/sessions/`; the lock names the socket, so a client finds the host through the
 * lock wherever the socket is. The socket goes under `$XDG_RUNTIME_DIR/mx-agent/` when that is
 * set, else beside the lock, and to a short path in the temp directory when either would
 * exceed what a Unix socket address can hold (108 bytes on Linux, 104 on macOS).
 */
import { createHash } from 'node:crypto';
import { chmodSync, lstatSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';
import type { Paths } from '../config/paths.ts';
import { ConfigError } from '../errors.ts';

/** The longest socket path we use, in bytes: the smallest platform limit, minus the NUL. */
export const MAX_SOCKET_PATH_BYTES = 103;

/** The files of one profile's session host. */
export interface SessionFiles {
  readonly profile: string;
  /** `<data>/sessions`, mode 0700. */
  readonly dir: string;
  readonly lock: string;
  readonly log: string;
  /** Direct messages that arrived while no command listened, kept for the next listener. */
  readonly inbox: string;
  readonly socket: string;
}

/** The files for `profile` (nothing is created). */
export function sessionFiles(
  profile: string,
  paths: Pick<Paths, 'data'>,
  env: NodeJS.ProcessEnv = process.env,
): SessionFiles {
  const data = resolve(paths.data);
  const dir = join(data, 'sessions');
  const name = fileName(profile);
  // The crypto store is per (data directory, profile): that pair is what one host owns.
  const key = createHash('sha256').update(`${data}\u0000${profile}`).digest('hex');
  const runtime = env.XDG_RUNTIME_DIR;
  const candidates = [
    ...(runtime && isAbsolute(runtime)
      ? [join(runtime, 'mx-agent', `${name}-${key.slice(0, 12)}.sock`)]
      : []),
    join(dir, `${name}.sock`),
  ];
  const fits = (path: string): boolean => Buffer.byteLength(path) <= MAX_SOCKET_PATH_BYTES;
  const socket = candidates.find(fits) ?? join(shortSocketDir(), `${key.slice(0, 24)}.sock`);
  return {
    profile,
    dir,
    lock: join(dir, `${name}.lock`),
    log: join(dir, `${name}.log`),
    inbox: join(dir, `${name}.inbox.jsonl`),
    socket,
  };
}

/** `<tmp>/mx-agent-<uid>`, or `/tmp/…` when the temp directory's own path is long. */
export function shortSocketDir(): string {
  const uid = String(process.getuid?.() ?? 0);
  const tmp = tmpdir();
  return join(Buffer.byteLength(tmp) <= 40 ? tmp : '/tmp', `mx-agent-${uid}`);
}

/** Profile names are already file-safe (config/profile.ts); a hand-edited one is made so. */
function fileName(profile: string): string {
  const safe = profile.replace(/[^A-Za-z0-9@._-]/g, '_').replace(/^\.+/, '_');
  return safe.slice(0, 64) || '_';
}

/**
 * Create a private directory if needed and check it is safe to put a socket or a lock in: a
 * real directory (not a symlink) owned by this user and closed to everyone else. Our own
 * directory with loose permissions is tightened; anyone else's is refused.
 */
export function ensureSafeDir(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const stat = lstatSync(dir);
  const uid = process.getuid?.();
  if (!stat.isDirectory())
    throw new ConfigError(
      `expected ${dir} to be a directory for the session host, but it is a symlink or a file; remove it`,
    );
  if (uid !== undefined && stat.uid !== uid)
    throw new ConfigError(
      `refusing to use ${dir} for the session host: it belongs to uid ${String(stat.uid)}, not to you (uid ${String(uid)})`,
    );
  if ((stat.mode & 0o077) !== 0) chmodSync(dir, 0o700);
}
