/**
 * The records of a run's journal (specs/protocol.md §9.1): their kinds, their shapes, and the
 * check of a record that came from the network. The writer is run-journal.ts, the reader and
 * the replay run-replay.ts.
 */
import type { BlobRef, JsonObject, Transport, WaitOptions } from '../transport/transport.ts';
import type { JobArtifacts, RunResult } from './scheduler.ts';
import type { InputValue, Workflow } from './workflow-types.ts';
import { describeValue } from '../errors.ts';

/** The payload kind and version of journal records. */
export const JOURNAL_KIND = 'workflow.record';
export const JOURNAL_VERSION = 1;

/** One record's content (the envelope body without `run` and `seq`). */
export type JournalEntry =
  | {
      readonly t: 'run';
      readonly name: string;
      readonly key: string;
      readonly inputs: Readonly<Record<string, InputValue>>;
      readonly workflow?: Workflow;
      readonly workflowBlob?: BlobRef;
      readonly startedAt: number;
    }
  | { readonly t: 'resumed' }
  | { readonly t: 'job'; readonly job: string; readonly attempt: number; readonly agent: string }
  | { readonly t: 'step'; readonly job: string; readonly step: string; readonly command: string }
  | { readonly t: 'out'; readonly job: string; readonly lines: readonly JournalLine[] }
  | {
      readonly t: 'held';
      readonly job: string;
      readonly agent: string;
      readonly approval: string;
      readonly expires: number;
    }
  | {
      readonly t: 'lost';
      readonly job: string;
      readonly agent: string;
      readonly reason: string;
    }
  | {
      readonly t: 'done';
      readonly job: string;
      readonly ok: boolean;
      readonly outputs: Readonly<Record<string, string>>;
      readonly error?: string;
      /** Where its artifacts are (artifacts.ts), for the jobs that need it. */
      readonly artifacts?: JobArtifacts;
    }
  | { readonly t: 'skip'; readonly job: string; readonly reason: string }
  | { readonly t: 'cancel' }
  | { readonly t: 'end'; readonly result: RunResult };

/** One output line: `o` stdout, `e` stderr. */
export type JournalLine = readonly ['o' | 'e', string];

/** A record as read back: its entry, number and signing time. */
export interface JournalRecord {
  readonly seq: number;
  readonly at: number;
  readonly entry: JournalEntry;
}

/** Join the workspace for this connection unless it is already. */
export async function joinedWorkspace(
  transport: Transport,
  workspace: string,
  options: WaitOptions = {},
) {
  if (!transport.joinedWorkspaces().includes(workspace))
    await transport.joinWorkspace(workspace, { timeoutMs: 30_000, ...options });
}

/** A record's content as JSON (optional fields left out). */
export function entryToJson(entry: JournalEntry): JsonObject {
  return JSON.parse(JSON.stringify(entry)) as JsonObject;
}

const text = (v: unknown): v is string => typeof v === 'string';
const textRecord = (v: unknown): v is Record<string, string> =>
  typeof v === 'object' &&
  v !== null &&
  !Array.isArray(v) &&
  Object.values(v).every((x) => typeof x === 'string');

/** Check a record's body; a reason when it is malformed. */
export function parseEntry(body: JsonObject): JournalEntry | string {
  const b = body as Record<string, unknown>;
  switch (b.t) {
    case 'run': {
      const inputs = b.inputs;
      if (!text(b.name) || !text(b.key) || typeof b.startedAt !== 'number') return 'run: malformed';
      if (typeof inputs !== 'object' || inputs === null || Array.isArray(inputs))
        return 'run: inputs';
      if (b.workflow === undefined && b.workflowBlob === undefined) return 'run: no workflow';
      return b as unknown as JournalEntry;
    }
    case 'resumed':
    case 'cancel':
      return b as unknown as JournalEntry;
    case 'job':
      return text(b.job) && text(b.agent) && Number.isSafeInteger(b.attempt)
        ? (b as unknown as JournalEntry)
        : 'job: malformed';
    case 'step':
      return text(b.job) && text(b.step) && text(b.command)
        ? (b as unknown as JournalEntry)
        : 'step: malformed';
    case 'out':
      return text(b.job) &&
        Array.isArray(b.lines) &&
        b.lines.every(
          (l) => Array.isArray(l) && l.length === 2 && (l[0] === 'o' || l[0] === 'e') && text(l[1]),
        )
        ? (b as unknown as JournalEntry)
        : 'out: malformed';
    case 'held':
      return text(b.job) && text(b.agent) && text(b.approval) && typeof b.expires === 'number'
        ? (b as unknown as JournalEntry)
        : 'held: malformed';
    case 'lost':
      return text(b.job) && text(b.agent) && text(b.reason)
        ? (b as unknown as JournalEntry)
        : 'lost: malformed';
    case 'done':
      return text(b.job) &&
        typeof b.ok === 'boolean' &&
        textRecord(b.outputs) &&
        (b.error === undefined || text(b.error)) &&
        (b.artifacts === undefined || isJobArtifacts(b.artifacts))
        ? (b as unknown as JournalEntry)
        : 'done: malformed';
    case 'skip':
      return text(b.job) && text(b.reason) ? (b as unknown as JournalEntry) : 'skip: malformed';
    case 'end':
      return b.result === 'succeeded' || b.result === 'failed' || b.result === 'cancelled'
        ? (b as unknown as JournalEntry)
        : 'end: malformed';
    default:
      return `t: expected a record type (run, resumed, cancel, job, step, out, held, lost, done, skip, end), got ${describeValue(b.t)}`;
  }
}

function isJobArtifacts(v: unknown): v is JobArtifacts {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return false;
  const a = v as Record<string, unknown>;
  return text(a.network) && typeof a.ref === 'object' && a.ref !== null && !Array.isArray(a.ref);
}
