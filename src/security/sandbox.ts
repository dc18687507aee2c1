/**
 * Whether this machine can sandbox a job with bubblewrap (design.md §6). Being installed is not
 * enough: kernels and containers may forbid the namespaces bwrap needs, so the probe runs it
 * once with the namespaces a job gets and remembers the answer.
 */
import { spawnSync } from 'node:child_process';
import { findOnPath } from './policy-paths.ts';
import { JOB_PATH } from './sandbox-argv.ts';

/** What the sandbox can be here: bubblewrap, or nothing and why. */
export type SandboxSupport =
  | { readonly kind: 'bubblewrap'; readonly path: string; readonly version: string }
  | { readonly kind: 'none'; readonly reason: string };

/** How to get bubblewrap, for messages that need it. */
export const BUBBLEWRAP_INSTALL_HINT =
  "install bubblewrap (apt-get install bubblewrap, dnf install bubblewrap, or your distribution's package)";

/** Where to look for bwrap; by default the worker's PATH and the usual system directories. */
export interface DetectSandboxOptions {
  readonly searchPath?: string;
}

const PROBE_TIMEOUT_MS = 5000;
const cache = new Map<string, SandboxSupport>();

/** Find bwrap and check that it can create a sandbox; cached per search path. */
export function detectSandbox(options: DetectSandboxOptions = {}): SandboxSupport {
  const searchPath = options.searchPath ?? `${process.env['PATH'] ?? ''}:${JOB_PATH}`;
  let support = cache.get(searchPath);
  if (support === undefined) {
    support = probe(searchPath);
    cache.set(searchPath, support);
  }
  return support;
}

function probe(searchPath: string): SandboxSupport {
  const path = findOnPath('bwrap', searchPath);
  if (path === undefined) {
    return { kind: 'none', reason: 'bubblewrap (bwrap) is not installed on this worker' };
  }
  const run = (args: string[]) =>
    spawnSync(path, args, {
      encoding: 'utf8',
      timeout: PROBE_TIMEOUT_MS,
      env: { PATH: JOB_PATH },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
  const test = run(['--unshare-all', '--die-with-parent', '--ro-bind', '/', '/', 'true']);
  if (test.error !== undefined || test.status !== 0) {
    const why =
      test.error?.message ??
      (test.stderr.trim().split('\n')[0] || `exit code ${String(test.status ?? test.signal)}`);
    return { kind: 'none', reason: `${path} cannot create a sandbox here: ${why}` };
  }
  const version = /(\d+(?:\.\d+)+)/.exec(run(['--version']).stdout)?.[1] ?? 'unknown';
  return { kind: 'bubblewrap', path, version };
}
