/**
 * Tool requests (specs/protocol.md §9): a `task.request` whose body names a tool of the
 * worker's policy and the values of its inputs instead of a command line. What the values must
 * be is the worker's to decide (src/security/policy-tools.ts); here only their shape is read.
 */
import type { JsonObject, JsonValue } from '../transport/transport.ts';
import { interpolate } from './expressions-template.ts';
import type { TaskSpec, ToolTaskSpec } from './task-protocol.ts';
import type { Job } from './workflow-types.ts';

/** At most this many inputs in one request. */
const MAX_INPUTS = 100;
/** A `with` body's size in characters of JSON, so that no request is large. */
const MAX_WITH_CHARS = 256 * 1024;

const isObject = (v: JsonValue | undefined): v is JsonObject =>
  typeof v === 'object' && v !== null && !Array.isArray(v);
const isText = (v: unknown, max: number): v is string => typeof v === 'string' && v.length <= max;

/** Read the tool part of a request body, whose run, job, step and attempt are `ids`. */
export function parseToolTask(
  body: JsonObject,
  ids: Pick<ToolTaskSpec, 'run' | 'job' | 'step' | 'attempt'>,
): ToolTaskSpec | string {
  const { tool, with: values, env, timeout_ms: timeoutMs } = body;
  if (body.command !== undefined || body.args !== undefined || body.cwd !== undefined)
    return 'a request names a tool (tool, with) or a command (command, args, cwd), not both';
  if (!isText(tool, 64) || !/^[A-Za-z0-9_][A-Za-z0-9_.-]*$/.test(tool))
    return 'tool: expected a tool name';
  if (!isObject(values) || Object.keys(values).length > MAX_INPUTS)
    return `with: expected an object of at most ${String(MAX_INPUTS)} inputs`;
  if (JSON.stringify(values).length > MAX_WITH_CHARS)
    return `with: expected at most ${String(MAX_WITH_CHARS)} characters of JSON`;
  if (!isObject(env) || !Object.values(env).every((v) => isText(v, 65_536)))
    return 'env: expected an object of strings';
  if (
    timeoutMs !== undefined &&
    (typeof timeoutMs !== 'number' || !Number.isSafeInteger(timeoutMs) || timeoutMs <= 0)
  )
    return 'timeout_ms: expected milliseconds';
  return {
    ...ids,
    tool,
    with: values,
    env: env as Record<string, string>,
    ...(timeoutMs === undefined ? {} : { timeoutMs }),
  };
}

/** How a task reads in a run's events: its command line, or `lint path=src`. */
export function describeTask(spec: TaskSpec): string {
  if (!('tool' in spec)) return [spec.command, ...spec.args].join(' ');
  const inputs = Object.entries(spec.with).map(
    ([name, value]) => `${name}=${typeof value === 'string' ? value : JSON.stringify(value)}`,
  );
  return [spec.tool, ...inputs].join(' ');
}

/** A uses step's `with`, its text values interpolated (expressions-template.ts). */
export function interpolateWith(
  values: Readonly<Record<string, JsonValue>>,
  context: Parameters<typeof interpolate>[1],
): Record<string, JsonValue> {
  const fill = (value: JsonValue): JsonValue => {
    if (typeof value === 'string') return interpolate(value, context);
    if (Array.isArray(value)) return value.map(fill);
    if (value !== null && typeof value === 'object')
      return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, fill(v)]));
    return value;
  };
  return Object.fromEntries(Object.entries(values).map(([name, value]) => [name, fill(value)]));
}

/** The tools a job's steps use, each once: its agent must offer them all. */
export function toolsUsedBy(job: Job): string[] {
  return [...new Set(job.steps.flatMap((step) => (step.type === 'uses' ? [step.uses] : [])))];
}
