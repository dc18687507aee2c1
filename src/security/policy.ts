/**
 * `policy.toml`: which requesters may run what on this worker (design.md §6). Deny by default:
 * no file, no rule, or no rule that admits a request — denied.
 *
 * ```toml
 * [defaults]                 # every key optional; applies to each rule that does not set it
 * timeout = "10m"            # wall clock per job: "500ms", "30s", "5m", "1h30m"
 * max_output = "10MiB"       # stdout + stderr forwarded; beyond it the job is killed (B, KB, KiB, MB, MiB, GB, GiB)
 * max_concurrent = 2         # jobs at once on this worker, all requesters together
 * require_sandbox = true     # no bubblewrap → refuse (true) or run unsandboxed with a warning (false)
 * network = false            # the sandbox keeps the host network
 * requires_approval = false  # a person approves each job first
 * artifacts = false          # requests may bring files into the working directory and take files out
 * deny_args = ["^--inspect"] # added to every rule's own deny_args (never replaced by them)
 *
 * [[allow]]
 * requester = "agt-abcdefghijklmnop"     # or "SHA256:…" (signing key), "@bob:example.org", "bob@example.org"; or a list
 * workspace = "#ci:example.org"          # optional: only requests arriving through it (or a list)
 * commands = ["npm", "git", "/usr/bin/make"]
 * deny_args = ["^--unsafe-perm", "publish"]
 * cwd = ["~/src/app", "/srv/build"]      # and their subdirectories
 * env = ["NODE_ENV", "CI", "npm_config_*"]
 * tools = ["lint"]                       # [tools.NAME] tables it admits (policy-tools-schema.ts)
 * timeout = "5m"                         # any [defaults] key but deny_args may be set per rule;
 * max_concurrent = 1                     # here it counts the jobs this rule admitted
 * ```
 *
 * Rules are tried in order and the first one that admits the whole request decides (its limits
 * apply). Each rule is a complete grant on its own: a later rule can never loosen an earlier
 * one's deny_args or cwd, it can only grant something else. Commands and directories resolve
 * to real paths on this machine when the file is loaded; entries that do not resolve admit
 * nothing and are reported in `warnings`. Unknown keys and bad values are ConfigErrors naming
 * `file:line:column` and the key.
 */
import { readFileSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { parse, TomlError } from 'smol-toml';
import { ConfigError, messageOf } from '../errors.ts';
import { readPolicy } from './policy-schema.ts';
import { locateKeys } from './policy-source.ts';
import type { Policy } from './policy-types.ts';

/** Where a policy resolves names: the worker's own environment and home, unless given. */
export interface LoadPolicyOptions {
  /** The worker's environment; only PATH is read. Defaults to process.env. */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** What `~` means in `cwd`. Defaults to the user's home directory. */
  readonly home?: string;
}

/** Read, check and resolve `path`; a missing file is a policy that denies everything. */
export function loadPolicy(path: string, options: LoadPolicyOptions = {}): Policy {
  const searchPath = (options.env ?? process.env)['PATH'] ?? '';
  const text = readPolicyText(path);
  if (text === undefined) {
    const none = { maxConcurrent: 0, rules: [], tools: [], warnings: [] };
    return { path, missing: true, searchPath, ...none };
  }
  const content = readPolicy(
    parseToml(path, text),
    { file: path, positions: locateKeys(text) },
    { searchPath, home: options.home ?? homedir() },
  );
  return { path, missing: false, searchPath, ...content };
}

function readPolicyText(path: string): string | undefined {
  try {
    const mode = statSync(path).mode;
    // Whoever can write the policy can run anything here, like sshd's StrictModes.
    if ((mode & 0o022) !== 0) {
      throw new ConfigError(
        `${path}: the policy is writable by group or others (mode ${(mode & 0o777).toString(8)}): ` +
          `anyone who can edit it could run commands here; run chmod go-w ${path}`,
      );
    }
    return readFileSync(path, 'utf8');
  } catch (error) {
    if (error instanceof ConfigError) throw error;
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new ConfigError(`${path}: cannot read the policy: ${messageOf(error)}`, { cause: error });
  }
}

/** Parse TOML text; a syntax error is a ConfigError naming `path:line:column`. */
export function parseToml(path: string, text: string): Record<string, unknown> {
  try {
    return parse(text);
  } catch (error) {
    if (!(error instanceof TomlError)) throw error;
    const what = (error.message.split('\n')[0] ?? '').replace(/^Invalid TOML document: /, '');
    throw new ConfigError(
      `${path}:${String(error.line)}:${String(error.column)}: invalid TOML: ${what}`,
      { cause: error },
    );
  }
}
