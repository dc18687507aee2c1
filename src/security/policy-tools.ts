/**
 * Deciding a request to use one of the policy's tools (`[tools.NAME]`, policy-tools-schema.ts):
 * the tool is looked up in the policy as loaded now, the requester's `with` values are checked
 * against its inputs and put into its argument templates, and the resulting command line is
 * decided like any other request — by a rule that lists the tool, whose limits and environment
 * allowlist apply.
 */
import { quote } from '../errors.ts';
import { evaluatePolicy } from './policy-evaluate.ts';
import { anchored } from './policy-tools-schema.ts';
import type {
  Policy,
  PolicyDecision,
  PolicyTool,
  Requester,
  RunningJobs,
  ToolInput,
} from './policy-types.ts';
import { fillTemplate, parseTemplate } from './tool-template.ts';

/** The longest value an input takes, in characters. */
export const MAX_INPUT_CHARS = 4096;

/** A request to use a tool, as the worker received it. */
export interface ToolCall {
  readonly requester: Requester;
  /** The workspace it arrived through; absent for a direct message. */
  readonly workspace?: string;
  readonly tool: string;
  /** The requester's values by input name, as JSON decoded them. */
  readonly with: Readonly<Record<string, unknown>>;
  readonly env: Readonly<Record<string, string>>;
  /** It brings artifacts in or takes them out. */
  readonly artifacts?: boolean;
}

/** Decide `call` under `policy`, with `jobs` running now. */
export function evaluateToolCall(
  policy: Policy,
  call: ToolCall,
  jobs: RunningJobs = {},
): PolicyDecision {
  if (policy.missing)
    return denied([`there is no policy file at ${policy.path}, so every request is denied`]);
  const tool = policy.tools.find((t) => t.name === call.tool);
  if (tool === undefined) return denied([unknownTool(policy, call.tool)]);
  const args = toolArguments(tool, call.with);
  if ('faults' in args) return denied(args.faults.map((fault) => `tool ${tool.name}: ${fault}`));
  return evaluatePolicy(
    policy,
    {
      requester: call.requester,
      ...(call.workspace === undefined ? {} : { workspace: call.workspace }),
      command: tool.command.real,
      args: args.args,
      cwd: tool.cwd.real,
      env: call.env,
      tool: tool.name,
      ...(call.artifacts === true ? { artifacts: true } : {}),
    },
    jobs,
  );
}

/** The tools some rule admits someone to: what the agent card offers. */
export function offeredTools(policy: Policy): PolicyTool[] {
  return policy.tools.filter((tool) => policy.rules.some((rule) => rule.tools.includes(tool.name)));
}

/** The tool's arguments for `values`, or every fault of the values. */
export function toolArguments(
  tool: PolicyTool,
  values: Readonly<Record<string, unknown>>,
): { readonly args: string[] } | { readonly faults: string[] } {
  const faults: string[] = [];
  const names = Object.keys(tool.inputs);
  for (const name of Object.keys(values)) {
    if (!Object.hasOwn(tool.inputs, name))
      faults.push(`with.${name}: no such input (its inputs: ${names.join(', ') || 'none'})`);
  }
  const texts: Record<string, string> = {};
  for (const [name, input] of Object.entries(tool.inputs)) {
    const given = Object.hasOwn(values, name) ? values[name] : undefined;
    const value = given ?? input.default;
    if (value === undefined) {
      if (input.required) faults.push(`with.${name}: missing: the input is required`);
      continue;
    }
    const text = inputText(name, input, value);
    if (text.ok) texts[name] = text.value;
    else faults.push(text.fault);
  }
  if (faults.length > 0) return { faults };
  const args = tool.args.flatMap((template) => {
    const parts = parseTemplate(template);
    // Checked when the policy loaded; a template that no longer parses admits nothing.
    if (typeof parts === 'string') return [];
    const arg = fillTemplate(parts, texts);
    return arg === undefined ? [] : [arg];
  });
  return { args };
}

type Checked = { ok: true; value: string } | { ok: false; fault: string };

/**
 * One value as the argument text it becomes. Integers and booleans may also come as their text
 * (`"12"`, `"true"`): a workflow's `${{ }}` always makes text.
 */
function inputText(name: string, input: ToolInput, value: unknown): Checked {
  const wrong = (expected: string): Checked => ({
    ok: false,
    fault: `with.${name}: expected ${expected}, got ${describe(value)}`,
  });
  let text: string;
  if (input.type === 'integer') {
    const n = typeof value === 'string' && /^-?\d{1,16}$/.test(value) ? Number(value) : value;
    if (typeof n !== 'number' || !Number.isSafeInteger(n)) return wrong('a whole number');
    text = String(n);
  } else if (input.type === 'boolean') {
    if (value !== true && value !== false && value !== 'true' && value !== 'false')
      return wrong('true or false');
    text = String(value);
  } else {
    if (typeof value !== 'string') return wrong('a string');
    text = value;
  }
  if (text.includes('\0')) return { ok: false, fault: `with.${name}: contains a NUL character` };
  if (text.length > MAX_INPUT_CHARS) return wrong(`at most ${String(MAX_INPUT_CHARS)} characters`);
  if (input.pattern !== undefined && !anchored(input.pattern).test(text))
    return wrong(`a value matching /${input.pattern}/`);
  return { ok: true, value: text };
}

function describe(value: unknown): string {
  if (typeof value === 'string')
    return value.length > 80
      ? `${quote(value.slice(0, 80))}… (${String(value.length)} characters)`
      : quote(value);
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return 'an object';
}

function unknownTool(policy: Policy, name: string): string {
  const why = policy.warnings.find((w) => w.startsWith(`tools.${name}.`));
  if (why !== undefined) return `tool ${quote(name)} is not available on this worker: ${why}`;
  const offered = offeredTools(policy).map((t) => t.name);
  return `this worker offers no tool ${quote(name)} (its tools: ${offered.join(', ') || 'none'})`;
}

function denied(reasons: string[]): PolicyDecision {
  return { allowed: false, reasons };
}
