/**
 * Reading the `[tools.NAME]` tables of `policy.toml`: tools a worker's owner offers, each a
 * fixed command, directory and argument templates, with typed inputs a requester fills in.
 * Every key is checked like the rest of the policy (unknown keys and bad values are
 * ConfigErrors naming `file:line:column`); the command and directory resolve on this machine
 * when the policy loads, and a tool whose command or directory does not resolve admits nothing.
 */
import { isAbsolute } from 'node:path';
import { ConfigError, messageOf } from '../errors.ts';
import { expandHome, lookUpCommand, resolveDirectory } from './policy-paths.ts';
import type { PolicyTool, ToolInput } from './policy-types.ts';
import { readSwitch, valueError, where, type ValueSource } from './policy-values.ts';
import { INPUT_NAME, inputsOf, parseTemplate } from './tool-template.ts';

/** Tool names: as on an agent card and in a workflow's `uses:`. */
export const TOOL_NAME = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,63}$/;

const TOOL_KEYS = ['description', 'command', 'args', 'cwd', 'inputs'] as const;
const INPUT_KEYS = ['type', 'pattern', 'required', 'default', 'description'] as const;
const INPUT_TYPES = ['string', 'integer', 'boolean'] as const;
const MAX_DESCRIPTION = 2000;
const VALUE_OF = { string: 'a string', integer: 'a whole number', boolean: 'true or false' };

/** The tools declared, and those that resolved on this machine. */
export interface ReadTools {
  /** Every declared name, resolved or not: what a rule's `tools` may list. */
  readonly declared: readonly string[];
  readonly tools: PolicyTool[];
}

type Table = Record<string, unknown>;

/** Read the document's `tools` value; unresolved tools go to `warnings`. */
export function readTools(
  source: ValueSource,
  value: unknown,
  context: { searchPath: string; home: string; warnings: string[] },
): ReadTools {
  if (value === undefined) return { declared: [], tools: [] };
  const all = table(source, 'tools', value, '[tools.NAME] tables');
  const tools: PolicyTool[] = [];
  for (const [name, body] of Object.entries(all)) {
    const key = `tools.${name}`;
    if (!TOOL_NAME.test(name))
      throw valueError(source, key, 'a tool name of letters, digits, _ . and - (at most 64)', name);
    const tool = readTool(source, key, name, table(source, key, body, 'a table'));
    const found = lookUpCommand(tool.command, context.searchPath);
    const dir = resolveDirectory(expandHome(tool.cwd, context.home));
    if (!found.found) context.warnings.push(`${key}.command: ${found.why}; it admits nothing`);
    else if ('why' in dir)
      context.warnings.push(`${key}.cwd: ${tool.cwd}: ${dir.why}; it admits nothing`);
    else
      tools.push({
        ...tool,
        command: { written: tool.command, path: found.path, real: found.real },
        cwd: { written: tool.cwd, real: dir.real },
      });
  }
  return { declared: Object.keys(all), tools };
}

function readTool(
  source: ValueSource,
  key: string,
  name: string,
  body: Table,
): Omit<PolicyTool, 'command' | 'cwd'> & { command: string; cwd: string } {
  rejectUnknown(source, key, body, TOOL_KEYS);
  const missing = (field: string, expected: string): never => {
    throw new ConfigError(`${where(source, key)}: ${key}: missing ${field}: expected ${expected}`);
  };
  const commandExpected = 'a command name like "npm" or an absolute path like "/usr/bin/make"';
  const command = body['command'] ?? missing('command', commandExpected);
  if (
    typeof command !== 'string' ||
    command === '' ||
    command.includes('\0') ||
    (command.includes('/') && !isAbsolute(command))
  )
    throw valueError(source, `${key}.command`, commandExpected, command);
  const cwdExpected = 'an absolute directory like "/srv/build" or "~/src/app"';
  const cwd = body['cwd'] ?? missing('cwd', cwdExpected);
  if (typeof cwd !== 'string' || !(isAbsolute(cwd) || cwd === '~' || cwd.startsWith('~/')))
    throw valueError(source, `${key}.cwd`, cwdExpected, cwd);
  const inputs = readInputs(source, `${key}.inputs`, body['inputs']);
  const description = readText(source, `${key}.description`, body['description']);
  return {
    name,
    ...(description === undefined ? {} : { description }),
    command,
    args: readArgs(source, `${key}.args`, body['args'], Object.keys(inputs)),
    cwd,
    inputs,
  };
}

function readArgs(source: ValueSource, key: string, value: unknown, inputs: string[]): string[] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) throw valueError(source, key, 'a list of argument templates', value);
  return value.map((item: unknown, i) => {
    const itemKey = `${key}[${String(i)}]`;
    if (typeof item !== 'string' || item.includes('\0'))
      throw valueError(source, itemKey, 'an argument template like "--path={path}"', item);
    const parts = parseTemplate(item);
    if (typeof parts === 'string')
      throw valueError(source, itemKey, `an argument template (${parts})`, item);
    const unknown = inputsOf(parts).find((input) => !inputs.includes(input));
    if (unknown !== undefined)
      throw valueError(
        source,
        itemKey,
        `inputs declared in [${key.replace(/\.args$/, '')}.inputs] (${inputs.join(', ') || 'none'}), not {${unknown}}`,
        item,
      );
    return item;
  });
}

function readInputs(source: ValueSource, key: string, value: unknown): Record<string, ToolInput> {
  if (value === undefined) return {};
  // fromEntries: an input called __proto__ stays an input, not the object's prototype.
  return Object.fromEntries(
    Object.entries(table(source, key, value, 'a table of inputs')).map(([name, body]) => {
      const inputKey = `${key}.${name}`;
      if (!INPUT_NAME.test(name))
        throw valueError(
          source,
          inputKey,
          'an input name of letters, digits, _ and -, starting with a letter or _',
          name,
        );
      return [name, readInput(source, inputKey, table(source, inputKey, body, 'a table'))];
    }),
  );
}

function readInput(source: ValueSource, key: string, body: Table): ToolInput {
  rejectUnknown(source, key, body, INPUT_KEYS);
  const type = body['type'];
  if (type === undefined)
    throw new ConfigError(
      `${where(source, key)}: ${key}: missing type: expected "string", "integer" or "boolean"`,
    );
  if (typeof type !== 'string' || !(INPUT_TYPES as readonly string[]).includes(type))
    throw valueError(source, `${key}.type`, '"string", "integer" or "boolean"', type);
  const kind = type as ToolInput['type'];
  const pattern = body['pattern'];
  if (pattern !== undefined) {
    if (kind !== 'string' || typeof pattern !== 'string')
      throw valueError(
        source,
        `${key}.pattern`,
        'a regular expression, for a string input',
        pattern,
      );
    try {
      new RegExp(pattern);
    } catch (error) {
      throw valueError(
        source,
        `${key}.pattern`,
        `a regular expression (${messageOf(error)})`,
        pattern,
      );
    }
  }
  const required =
    body['required'] === undefined
      ? false
      : readSwitch(source, `${key}.required`, body['required']);
  const fallback = body['default'];
  if (fallback !== undefined) {
    const fits =
      kind === 'integer'
        ? typeof fallback === 'number' && Number.isSafeInteger(fallback)
        : typeof fallback === kind;
    if (!fits || required)
      throw valueError(
        source,
        `${key}.default`,
        required ? 'no default for a required input' : VALUE_OF[kind],
        fallback,
      );
    // Only a string input has a pattern, and its default was just checked to be a string.
    if (
      typeof pattern === 'string' &&
      typeof fallback === 'string' &&
      !anchored(pattern).test(fallback)
    )
      throw valueError(source, `${key}.default`, `a value matching pattern /${pattern}/`, fallback);
  }
  const description = readText(source, `${key}.description`, body['description']);
  return {
    type: kind,
    ...(typeof pattern === 'string' ? { pattern } : {}),
    required,
    ...(fallback === undefined ? {} : { default: fallback as string | number | boolean }),
    ...(description === undefined ? {} : { description }),
  };
}

/** The pattern as values must match it: whole, not somewhere inside. */
export function anchored(pattern: string): RegExp {
  return new RegExp(`^(?:${pattern})$`);
}

function readText(source: ValueSource, key: string, value: unknown): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || value.length > MAX_DESCRIPTION)
    throw valueError(source, key, `text of at most ${String(MAX_DESCRIPTION)} characters`, value);
  return value;
}

function table(source: ValueSource, key: string, value: unknown, expected: string): Table {
  if (typeof value !== 'object' || value === null || Array.isArray(value) || value instanceof Date)
    throw valueError(source, key, expected, value);
  return value as Table;
}

function rejectUnknown(
  source: ValueSource,
  key: string,
  body: Table,
  known: readonly string[],
): void {
  for (const name of Object.keys(body)) {
    if (known.includes(name)) continue;
    throw new ConfigError(
      `${where(source, `${key}.${name}`)}: ${key}.${name}: unknown key; expected one of ${known.join(', ')}`,
    );
  }
}
