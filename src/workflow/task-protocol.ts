/**
 * The task protocol between an orchestrator and a worker (specs/protocol.md §9): payload kinds
 * and the shapes of their bodies. Requests, acceptances, rejections, results and cancels are
 * signed envelopes (§8) carried as the payload body; output travels as terminal streams (§5,
 * task-stream.ts), unsigned, because it decides nothing.
 */
import type { SignedEnvelope } from '../protocol/signed.ts';
import {
  artifactFieldsToJson,
  artifactRefToJson,
  parseArtifactFields,
  parseArtifactRef,
  type ArtifactRef,
} from './artifacts.ts';
import type { JsonObject, JsonValue } from '../transport/transport.ts';
import { parseToolTask } from './tool-task.ts';

/** Payload kinds, all version 1. */
export const TASK_KINDS = {
  request: 'task.request',
  accepted: 'task.accepted',
  rejected: 'task.rejected',
  result: 'task.result',
  cancel: 'task.cancel',
  alive: 'task.alive',
  held: 'task.held',
} as const;
export const TASK_VERSION = 1;

/** How long a request may wait to be admitted, from its signing. */
export const REQUEST_LIFETIME_MS = 5 * 60_000;

/** How often a worker says a running task is still running, unless configured otherwise. */
export const KEEPALIVE_MS = 10_000;

/**
 * A requester gives up on a worker that has said nothing for this many of its keepalive
 * intervals (plus a few seconds of network delay): its process or machine is gone.
 */
export const KEEPALIVE_MISSES = 3;

/** A line `::output NAME=VALUE` on a job's stdout sets an output of its step. */
export const OUTPUT_LINE = /^::output ([A-Za-z_][A-Za-z0-9_-]{0,63})=(.*)$/;

/** What a task request asks for (the signed envelope's body): a command, or a tool (§9). */
export type TaskSpec = CommandTaskSpec | ToolTaskSpec;

/** What every task request has. */
interface TaskBase {
  /** The workflow run and job (and step) this belongs to, for logs and the audit. */
  readonly run: string;
  readonly job: string;
  readonly step: string;
  readonly attempt: number;
  readonly env: Readonly<Record<string, string>>;
  /** The requester's own time limit; the worker's policy may cap it lower. */
  readonly timeoutMs?: number;
  /** Artifacts of earlier jobs to write into the working directory before it runs (§9.2). */
  readonly fetch?: readonly ArtifactRef[];
  /** Globs of files to collect as this job's artifacts once it succeeded (§9.2). */
  readonly collect?: readonly string[];
}

/** A command line to run. */
export interface CommandTaskSpec extends TaskBase {
  /** A command name (looked up on the worker's PATH) or an absolute path; never a shell line. */
  readonly command: string;
  readonly args: readonly string[];
  /** An absolute directory on the worker. */
  readonly cwd: string;
}

/** A tool of the worker's policy to use: its owner fixed the command, the inputs fill it in. */
export interface ToolTaskSpec extends TaskBase {
  readonly tool: string;
  readonly with: Readonly<Record<string, JsonValue>>;
}

/** What the worker says when it starts a task. */
export interface TaskAccepted {
  readonly sandboxed: boolean;
  readonly warning?: string;
  readonly timeoutMs: number;
  readonly maxOutputBytes: number;
  /** The worker sends `task.alive` at least this often while the task runs. */
  readonly keepaliveMs?: number;
}

/** Why a worker refused a task: the gate's stage, or `busy` / `failed` when it could not start. */
export interface TaskRejected {
  readonly stage: string;
  readonly reason: string;
}

/** How a task ended. */
export interface TaskResult {
  readonly exitCode: number | null;
  readonly signal: string | null;
  readonly durationMs: number;
  readonly timedOut: boolean;
  readonly cancelled: boolean;
  readonly truncated: boolean;
  readonly outputBytes: number;
  /** From `::output NAME=VALUE` lines. */
  readonly outputs: Readonly<Record<string, string>>;
  readonly sandboxed: boolean;
  readonly warning?: string;
  /** The artifacts it collected, or why they could not be. */
  readonly artifacts?: ArtifactRef;
  readonly artifactsError?: string;
}

const isObject = (v: JsonValue | undefined): v is JsonObject =>
  typeof v === 'object' && v !== null && !Array.isArray(v);
const isCount = (v: unknown): v is number =>
  typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
const isText = (v: unknown, max = 4096): v is string => typeof v === 'string' && v.length <= max;

/** The envelope body of a request. */
export function taskSpecToJson(spec: TaskSpec): JsonObject {
  return {
    run: spec.run,
    job: spec.job,
    step: spec.step,
    attempt: spec.attempt,
    ...('tool' in spec
      ? { tool: spec.tool, with: { ...spec.with } }
      : { command: spec.command, args: [...spec.args], cwd: spec.cwd }),
    env: { ...spec.env },
    ...(spec.timeoutMs === undefined ? {} : { timeout_ms: spec.timeoutMs }),
    ...artifactFieldsToJson(spec),
  };
}

/** Read a request's body; a reason when it is not one. */
export function parseTaskSpec(body: JsonObject): TaskSpec | string {
  const spec = parseTaskKind(body);
  if (typeof spec === 'string') return spec;
  const artifacts = parseArtifactFields(body);
  return typeof artifacts === 'string' ? artifacts : { ...spec, ...artifacts };
}

/** The command or tool part of a request. */
function parseTaskKind(body: JsonObject): TaskSpec | string {
  const { run, job, step, attempt, command, args, cwd, env, timeout_ms: timeoutMs } = body;
  if (!isText(run, 200) || !isText(job, 200) || !isText(step, 200))
    return 'run, job and step: expected short strings';
  if (!isCount(attempt)) return 'attempt: expected a whole number';
  if (body.tool !== undefined || body.with !== undefined)
    return parseToolTask(body, { run, job, step, attempt });
  if (!isText(command) || command === '') return 'command: expected a command name or path';
  if (!Array.isArray(args) || args.length > 1000 || !args.every((a) => isText(a, 65_536)))
    return 'args: expected a list of strings';
  if (!isText(cwd) || cwd === '') return 'cwd: expected a directory';
  if (!isObject(env) || !Object.values(env).every((v) => isText(v, 65_536)))
    return 'env: expected an object of strings';
  if (timeoutMs !== undefined && (!isCount(timeoutMs) || timeoutMs === 0))
    return 'timeout_ms: expected milliseconds';
  return {
    run,
    job,
    step,
    attempt,
    command,
    args: args,
    cwd,
    env: env as Record<string, string>,
    ...(timeoutMs === undefined ? {} : { timeoutMs }),
  };
}

/** The envelope body of an acceptance. */
export function acceptedToJson(a: TaskAccepted): JsonObject {
  return {
    sandboxed: a.sandboxed,
    timeout_ms: a.timeoutMs,
    max_output: a.maxOutputBytes,
    ...(a.keepaliveMs === undefined ? {} : { keepalive_ms: a.keepaliveMs }),
    ...(a.warning === undefined ? {} : { warning: a.warning }),
  };
}

/** Read an acceptance; undefined when malformed. */
export function parseAccepted(body: JsonObject): TaskAccepted | undefined {
  const { sandboxed, timeout_ms: timeoutMs, max_output: maxOutputBytes, warning } = body;
  const keepaliveMs = body.keepalive_ms;
  if (typeof sandboxed !== 'boolean' || !isCount(timeoutMs) || !isCount(maxOutputBytes))
    return undefined;
  return {
    sandboxed,
    timeoutMs,
    maxOutputBytes,
    ...(isCount(keepaliveMs) && keepaliveMs > 0 ? { keepaliveMs } : {}),
    ...(isText(warning) ? { warning } : {}),
  };
}

/** Read a rejection; undefined when malformed. */
export function parseRejected(body: JsonObject): TaskRejected | undefined {
  return isText(body.stage, 40) && isText(body.reason)
    ? { stage: body.stage, reason: body.reason }
    : undefined;
}

/** The envelope body of a result. */
export function resultToJson(r: TaskResult): JsonObject {
  return {
    exit_code: r.exitCode,
    signal: r.signal,
    duration_ms: r.durationMs,
    timed_out: r.timedOut,
    cancelled: r.cancelled,
    truncated: r.truncated,
    output_bytes: r.outputBytes,
    outputs: { ...r.outputs },
    sandboxed: r.sandboxed,
    ...(r.warning === undefined ? {} : { warning: r.warning }),
    ...(r.artifacts === undefined ? {} : { artifacts: artifactRefToJson(r.artifacts) }),
    ...(r.artifactsError === undefined ? {} : { artifacts_error: r.artifactsError }),
  };
}

/** Read a result; undefined when malformed. */
export function parseResult(body: JsonObject): TaskResult | undefined {
  const b = body;
  const exitCode = b.exit_code === null || isCount(b.exit_code) ? b.exit_code : undefined;
  const signal = b.signal === null || isText(b.signal, 20) ? b.signal : undefined;
  const flags = [b.timed_out, b.cancelled, b.truncated, b.sandboxed];
  if (exitCode === undefined || signal === undefined) return undefined;
  if (!isCount(b.duration_ms) || !isCount(b.output_bytes)) return undefined;
  if (!flags.every((f) => typeof f === 'boolean')) return undefined;
  const outputs = b.outputs;
  if (!isObject(outputs) || !Object.values(outputs).every((v) => isText(v, 65_536)))
    return undefined;
  const artifacts = b.artifacts === undefined ? undefined : parseArtifactRef(b.artifacts);
  if (b.artifacts !== undefined && artifacts === undefined) return undefined;
  return {
    exitCode,
    signal,
    durationMs: b.duration_ms,
    timedOut: b.timed_out === true,
    cancelled: b.cancelled === true,
    truncated: b.truncated === true,
    outputBytes: b.output_bytes,
    outputs: outputs as Record<string, string>,
    sandboxed: b.sandboxed === true,
    ...(isText(b.warning) ? { warning: b.warning } : {}),
    ...(artifacts === undefined ? {} : { artifacts }),
    ...(isText(b.artifacts_error) ? { artifactsError: b.artifacts_error } : {}),
  };
}

/** A keepalive's body: the nonce of the request it is about. */
export function parseAlive(body: JsonObject): string | undefined {
  return isText(body.re, 64) ? body.re : undefined;
}

/** The nonce of the request an envelope answers (`re`), when it has one. */
export function answerOf(envelope: SignedEnvelope): string | undefined {
  const re = envelope.re;
  return typeof re === 'string' ? re : undefined;
}

/** Outputs set by `::output NAME=VALUE` lines of a job's stdout. */
export function outputsFrom(stdout: string): Record<string, string> {
  const outputs: Record<string, string> = {};
  for (const line of stdout.split('\n')) {
    const match = OUTPUT_LINE.exec(line.replace(/\r$/, ''));
    if (match?.[1] !== undefined) outputs[match[1]] = match[2] ?? '';
  }
  return outputs;
}
