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
import { gzipSync } from 'node:zlib';
import { messageOf, RemoteFailureError } from '../errors.ts';
import { canonicalJson } from '../protocol/canonical-json.ts';
import { signEnvelope, type EnvelopeSigner, type SignedEnvelope } from '../protocol/signed.ts';
import type { BlobRef, JsonValue, Target, Transport } from '../transport/transport.ts';
import type { RunEvent } from './orchestrator.ts';
import {
  JOURNAL_KIND,
  JOURNAL_VERSION,
  entryToJson,
  joinedWorkspace,
  type JournalEntry,
  type JournalLine,
} from './run-records.ts';
import type { InputValue, Workflow } from './workflow-types.ts';

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
    await joinedWorkspace(this.#transport, this.#target.workspace);
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
          ...(event.artifacts === undefined ? {} : { artifacts: event.artifacts }),
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
      case 'job-held':
        this.#append({
          t: 'held',
          job: event.job,
          agent: event.agent,
          approval: event.approval,
          expires: event.expires,
        });
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

function clip(line: string): string {
  return line.length > MAX_LINE_CHARS ? `${line.slice(0, MAX_LINE_CHARS)}…` : line;
}
