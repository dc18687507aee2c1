/**
 * The bubblewrap command line for one job. The sandbox starts empty and gets only what a job
 * needs: the system read-only (/usr, /bin, /lib*, /etc), fresh /dev, /proc and /tmp, and the
 * working directory writable. Binding `/` read-only instead would be simpler but would let a
 * job read the worker's home — its signing key, its access token, ssh keys — and send them back
 * as output; an allowlist of system directories cannot leak what it never mounts.
 */
import { lstatSync, readdirSync, readlinkSync, realpathSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** The PATH every job gets, sandboxed or not; never inherited from the worker or a request. */
export const JOB_PATH = '/usr/local/bin:/usr/bin:/bin:/usr/local/sbin:/usr/sbin:/sbin';

/** HOME inside the sandbox: on the sandbox's own /tmp, gone when the job ends. */
export const SANDBOX_HOME = '/tmp/home';

/** What to sandbox and how. */
export interface SandboxSpec {
  /** Absolute path of the executable. */
  readonly command: string;
  readonly args: readonly string[];
  /** Working directory (also made writable when listed in `writable`). */
  readonly cwd: string;
  /** The job's whole environment; PATH and HOME are set by the sandbox. */
  readonly env: Readonly<Record<string, string>>;
  /** Keep the host network; otherwise the job has a network namespace of its own. */
  readonly network: boolean;
  /** Directories bound read-write at their own path. */
  readonly writable: readonly string[];
  /** More directories bound read-only at their own path. */
  readonly readOnly?: readonly string[];
}

/** Host directories every sandbox sees, read-only. */
export const SYSTEM_DIRS: readonly string[] = [
  '/usr',
  '/bin',
  '/sbin',
  '/lib',
  '/lib32',
  '/lib64',
  '/libx32',
  '/etc',
];
/** Secrets under /etc a job has no business reading, hidden behind /dev/null or an empty tmpfs. */
const SECRET_FILES = ['/etc/shadow', '/etc/shadow-', '/etc/gshadow', '/etc/gshadow-'];
const SECRET_DIRS = ['/etc/ssl/private'];

/** bwrap options and the command: `bwrap ...sandboxArgv(spec)`. */
export function sandboxArgv(spec: SandboxSpec): string[] {
  return [...sandboxOptions(spec), '--', spec.command, ...spec.args];
}

/**
 * The bwrap options alone (everything before `--`). They may hold environment values, so the
 * job runner passes them through a pipe (`--args FD`) rather than the command line, which
 * every user of the machine can read in /proc.
 */
export function sandboxOptions(spec: SandboxSpec): string[] {
  const env = Object.entries(spec.env).filter(([name]) => name !== 'PATH' && name !== 'HOME');
  return [
    '--unshare-all',
    ...(spec.network ? ['--share-net'] : []),
    '--die-with-parent',
    '--new-session',
    '--cap-drop',
    'ALL',
    ...SYSTEM_DIRS.flatMap(systemEntry),
    ...hideSecrets(),
    ...(spec.network ? resolverConfig() : []),
    ...['--dev', '/dev', '--proc', '/proc', '--tmpfs', '/tmp', '--dir', SANDBOX_HOME],
    ...(spec.readOnly ?? []).flatMap((dir) => ['--ro-bind', dir, dir]),
    ...spec.writable.flatMap((dir) => ['--bind', dir, dir]),
    ...['--chdir', spec.cwd, '--clearenv'],
    ...env.flatMap(([name, value]) => ['--setenv', name, value]),
    ...['--setenv', 'PATH', JOB_PATH, '--setenv', 'HOME', SANDBOX_HOME],
  ];
}

/** A system directory as the host has it: bound read-only, or the same symlink (merged /usr). */
function systemEntry(path: string): string[] {
  try {
    const stat = lstatSync(path);
    if (stat.isSymbolicLink()) return ['--symlink', readlinkSync(path), path];
    return stat.isDirectory() ? ['--ro-bind', path, path] : [];
  } catch {
    return [];
  }
}

function hideSecrets(): string[] {
  const files = [...SECRET_FILES, ...sshHostKeys()].filter(isFile);
  const dirs = SECRET_DIRS.filter(isDirectory);
  return [
    ...files.flatMap((file) => ['--ro-bind', '/dev/null', file]),
    ...dirs.flatMap((dir) => ['--tmpfs', dir, '--remount-ro', dir]),
  ];
}

/** The ssh host private keys (`/etc/ssh/ssh_host_*_key`). */
function sshHostKeys(): string[] {
  try {
    return readdirSync('/etc/ssh')
      .filter((name) => name.endsWith('_key'))
      .map((name) => join('/etc/ssh', name));
  } catch {
    return [];
  }
}

/** /etc/resolv.conf often links outside /etc (systemd-resolved); bind where it leads. */
function resolverConfig(): string[] {
  try {
    const real = realpathSync('/etc/resolv.conf');
    return real.startsWith('/etc/') ? [] : ['--ro-bind', dirname(real), dirname(real)];
  } catch {
    return [];
  }
}

function isFile(path: string): boolean {
  try {
    return lstatSync(path).isFile();
  } catch {
    return false;
  }
}

function isDirectory(path: string): boolean {
  try {
    return lstatSync(path).isDirectory();
  } catch {
    return false;
  }
}
