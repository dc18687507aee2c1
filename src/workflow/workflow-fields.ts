/** Readers for the small value types of a workflow file: text, durations, retries, runs-on, env. */
import { isMap, isScalar, type Node } from 'yaml';
import { CAPABILITY } from '../discovery/card.ts';
import { AGENT_ID } from '../protocol/agent-id.ts';
import { parseDuration } from '../security/policy-values.ts';
import { hasExpression } from './expressions-template.ts';
import type { ExpressionSite, Place } from './workflow-references.ts';
import { DEFAULT_RETRY, type RetryPolicy, type RunsOn } from './workflow-types.ts';
import type { Path, YamlSource } from './workflow-yaml.ts';

/** Ids of jobs, inputs, steps and outputs. */
export const ID = /^[A-Za-z_][A-Za-z0-9_-]*$/;
/** Environment variable names (POSIX). */
export const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
/** At most this many retries. */
export const MAX_RETRIES = 10;

const DURATION_HINT = 'a duration like 30s, 5m, 1h or 1h30m, above 0 and at most 24 days';
const EXPRESSION_PLACES = 'if, env, run, working-directory, with and outputs';

/** Plain text where `${{ }}` is not allowed. */
export function readText(src: YamlSource, node: Node | null, path: Path): string | undefined {
  const text = src.string(node, path);
  if (text === undefined || !hasExpression(text)) return text;
  src.report(
    node,
    path,
    `expressions (\${{ }}) are not allowed here, only in ${EXPRESSION_PLACES}`,
  );
  return undefined;
}

/** Text that may hold `${{ }}`; its expressions are checked later with the whole file known. */
export function readTemplate(
  src: YamlSource,
  node: Node | null,
  path: Path,
  place: Place,
  sites: ExpressionSite[],
): string | undefined {
  const text = src.string(node, path);
  if (text !== undefined && node !== null && hasExpression(text)) {
    sites.push({ place, path, node, text, condition: false });
  }
  return text;
}

/**
 * `working-directory`: a directory on the worker, which must be absolute (its policy admits only
 * listed absolute directories). A template is checked here only for its expressions; whether
 * its value is absolute is checked when the job runs, after interpolation (orchestrator).
 */
export function readWorkingDirectory(
  src: YamlSource,
  node: Node | null,
  path: Path,
  place: Place,
  sites: ExpressionSite[],
): string | undefined {
  const text = readTemplate(src, node, path, place, sites);
  if (text === undefined || hasExpression(text) || text.startsWith('/')) return text;
  src.report(
    node,
    path,
    `expected an absolute directory on the worker like "/srv/build", got ${JSON.stringify(text)}`,
  );
  return undefined;
}

/** `true` or `false`. */
export function readBoolean(src: YamlSource, node: Node | null, path: Path): boolean | undefined {
  if (isScalar(node) && typeof node.value === 'boolean') return node.value;
  src.expected(node, path, 'true or false');
  return undefined;
}

/** A duration in milliseconds (the syntax of policy.toml, src/security/policy-values.ts). */
export function readDuration(src: YamlSource, node: Node | null, path: Path): number | undefined {
  const ms =
    isScalar(node) && typeof node.value === 'string' ? parseDuration(node.value) : undefined;
  if (ms === undefined) src.expected(node, path, DURATION_HINT);
  return ms;
}

/** A whole number in a range. */
export function readInteger(
  src: YamlSource,
  node: Node | null,
  path: Path,
  min: number,
  max: number,
): number | undefined {
  const value = isScalar(node) ? node.value : undefined;
  if (typeof value === 'number' && Number.isInteger(value) && value >= min && value <= max)
    return value;
  src.expected(node, path, `a whole number from ${min} to ${max}`);
  return undefined;
}

/** `retries: 2`, or `retries: { count: 2, backoff: 5s, max-backoff: 5m }`. */
export function readRetry(src: YamlSource, node: Node | null, path: Path): RetryPolicy | undefined {
  if (!isMap(node)) {
    const retries = readInteger(src, node, path, 0, MAX_RETRIES);
    return retries === undefined ? undefined : { retries, ...DEFAULT_RETRY };
  }
  const entries = src.entries(node, path, ['count', 'backoff', 'max-backoff']) ?? [];
  src.require(node, path, entries, ['count']);
  const policy = { retries: 0, ...DEFAULT_RETRY };
  for (const { key, value, path: at } of entries) {
    if (key === 'count') policy.retries = readInteger(src, value, at, 0, MAX_RETRIES) ?? 0;
    if (key === 'backoff') policy.backoffMs = readDuration(src, value, at) ?? policy.backoffMs;
    if (key === 'max-backoff')
      policy.maxBackoffMs = readDuration(src, value, at) ?? policy.maxBackoffMs;
  }
  if (policy.maxBackoffMs < policy.backoffMs) {
    src.report(node, path, 'max-backoff must not be shorter than backoff');
  }
  return policy;
}

/**
 * `artifacts: [dist/**, report.xml]`: globs relative to the job's working directory (no
 * templates); one that is absolute or climbs out with `..` is refused here, before any run.
 */
export function readArtifacts(
  src: YamlSource,
  node: Node | null,
  path: Path,
): readonly string[] | undefined {
  const items = src.items(node, path);
  if (items === undefined) return undefined;
  const globs: string[] = [];
  for (const item of items) {
    const glob = src.string(item.node, item.path, 'a path or glob relative to working-directory');
    if (glob === undefined) continue;
    if (glob === '' || glob.startsWith('/') || glob.split('/').includes('..'))
      src.report(
        item.node,
        item.path,
        `expected a path or glob inside the job's working-directory, got ${JSON.stringify(glob)}`,
      );
    else globs.push(glob);
  }
  return globs;
}

/** An agent id, or `{ capabilities: [...] }`. */
export function readRunsOn(src: YamlSource, node: Node | null, path: Path): RunsOn | undefined {
  if (!isMap(node)) {
    const agent = isScalar(node) && typeof node.value === 'string' ? node.value : undefined;
    if (agent !== undefined && AGENT_ID.test(agent)) return { agent };
    src.expected(node, path, 'an agent id (agt-…) or { capabilities: [name, …] }');
    return undefined;
  }
  const entries = src.entries(node, path, ['capabilities']) ?? [];
  src.require(node, path, entries, ['capabilities']);
  const list = entries[0];
  if (list === undefined) return undefined;
  const items = src.items(list.value, list.path) ?? [];
  const capabilities: string[] = [];
  for (const item of items) {
    const name = src.string(item.node, item.path, 'a capability name');
    if (name !== undefined && !CAPABILITY.test(name)) {
      src.report(
        item.node,
        item.path,
        `expected a capability name like lang.rust, got ${JSON.stringify(name)}`,
      );
    } else if (name !== undefined) capabilities.push(name);
  }
  if (items.length === 0 && isMap(node))
    src.report(list.value, list.path, 'expected at least one capability');
  return { capabilities };
}

/** An environment map: names to text; numbers and booleans are written as text. */
export function readEnv(
  src: YamlSource,
  node: Node | null,
  path: Path,
  place: Place,
  sites: ExpressionSite[],
): Record<string, string> {
  const env: [string, string][] = [];
  for (const { key, keyNode, value, path: at } of src.entries(node, path) ?? []) {
    if (!ENV_NAME.test(key)) {
      src.report(keyNode, at, 'expected an environment variable name (letters, digits and _)');
    }
    const scalar = isScalar(value) ? value.value : undefined;
    if (typeof scalar === 'number' || typeof scalar === 'boolean') env.push([key, String(scalar)]);
    else {
      const text = readTemplate(src, value, at, place, sites);
      if (text !== undefined) env.push([key, text]);
    }
  }
  return Object.fromEntries(env);
}
