/**
 * Deciding one request against a loaded policy. Everything is resolved on the worker's own
 * machine: the command on the worker's PATH (never the requester's), the working directory to
 * its real path. Rules are tried in order; the first that admits the whole request decides, and
 * a denial lists every reason each rule for this requester gave.
 */
import { dirname, isAbsolute } from 'node:path';
import { quote } from '../errors.ts';
import { isEnvName, isForbiddenEnv, matchesEnvPattern } from './policy-env.ts';
import {
  isOnPath,
  isWithin,
  lookUpCommand,
  resolveDirectory,
  type CommandLookup,
} from './policy-paths.ts';
import { describeRequester, matchesRequester, normalizeIdentity } from './policy-requester.ts';
import type {
  JobRequest,
  Policy,
  PolicyDecision,
  PolicyRule,
  RunningJobs,
} from './policy-types.ts';

/** What the worker made of the request before looking at any rule. */
interface Resolution {
  readonly command: CommandLookup;
  readonly cwd?: string;
  /** Faults of the request itself: no rule can admit it while any remains. */
  readonly faults: readonly string[];
}

/** Decide whether `request` may run under `policy`, with `jobs` running now. */
export function evaluatePolicy(
  policy: Policy,
  request: JobRequest,
  jobs: RunningJobs = {},
): PolicyDecision {
  if (policy.missing) {
    return denied([`there is no policy file at ${policy.path}, so every request is denied`]);
  }
  const resolution = resolveRequest(policy, request);
  const reasons = [...resolution.faults];
  const rules = policy.rules.filter((rule) => matchesRequester(rule.requesters, request.requester));
  if (rules.length === 0) {
    reasons.push(`no rule in ${policy.path} is for ${describeRequester(request.requester)}`);
    return denied(reasons);
  }
  for (const rule of rules) {
    const misses = [...ruleMisses(policy, rule, request, resolution)];
    if (misses.length === 0 && resolution.faults.length === 0) {
      const running = jobs.runningByRule?.[rule.index] ?? jobs.running ?? 0;
      if (running >= rule.limits.maxConcurrent) {
        misses.push(
          `${jobsCount(running)} it admitted ${running === 1 ? 'is' : 'are'} running (max_concurrent = ${String(rule.limits.maxConcurrent)}); try again when one finishes`,
        );
      }
    }
    if (misses.length > 0) {
      reasons.push(...misses.map((miss) => `${label(rule)}: ${miss}`));
      continue;
    }
    if (resolution.faults.length > 0) continue;
    const total = jobs.running ?? 0;
    if (total >= policy.maxConcurrent) {
      reasons.push(
        `${jobsCount(total)} ${total === 1 ? 'is' : 'are'} running on this worker (max_concurrent = ${String(policy.maxConcurrent)} in [defaults]); try again when one finishes`,
      );
      return denied(reasons);
    }
    return admitted(rule, request, resolution);
  }
  return denied(reasons);
}

function denied(reasons: string[]): PolicyDecision {
  return { allowed: false, reasons };
}

function admitted(rule: PolicyRule, request: JobRequest, resolution: Resolution): PolicyDecision {
  const command = resolution.command.found ? resolution.command.real : '';
  const cwd = resolution.cwd ?? '';
  const what = request.tool === undefined ? 'run' : `use tool ${request.tool}, which runs`;
  return {
    allowed: true,
    rule: rule.index,
    reasons: [`${label(rule)} admits ${request.requester.agent} to ${what} ${command} in ${cwd}`],
    limits: rule.limits,
    resolved: { command, args: [...request.args], cwd, env: { ...request.env } },
  };
}

function jobsCount(count: number): string {
  return count === 1 ? '1 job' : `${String(count)} jobs`;
}

/** `allow[1] (line 14)`. */
function label(rule: PolicyRule): string {
  const name = `allow[${String(rule.index)}]`;
  return rule.line === undefined ? name : `${name} (line ${String(rule.line)})`;
}

function resolveRequest(policy: Policy, request: JobRequest): Resolution {
  const faults: string[] = [];
  const command = lookUpCommand(request.command, policy.searchPath);
  if (!command.found) faults.push(`command: ${command.why}`);
  request.args.forEach((arg, i) => {
    if (arg.includes('\0')) faults.push(`argument ${String(i + 1)} contains a NUL character`);
  });
  let cwd: string | undefined;
  if (!isAbsolute(request.cwd)) {
    faults.push(`cwd ${quote(request.cwd)} is relative: a request must name an absolute directory`);
  } else {
    const dir = resolveDirectory(request.cwd);
    if ('real' in dir) cwd = dir.real;
    else faults.push(`cwd ${request.cwd}: ${dir.why} on this worker`);
  }
  for (const [name, value] of Object.entries(request.env)) {
    if (!isEnvName(name)) faults.push(`env: ${quote(name)} is not a variable name`);
    else if (isForbiddenEnv(name)) {
      faults.push(`env: ${name} can never be set by a request, whatever the policy says`);
    } else if (value.includes('\0')) faults.push(`env: ${name} contains a NUL character`);
  }
  return { command, ...(cwd === undefined ? {} : { cwd }), faults };
}

function* ruleMisses(
  policy: Policy,
  rule: PolicyRule,
  request: JobRequest,
  resolution: Resolution,
): Generator<string> {
  if (rule.workspaces !== undefined) {
    const from = request.workspace === undefined ? undefined : normalizeIdentity(request.workspace);
    if (from === undefined || !rule.workspaces.includes(from)) {
      const came = request.workspace === undefined ? 'directly' : `through ${request.workspace}`;
      yield `it admits this requester only through ${rule.workspaces.join(', ')}, and the request came ${came}`;
    }
  }
  // A tool's command and directory are the owner's own: the rule admits it by name.
  if (request.tool !== undefined) {
    if (!rule.tools.includes(request.tool))
      yield `tool ${request.tool} is not one of its tools (${rule.tools.join(', ') || 'none'})`;
  } else if (resolution.command.found) {
    yield* commandMisses(policy, rule, request, resolution.command);
  }
  for (const [i, arg] of request.args.entries()) {
    const pattern = rule.denyArgs.find((re) => re.test(arg));
    if (pattern !== undefined) {
      yield `argument ${String(i + 1)} ${quote(arg)} matches deny_args /${pattern.source}/`;
    }
  }
  if (request.artifacts === true && !rule.limits.artifacts)
    yield 'it does not let requests bring or take files (artifacts = true)';
  const cwd = resolution.cwd;
  const cwdChecked = request.tool === undefined && cwd !== undefined;
  if (cwdChecked && !rule.cwds.some((dir) => isWithin(dir.real, cwd))) {
    const dirs = rule.cwds.map((dir) => dir.real).join(', ') || 'none resolved';
    yield `cwd ${cwd} is not inside its directories (${dirs})`;
  }
  const refused = Object.keys(request.env).filter(
    (name) =>
      isEnvName(name) &&
      !isForbiddenEnv(name) &&
      !rule.env.some((pattern) => matchesEnvPattern(pattern, name)),
  );
  if (refused.length > 0) {
    const allowed = rule.env.join(', ') || 'none';
    yield `env ${refused.join(', ')} not in its env allowlist (${allowed})`;
  }
}

/**
 * A name is looked up on the worker's PATH and may reach an allowed program through the
 * worker's own symlinks. An absolute path must be where the worker keeps the program — the real
 * file, the path the policy resolved, or a file in a directory on the worker's PATH: a link the
 * requester planted elsewhere can be retargeted between check and run, and multi-call programs
 * behave by the name they are called with.
 */
function* commandMisses(
  policy: Policy,
  rule: PolicyRule,
  request: JobRequest,
  found: { readonly path: string; readonly real: string },
): Generator<string> {
  const same = rule.commands.filter((entry) => entry.real === found.real);
  if (same.length === 0) {
    const list = rule.commands.map((entry) => `${entry.written} → ${entry.real}`).join(', ');
    yield `command ${request.command} (${found.real}) is not one of its commands (${list || 'none resolved'})`;
    return;
  }
  const named = !request.command.includes('/');
  const trusted =
    named ||
    found.path === found.real ||
    same.some((entry) => entry.path === found.path) ||
    isOnPath(dirname(found.path), policy.searchPath);
  if (!trusted) {
    const names = same.map((entry) => entry.written).join(' or ');
    yield `command ${request.command} leads to ${found.real} but is not where this worker keeps it; name it ${names}`;
  }
}
