/**
 * The journal of a run, kept in a workspace so that the run is durable: `workflow status`
 * and `workflow logs` read it from any machine in the workspace, and `workflow run --resume`
 * rebuilds the state from it after the orchestrator died (specs/protocol.md §9.6).
 *
 * Each record is a message of the workspace (end-to-end encrypted on Matrix, archived by MAM
 * on XMPP), not workspace state: Matrix state events are not encrypted, and job outputs and
 * logs are the user's data. Each record is a signed envelope of the orchestrator, numbered
 * (`seq`), so a reader believes only the records of the key that started the run, in order,
 * once each. The scheduler is deterministic, so replaying the records through it gives back
 * the state the orchestrator had.
 */
import { gunzipSync, gzipSync } from 'node:zlib';
import { messageOf, RemoteFailureError, UsageError } from '../errors.ts';
import { canonicalJson } from '../protocol/canonical-json.ts';
import {
  parseEnvelope,
  signEnvelope,
  verifySignature,
  type EnvelopeSigner,
  type SignedEnvelope,
} from '../protocol/signed.ts';
import { fingerprintOf, isPublicRaw, publicKeyFromRaw } from '../security/signing-key.ts';
import type {
  BlobRef,
  InboundMessage,
  JsonObject,
  JsonValue,
  Target,
  Transport,
  WaitOptions,
} from '../transport/transport.ts';
import type { RunEvent } from './orchestrator.ts';
import { createRunState, onJobFinished, type RunResult, type RunState } from './scheduler.ts';
import { workflowShapeProblem } from './scheduler-state.ts';
import type { InputValue, Workflow } from './workflow-types.ts';

/** The payload kind and version of journal records. */
export const JOURNAL_KIND = 'workflow.record';
export const JOURNAL_VERSION = 1;

/** Output is sent in batches: at most this often, or when this much is waiting. */
const OUTPUT_FLUSH_MS = 1000;
const OUTPUT_FLUSH_BYTES = 8 * 1024;
/** A line longer than this is cut in the journal (the live view shows it whole). */
const MAX_LINE_CHARS = 2000;
/** A workflow larger than this (canonical JSON) travels as a blob next to its record. */
const INLINE_WORKFLOW_BYTES = 20 * 1024;
const SEND_TIMEOUT_MS = 30_000;
/** Records are not requests: their window only says when they were written. */
const RECORD_LIFETIME_MS = 60_000;

/** Who signs the records: our signing key, public half included. */
export interface JournalKey extends EnvelopeSigner {
  readonly publicRaw: string;
}

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

/** Writes a run's records to its workspace, in order, without holding the run up. */
export class RunJournal {
  readonly #transport: Transport;
  readonly #target: Extract<Target, { kind: 'workspace' }>;
  readonly #key: JournalKey;
  readonly #agent: string;
  readonly #run: string;
  readonly #warn: (message: string) => void;
  #seq: number;
  #queue: Promise<void> = Promise.resolve();
  #pending: { job: string; lines: JournalLine[]; bytes: number } | undefined;
  #timer: NodeJS.Timeout | undefined;
  #failures = 0;

  constructor(options: {
    readonly transport: Transport;
    readonly workspace: string;
    readonly key: JournalKey;
    readonly agent: string;
    readonly run: string;
    /** The next record number: 0 for a new run, one past the last read for a resumed one. */
    readonly nextSeq?: number;
    readonly warn: (message: string) => void;
  }) {
    this.#transport = options.transport;
    this.#target = { kind: 'workspace', workspace: options.workspace };
    this.#key = options.key;
    this.#agent = options.agent;
    this.#run = options.run;
    this.#seq = options.nextSeq ?? 0;
    this.#warn = options.warn;
  }

  /** Records that could not be written (the run goes on; a resume may redo their jobs). */
  get failures(): number {
    return this.#failures;
  }

  /** The first record of a run: what it runs, with which inputs, signed by which key. */
  async begin(
    workflow: Workflow,
    inputs: Readonly<Record<string, InputValue>>,
    startedAt: number,
  ): Promise<void> {
    await joined(this.#transport, this.#target.workspace);
    const plain = JSON.parse(JSON.stringify(workflow)) as Workflow;
    const bytes = Buffer.from(canonicalJson(plain as unknown as JsonValue));
    let placed: { workflow: Workflow } | { workflowBlob: BlobRef };
    if (bytes.byteLength <= INLINE_WORKFLOW_BYTES) placed = { workflow: plain };
    else {
      const ref = await this.#transport.putBlob(
        gzipSync(bytes),
        { contentType: 'application/gzip', name: `${this.#run}.workflow.json.gz` },
        { timeoutMs: SEND_TIMEOUT_MS },
      );
      placed = { workflowBlob: ref };
    }
    this.#append({
      t: 'run',
      name: workflow.name,
      key: this.#key.publicRaw,
      inputs,
      startedAt,
      ...placed,
    });
    await this.#queue;
    if (this.#failures > 0)
      throw new RemoteFailureError(
        `could not write the run's first record to its workspace, so it could not be resumed or followed from elsewhere`,
      );
  }

  /** A resumed run says so before going on. */
  resumed(): void {
    this.#append({ t: 'resumed' });
  }

  /** Record what the orchestrator reports. */
  event(event: RunEvent): void {
    switch (event.type) {
      case 'job-started':
        this.#append({ t: 'job', job: event.job, attempt: event.attempt, agent: event.agent });
        break;
      case 'step-started':
        this.#append({ t: 'step', job: event.job, step: event.step, command: event.command });
        break;
      case 'output':
        this.#output(event.job, [event.stream === 'stdout' ? 'o' : 'e', clip(event.line)]);
        break;
      case 'worker-lost':
        this.#append({ t: 'lost', job: event.job, agent: event.agent, reason: event.reason });
        break;
      case 'job-finished':
        this.#append({
          t: 'done',
          job: event.job,
          ok: event.ok,
          outputs: event.outputs,
          ...(event.error === undefined ? {} : { error: event.error }),
        });
        break;
      case 'job-skipped':
        this.#append({ t: 'skip', job: event.job, reason: event.reason });
        break;
      case 'run-cancelling':
        this.#append({ t: 'cancel' });
        break;
      case 'run-finished':
        this.#append({ t: 'end', result: event.result });
        break;
    }
  }

  /** Write what waits and wait until every record has gone out (or failed). */
  async close(): Promise<void> {
    this.#flush();
    await this.#queue;
  }

  #output(job: string, line: JournalLine): void {
    if (this.#pending !== undefined && this.#pending.job !== job) this.#flush();
    this.#pending ??= { job, lines: [], bytes: 0 };
    this.#pending.lines.push(line);
    this.#pending.bytes += Buffer.byteLength(line[1]) + 8;
    if (this.#pending.bytes >= OUTPUT_FLUSH_BYTES) this.#flush();
    else
      this.#timer ??= setTimeout(() => {
        this.#flush();
      }, OUTPUT_FLUSH_MS);
  }

  #flush(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    const pending = this.#pending;
    this.#pending = undefined;
    if (pending !== undefined) this.#send({ t: 'out', job: pending.job, lines: pending.lines });
  }

  #append(entry: JournalEntry): void {
    this.#flush(); // output before what follows it
    this.#send(entry);
  }

  #send(entry: JournalEntry): void {
    const seq = this.#seq++;
    let envelope: SignedEnvelope;
    try {
      // Signed now, so its time is the event's; one over the envelope limit (huge job outputs)
      // is refused here and counts as lost.
      envelope = signEnvelope(this.#key, {
        kind: JOURNAL_KIND,
        agent: this.#agent,
        body: { run: this.#run, seq, ...entryToJson(entry) },
        lifetimeMs: RECORD_LIFETIME_MS,
      });
    } catch (error) {
      this.#lost(error);
      return;
    }
    this.#queue = this.#queue.then(async () => {
      try {
        await this.#transport.send(
          this.#target,
          {
            type: 'payload',
            payload: { kind: JOURNAL_KIND, version: JOURNAL_VERSION, body: envelope },
          },
          { timeoutMs: SEND_TIMEOUT_MS },
        );
      } catch (error) {
        this.#lost(error);
      }
    });
  }

  #lost(error: unknown): void {
    if (this.#failures++ === 0)
      this.#warn(
        `could not write the run's journal to its workspace (${messageOf(error)}); the run goes on, but a resume may redo jobs`,
      );
  }
}

/** The workspace's history has no such run. */
export class RunNotFoundError extends UsageError {}

/** What a workspace's journal says about one run. */
export interface RunRecords {
  readonly run: string;
  readonly workspace: string;
  /** The orchestrator's agent id and key fingerprint. */
  readonly agent: string;
  readonly fingerprint: string;
  readonly workflow: Workflow;
  readonly inputs: Readonly<Record<string, InputValue>>;
  readonly startedAt: number;
  /** In order, once each, all signed by the key that started the run. */
  readonly records: readonly JournalRecord[];
  /** Records that were not believed (a wrong key, a bad signature, malformed). */
  readonly rejected: number;
}

/**
 * Read a run's records from a workspace's history, newest page first, until its first record.
 * Throws RunNotFoundError when the history (as far as `maxPages` pages go) has no such run.
 */
export async function readRunRecords(
  transport: Transport,
  workspace: string,
  run: string,
  options: WaitOptions & { readonly maxPages?: number } = {},
): Promise<RunRecords> {
  await joined(transport, workspace, options);
  const target: Target = { kind: 'workspace', workspace };
  const envelopes: SignedEnvelope[] = [];
  let rejected = 0;
  let before: string | undefined;
  let first: SignedEnvelope | undefined;
  for (let page = 0; page < (options.maxPages ?? 200) && first === undefined; page++) {
    const result = await transport.history(
      target,
      { limit: 100, ...(before === undefined ? {} : { before }) },
      options,
    );
    for (const message of result.messages) {
      const envelope = envelopeOf(message, run);
      if (envelope === undefined) continue;
      if (typeof envelope === 'string') {
        rejected += 1;
        continue;
      }
      envelopes.push(envelope);
      if (envelope.body.seq === 0 && envelope.body.t === 'run') first ??= envelope;
    }
    if (result.next === undefined) break;
    before = result.next;
  }
  if (first === undefined)
    throw new RunNotFoundError(`no run ${run} in the history of workspace ${workspace}`);
  const head = parseEntry(first.body);
  if (typeof head === 'string' || head.t !== 'run' || !isPublicRaw(head.key))
    throw new RemoteFailureError(`run ${run}: its first record is damaged`);
  const publicKey = publicKeyFromRaw(head.key);
  if (fingerprintOf(publicKey) !== first.key || !verifySignature(first, publicKey))
    throw new RemoteFailureError(`run ${run}: its first record is not signed by the key it names`);
  const bySeq = new Map<number, JournalRecord>();
  for (const envelope of envelopes) {
    const entry = parseEntry(envelope.body);
    const seq = envelope.body.seq as number;
    if (
      typeof entry === 'string' ||
      envelope.key !== first.key ||
      envelope.agent !== first.agent ||
      !verifySignature(envelope, publicKey)
    ) {
      rejected += 1;
      continue;
    }
    if (!bySeq.has(seq)) bySeq.set(seq, { seq, at: envelope.issued, entry });
  }
  const workflow =
    head.workflow ??
    (head.workflowBlob === undefined
      ? undefined
      : (JSON.parse(
          gunzipSync(await transport.getBlob(head.workflowBlob, options), {
            maxOutputLength: 64 * 1024 * 1024,
          }).toString(),
        ) as unknown));
  const problem = workflowShapeProblem(workflow);
  if (problem !== undefined) throw new RemoteFailureError(`run ${run}: its workflow: ${problem}`);
  return {
    run,
    workspace,
    agent: first.agent,
    fingerprint: first.key,
    workflow: workflow as Workflow,
    inputs: head.inputs,
    startedAt: head.startedAt,
    records: [...bySeq.values()].sort((a, b) => a.seq - b.seq),
    rejected,
  };
}

/** What replaying a run's records gives. */
export interface ReplayedRun {
  readonly state: RunState;
  /** Set when the run ended. */
  readonly result?: RunResult;
  /** The agent of each job's last attempt. */
  readonly agents: Readonly<Record<string, string>>;
  /** When the last record was written. */
  readonly lastAt: number;
  /** Record numbers missing in between (records lost on the way). */
  readonly gaps: number;
  readonly resumes: number;
}

/** Rebuild the run's state by feeding its records to the scheduler in order. */
export function replayRun(run: RunRecords): ReplayedRun {
  let state = createRunState(run.workflow, run.inputs, run.startedAt);
  const agents: Record<string, string> = {};
  let result: RunResult | undefined;
  let lastAt = run.startedAt;
  let gaps = 0;
  let resumes = 0;
  let expected = 0;
  for (const { seq, at, entry } of run.records) {
    gaps += seq - expected;
    expected = seq + 1;
    lastAt = Math.max(lastAt, at);
    const job = 'job' in entry ? state.jobs[entry.job] : undefined;
    switch (entry.t) {
      case 'resumed':
        resumes += 1;
        state = { ...state, cancelled: false, jobs: resetUnfinished(state) };
        result = undefined;
        break;
      case 'job':
        if (job === undefined) break;
        agents[entry.job] = entry.agent;
        state = withJob(state, entry.job, {
          ...job,
          status: 'running',
          attempts: entry.attempt,
          startedAt: at,
        });
        break;
      case 'done':
        if (job?.status !== 'running') break;
        state = onJobFinished(
          state,
          entry.job,
          {
            ok: entry.ok,
            outputs: entry.outputs,
            ...(entry.error === undefined ? {} : { error: entry.error }),
          },
          at,
        );
        break;
      case 'skip':
        if (job === undefined) break;
        state = withJob(state, entry.job, {
          ...job,
          status: 'skipped',
          reason: entry.reason,
          finishedAt: at,
        });
        break;
      case 'cancel':
        state = { ...state, cancelled: true };
        break;
      case 'end':
        result = entry.result;
        break;
      case 'run':
      case 'step':
      case 'out':
      case 'lost':
        break; // what the run is, and its logs: no change of state
    }
  }
  return {
    state,
    ...(result === undefined ? {} : { result }),
    agents,
    lastAt,
    gaps,
    resumes,
  };
}

/** Join the workspace for this connection unless it is already. */
async function joined(transport: Transport, workspace: string, options: WaitOptions = {}) {
  if (!transport.joinedWorkspaces().includes(workspace))
    await transport.joinWorkspace(workspace, { timeoutMs: SEND_TIMEOUT_MS, ...options });
}

function withJob(state: RunState, id: string, job: RunState['jobs'][string]): RunState {
  return { ...state, jobs: { ...state.jobs, [id]: job } };
}

/** After a resume, what had not finished starts over (as the resumed orchestrator did). */
function resetUnfinished(state: RunState): RunState['jobs'] {
  return Object.fromEntries(
    Object.entries(state.jobs).map(([id, job]) => [
      id,
      job.status === 'succeeded' ? job : { status: 'pending' as const, attempts: 0, outputs: {} },
    ]),
  );
}

/** The envelope of a journal record of `run`; a reason when it is one but malformed. */
function envelopeOf(message: InboundMessage, run: string): SignedEnvelope | string | undefined {
  if (message.type !== 'payload' || message.payload.kind !== JOURNAL_KIND) return undefined;
  if (message.payload.version !== JOURNAL_VERSION) return undefined;
  const body = message.payload.body.body;
  if (typeof body !== 'object' || body === null || Array.isArray(body) || body.run !== run)
    return undefined;
  const envelope = parseEnvelope(message.payload.body);
  if (typeof envelope === 'string') return envelope;
  if (envelope.kind !== JOURNAL_KIND || !Number.isSafeInteger(envelope.body.seq))
    return 'not a journal record';
  if ((envelope.body.seq as number) < 0) return 'a negative record number';
  return envelope;
}

function entryToJson(entry: JournalEntry): JsonObject {
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
    case 'lost':
      return text(b.job) && text(b.agent) && text(b.reason)
        ? (b as unknown as JournalEntry)
        : 'lost: malformed';
    case 'done':
      return text(b.job) &&
        typeof b.ok === 'boolean' &&
        textRecord(b.outputs) &&
        (b.error === undefined || text(b.error))
        ? (b as unknown as JournalEntry)
        : 'done: malformed';
    case 'skip':
      return text(b.job) && text(b.reason) ? (b as unknown as JournalEntry) : 'skip: malformed';
    case 'end':
      return b.result === 'succeeded' || b.result === 'failed' || b.result === 'cancelled'
        ? (b as unknown as JournalEntry)
        : 'end: malformed';
    default:
      return `unknown record type ${JSON.stringify(b.t)}`;
  }
}

function clip(line: string): string {
  return line.length > MAX_LINE_CHARS ? `${line.slice(0, MAX_LINE_CHARS)}…` : line;
}
