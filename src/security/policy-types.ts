/**
 * The shapes of a loaded `policy.toml` and of a decision about one request. The file format is
 * described in policy.ts; this module holds types only, so every part of the policy can share
 * them without depending on each other.
 */

/** Caps and switches that apply to a job a rule admits. */
export interface PolicyLimits {
  /** Wall-clock time before the job's process group is killed. */
  readonly timeoutMs: number;
  /** Bytes of stdout + stderr forwarded before the job is killed. */
  readonly maxOutputBytes: number;
  /** Whether the sandbox keeps the host network (false: a network namespace of its own). */
  readonly network: boolean;
  /** Refuse to run when no sandbox is available (true), or run unsandboxed with a warning. */
  readonly requireSandbox: boolean;
  /** A person must approve each job before it runs. */
  readonly requiresApproval: boolean;
  /** Requests may bring files into the working directory and take files out (artifacts). */
  readonly artifacts: boolean;
  /** Jobs at once admitted by this rule. */
  readonly maxConcurrent: number;
}

/** A command as the policy names it and as the worker resolved it when the policy was loaded. */
export interface AllowedCommand {
  /** As written in the policy: a name looked up on the worker's PATH, or an absolute path. */
  readonly written: string;
  /** Where the worker found it (the PATH hit, or the absolute path as written). */
  readonly path: string;
  /** The file itself: `path` with every symlink resolved. */
  readonly real: string;
}

/** A working directory a rule allows, with its subdirectories. */
export interface AllowedDirectory {
  /** As written in the policy (`~/src/app`). */
  readonly written: string;
  /** Real path on this worker, resolved when the policy was loaded. */
  readonly real: string;
}

/** One `[[allow]]` table. */
export interface PolicyRule {
  /** Position in the file's `allow` list, from 0: `allow[0]`. */
  readonly index: number;
  /** Line of its `[[allow]]` header, for messages. */
  readonly line?: number;
  /** Agent ids, key fingerprints and addresses (normalised) this rule is for. */
  readonly requesters: readonly string[];
  /** Workspaces a request must arrive through; absent: any, including direct messages. */
  readonly workspaces?: readonly string[];
  /** Commands that resolved; entries that did not resolve are in Policy.warnings. */
  readonly commands: readonly AllowedCommand[];
  /** Any argument matching one of these is denied ([defaults] deny_args included). */
  readonly denyArgs: readonly RegExp[];
  /** Directories that resolved; entries that did not are in Policy.warnings. */
  readonly cwds: readonly AllowedDirectory[];
  /** Environment names a request may set: exact names, or prefixes written `NAME*`. */
  readonly env: readonly string[];
  /** Names of the `[tools.NAME]` this rule admits (policy-tools.ts). */
  readonly tools: readonly string[];
  readonly limits: PolicyLimits;
}

/** A loaded policy. */
export interface Policy {
  /** The file it came from (or would have). */
  readonly path: string;
  /** True when no file exists: every request is denied. */
  readonly missing: boolean;
  /** The worker's PATH, on which commands (the policy's and the requests') are looked up. */
  readonly searchPath: string;
  /** The worker-wide cap: jobs at once on this worker, all requesters together. */
  readonly maxConcurrent: number;
  readonly rules: readonly PolicyRule[];
  /** The `[tools.NAME]` tables whose command and directory resolved, in file order. */
  readonly tools: readonly PolicyTool[];
  /** Entries that could not be resolved on this machine and so admit nothing. */
  readonly warnings: readonly string[];
}

/** Who asks, as the verified request and the trust store establish it. */
export interface Requester {
  /** The agent id the signing key is trusted for. */
  readonly agent: string;
  /** Fingerprint of the signing key, `SHA256:…`. */
  readonly fingerprint: string;
  /** The transport address the request came from (`@bob:example.org`, `bob@example.org/x`). */
  readonly address: string;
}

/** A request to run one command, as the worker received it. */
export interface JobRequest {
  readonly requester: Requester;
  /** The workspace it arrived through; absent for a direct message. */
  readonly workspace?: string;
  /** A command name (looked up on the worker's PATH) or an absolute path. */
  readonly command: string;
  readonly args: readonly string[];
  /** An absolute directory on the worker. */
  readonly cwd: string;
  /** Variables the requester asks for; the job gets these and nothing else from anywhere. */
  readonly env: Readonly<Record<string, string>>;
  /**
   * Set when the request calls this `[tools.NAME]`: command, args and cwd are then the tool's,
   * and a rule admits it by listing the tool instead of by its commands and directories.
   */
  readonly tool?: string;
  /** Set when the request brings artifacts in or takes them out: the rule must allow it. */
  readonly artifacts?: boolean;
}

/** What the worker runs once a request is admitted. */
export interface ResolvedJob {
  /** Absolute real path of the executable. */
  readonly command: string;
  /** Its arguments, exactly as they will be passed. */
  readonly args: readonly string[];
  /** Real path of the working directory. */
  readonly cwd: string;
  /** The requested environment, every name of which the rule allows. */
  readonly env: Readonly<Record<string, string>>;
}

/** The answer to one request. */
export interface PolicyDecision {
  readonly allowed: boolean;
  /** Index of the rule that admitted the request. */
  readonly rule?: number;
  /** Why it was allowed, or every reason it was denied, as sentences. */
  readonly reasons: readonly string[];
  readonly limits?: PolicyLimits;
  readonly resolved?: ResolvedJob;
}

/** Jobs running now, for the concurrency caps. */
export interface RunningJobs {
  /** Jobs running on this worker, all requesters together. */
  readonly running?: number;
  /**
   * Jobs running per admitting rule index. When absent, `running` stands in for every rule's
   * count: never more than the total, so a cap can only be enforced too early, never too late.
   */
  readonly runningByRule?: readonly number[];
}

/** One input of a tool: what a requester's `with` value must be. */
export interface ToolInput {
  readonly type: 'string' | 'integer' | 'boolean';
  /** The pattern as written; a string value must match all of it. */
  readonly pattern?: string;
  readonly required: boolean;
  readonly default?: string | number | boolean;
  readonly description?: string;
}

/** A `[tools.NAME]` table: a fixed command line with holes the requester's inputs fill. */
export interface PolicyTool {
  readonly name: string;
  readonly description?: string;
  /** The command as written and resolved, like a rule's commands. */
  readonly command: AllowedCommand;
  /** Templates, one argument each: `{input}` is replaced, `{{` and `}}` are braces. */
  readonly args: readonly string[];
  readonly cwd: AllowedDirectory;
  /** By input name, in file order. */
  readonly inputs: Readonly<Record<string, ToolInput>>;
}
