/**
 * From a parsed `policy.toml` to rules the worker can apply: every key checked (unknown ones are
 * errors, so a typo can neither widen nor narrow access unnoticed), commands and directories
 * resolved on this machine, `[defaults]` folded into each rule.
 */
import { isAbsolute } from 'node:path';
import { ConfigError, messageOf } from '../errors.ts';
import { isEnvPattern, isForbiddenEnv } from './policy-env.ts';
import { expandHome, lookUpCommand, resolveDirectory } from './policy-paths.ts';
import {
  REQUESTER_FORMS,
  WORKSPACE_FORMS,
  isRequesterPattern,
  isWorkspacePattern,
  normalizeIdentity,
} from './policy-requester.ts';
import { readTools } from './policy-tools-schema.ts';
import type {
  AllowedCommand,
  AllowedDirectory,
  PolicyLimits,
  PolicyRule,
  PolicyTool,
} from './policy-types.ts';
import {
  readCount,
  readDuration,
  readSize,
  readStrings,
  readSwitch,
  valueError,
  where,
  type ValueSource,
} from './policy-values.ts';

/** What applies when neither the rule nor `[defaults]` says otherwise. */
export const BUILT_IN_DEFAULTS: PolicyLimits = {
  timeoutMs: 10 * 60_000,
  maxOutputBytes: 10 * 1024 ** 2,
  network: false,
  requireSandbox: true,
  requiresApproval: false,
  artifacts: false,
  maxConcurrent: 2,
};

const LIMIT_KEYS = [
  'timeout',
  'max_output',
  'max_concurrent',
  'require_sandbox',
  'requires_approval',
  'network',
  'artifacts',
] as const;
const DEFAULTS_KEYS = [...LIMIT_KEYS, 'deny_args'] as const;
const RULE_KEYS = [
  'requester',
  'workspace',
  'commands',
  'deny_args',
  'cwd',
  'env',
  'tools',
  ...LIMIT_KEYS,
] as const;

/** Where commands and `~` resolve. */
export interface ResolveContext {
  readonly searchPath: string;
  readonly home: string;
}

/** The checked content of a policy file. */
export interface PolicyContent {
  readonly maxConcurrent: number;
  readonly rules: PolicyRule[];
  readonly tools: PolicyTool[];
  readonly warnings: string[];
}

type Table = Record<string, unknown>;

/** Check and resolve a parsed document. */
export function readPolicy(
  doc: Table,
  source: ValueSource,
  context: ResolveContext,
): PolicyContent {
  rejectUnknown(source, '', doc, ['defaults', 'allow', 'tools']);
  const defaultsTable =
    doc['defaults'] === undefined ? {} : asTable(source, 'defaults', doc['defaults']);
  rejectUnknown(source, 'defaults', defaultsTable, DEFAULTS_KEYS);
  const defaults = readLimits(source, 'defaults', defaultsTable, BUILT_IN_DEFAULTS);
  const sharedDenyArgs = readDenyArgs(source, 'defaults.deny_args', defaultsTable['deny_args']);
  const allow = doc['allow'] ?? [];
  if (!Array.isArray(allow)) {
    throw valueError(source, 'allow', '[[allow]] tables (a list of rules)', allow);
  }
  const warnings: string[] = [];
  const tools = readTools(source, doc['tools'], { ...context, warnings });
  const rules = allow.map((entry: unknown, index) => {
    const key = `allow[${String(index)}]`;
    const table = asTable(source, key, entry);
    rejectUnknown(source, key, table, RULE_KEYS);
    const rule = readRule(source, key, table, { ...context, warnings, tools: tools.declared });
    const line = source.positions.get(key)?.line;
    return {
      index,
      ...(line === undefined ? {} : { line }),
      ...rule,
      denyArgs: [...sharedDenyArgs, ...rule.denyArgs],
      limits: readLimits(source, key, table, defaults),
    };
  });
  return { maxConcurrent: defaults.maxConcurrent, rules, tools: tools.tools, warnings };
}

function asTable(source: ValueSource, key: string, value: unknown): Table {
  if (
    typeof value !== 'object' ||
    value === null ||
    Array.isArray(value) ||
    value instanceof Date
  ) {
    throw valueError(source, key, 'a table', value);
  }
  return value as Table;
}

function rejectUnknown(
  source: ValueSource,
  key: string,
  table: Table,
  known: readonly string[],
): void {
  for (const name of Object.keys(table)) {
    if (known.includes(name)) continue;
    const path = key === '' ? name : `${key}.${name}`;
    throw new ConfigError(
      `${where(source, path)}: ${path}: unknown key; expected one of ${known.join(', ')}`,
    );
  }
}

function readLimits(
  source: ValueSource,
  key: string,
  table: Table,
  base: PolicyLimits,
): PolicyLimits {
  const read = <T>(name: string, reader: (s: ValueSource, k: string, v: unknown) => T, or: T) =>
    table[name] === undefined ? or : reader(source, `${key}.${name}`, table[name]);
  return {
    timeoutMs: read('timeout', readDuration, base.timeoutMs),
    maxOutputBytes: read('max_output', readSize, base.maxOutputBytes),
    network: read('network', readSwitch, base.network),
    requireSandbox: read('require_sandbox', readSwitch, base.requireSandbox),
    requiresApproval: read('requires_approval', readSwitch, base.requiresApproval),
    artifacts: read('artifacts', readSwitch, base.artifacts),
    maxConcurrent: read('max_concurrent', readCount, base.maxConcurrent),
  };
}

function readDenyArgs(source: ValueSource, key: string, value: unknown): RegExp[] {
  if (value === undefined) return [];
  const patterns = readStrings(source, key, value, 'a regular expression');
  return patterns.map((pattern, i) => {
    try {
      return new RegExp(pattern);
    } catch (error) {
      const itemKey = typeof value === 'string' ? key : `${key}[${String(i)}]`;
      throw valueError(source, itemKey, `a regular expression (${messageOf(error)})`, pattern);
    }
  });
}

type RuleBody = Pick<
  PolicyRule,
  'requesters' | 'workspaces' | 'commands' | 'denyArgs' | 'cwds' | 'env' | 'tools'
>;

function readRule(
  source: ValueSource,
  key: string,
  table: Table,
  context: ResolveContext & { warnings: string[]; tools: readonly string[] },
): RuleBody {
  const required = (name: string, expected: string): unknown => {
    if (table[name] === undefined) {
      throw new ConfigError(
        `${where(source, key)}: ${key}: missing ${name}: expected ${expected}, or a list of them`,
      );
    }
    return table[name];
  };
  const requesters = readStrings(
    source,
    `${key}.requester`,
    required('requester', REQUESTER_FORMS),
    REQUESTER_FORMS,
    isRequesterPattern,
  ).map(normalizeIdentity);
  const workspaces =
    table['workspace'] === undefined
      ? undefined
      : readStrings(
          source,
          `${key}.workspace`,
          table['workspace'],
          WORKSPACE_FORMS,
          isWorkspacePattern,
        ).map(normalizeIdentity);
  const toolsExpected = `the name of a [tools.NAME] table (${context.tools.join(', ') || 'none declared'})`;
  const tools =
    table['tools'] === undefined
      ? []
      : readStrings(source, `${key}.tools`, table['tools'], toolsExpected, (item) =>
          context.tools.includes(item),
        );
  // A rule for tools alone needs no commands, nor directories to run them in.
  const toolsOnly = tools.length > 0 && table['commands'] === undefined;
  const commandsExpected = 'a command name like "npm" or an absolute path like "/usr/bin/make"';
  const commands = toolsOnly
    ? []
    : readStrings(
        source,
        `${key}.commands`,
        required('commands', commandsExpected),
        commandsExpected,
        (item) => item !== '' && !item.includes('\0') && (!item.includes('/') || isAbsolute(item)),
      );
  const cwdExpected = 'an absolute directory like "/srv/build" or "~/src/app"';
  const cwds =
    toolsOnly && table['cwd'] === undefined
      ? []
      : readStrings(
          source,
          `${key}.cwd`,
          required('cwd', cwdExpected),
          cwdExpected,
          (item) => isAbsolute(item) || item === '~' || item.startsWith('~/'),
        );
  const env =
    table['env'] === undefined
      ? []
      : readStrings(
          source,
          `${key}.env`,
          table['env'],
          'a variable name like "CI" or a prefix like "npm_config_*"',
          isEnvPattern,
        );
  for (const name of env) {
    if (isForbiddenEnv(name)) {
      context.warnings.push(
        `${key}.env: ${name} is never passed to a job, whatever the policy says`,
      );
    }
  }
  return {
    requesters,
    ...(workspaces === undefined ? {} : { workspaces }),
    commands: resolveCommands(key, commands, context),
    denyArgs: readDenyArgs(source, `${key}.deny_args`, table['deny_args']),
    cwds: resolveDirectories(key, cwds, context),
    env,
    tools,
  };
}

function resolveCommands(
  key: string,
  written: readonly string[],
  context: ResolveContext & { warnings: string[] },
): AllowedCommand[] {
  return written.flatMap((command) => {
    const found = lookUpCommand(command, context.searchPath);
    if (found.found) return [{ written: command, path: found.path, real: found.real }];
    context.warnings.push(`${key}.commands: ${found.why}; it admits nothing`);
    return [];
  });
}

function resolveDirectories(
  key: string,
  written: readonly string[],
  context: ResolveContext & { warnings: string[] },
): AllowedDirectory[] {
  return written.flatMap((dir) => {
    const resolved = resolveDirectory(expandHome(dir, context.home));
    if ('real' in resolved) return [{ written: dir, real: resolved.real }];
    context.warnings.push(`${key}.cwd: ${dir}: ${resolved.why}; it admits nothing`);
    return [];
  });
}
