/**
 * Reading a run back from its workspace's journal (specs/protocol.md §9.1): the records of one
 * run, believed only when signed by the key that started it, and the run's state rebuilt by
 * feeding them to the scheduler in order — what `workflow status`, `workflow logs` and
 * `workflow run --resume` start from.
 */
import type { KeyObject } from 'node:crypto';
import { gunzipSync } from 'node:zlib';
import { RemoteFailureError, UsageError } from '../errors.ts';
import { parseEnvelope, verifySignature, type SignedEnvelope } from '../protocol/signed.ts';
import { fingerprintOf, isPublicRaw, publicKeyFromRaw } from '../security/signing-key.ts';
import type { InboundMessage, Target, Transport, WaitOptions } from '../transport/transport.ts';
import {
  JOURNAL_KIND,
  JOURNAL_VERSION,
  joinedWorkspace,
  parseEntry,
  type JournalRecord,
} from './run-records.ts';
import { createRunState, onJobFinished, type RunResult, type RunState } from './scheduler.ts';
import { workflowShapeProblem } from './scheduler-state.ts';
import type { InputValue, Workflow } from './workflow-types.ts';

/** The workspace's history has no such run. */
export class RunNotFoundError extends UsageError {}

/** What a workspace's journal says about one run. */
export interface RunRecords {
  readonly run: string;
  readonly workspace: string;
  /** The orchestrator's agent id and key fingerprint. */
  readonly agent: string;
  readonly fingerprint: string;
  /** Its public key (`ed25519:…`), which every record must be signed with. */
  readonly publicKey: string;
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
  await joinedWorkspace(transport, workspace, options);
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
  const signer = { agent: first.agent, fingerprint: first.key, key: publicKey };
  for (const envelope of envelopes) {
    const record = believed(envelope, signer);
    if (record === undefined) rejected += 1;
    else if (!bySeq.has(record.seq)) bySeq.set(record.seq, record);
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
    publicKey: head.key,
    workflow: workflow as Workflow,
    inputs: head.inputs,
    startedAt: head.startedAt,
    records: [...bySeq.values()].sort((a, b) => a.seq - b.seq),
    rejected,
  };
}

/**
 * Follow a run as it goes on: hand each record after `afterSeq` to `onRecord`, in order, once,
 * believing only the key that started it; resolves after its `end` record, or when `signal`
 * aborts. Records written while the history was being read are caught up from the history.
 */
export async function followRun(
  transport: Transport,
  run: RunRecords,
  afterSeq: number,
  onRecord: (record: JournalRecord) => void,
  signal: AbortSignal,
): Promise<void> {
  const signer = {
    agent: run.agent,
    fingerprint: run.fingerprint,
    key: publicKeyFromRaw(run.publicKey),
  };
  const waiting = new Map<number, JournalRecord>();
  let next = afterSeq + 1;
  const ended = Promise.withResolvers<undefined>();
  const take = (record: JournalRecord): void => {
    if (record.seq < next) return;
    waiting.set(record.seq, record);
    for (let r = waiting.get(next); r !== undefined; r = waiting.get(next)) {
      waiting.delete(next++);
      onRecord(r);
      if (r.entry.t === 'end') ended.resolve(undefined);
    }
  };
  const unsubscribe = transport.subscribe((event) => {
    if (event.type !== 'payload' && event.type !== 'text') return;
    if (event.target.kind !== 'workspace' || event.target.workspace !== run.workspace) return;
    const envelope = envelopeOf(event, run.run);
    const record = typeof envelope === 'object' ? believed(envelope, signer) : undefined;
    if (record !== undefined) take(record);
  });
  // The newest pages of the history, back to a record already handed on (not the whole run).
  const catchUp = async (): Promise<void> => {
    const target: Target = { kind: 'workspace', workspace: run.workspace };
    let before: string | undefined;
    for (let page = 0; page < MAX_CATCH_UP_PAGES; page++) {
      const result = await transport.history(
        target,
        { limit: 100, ...(before === undefined ? {} : { before }) },
        { signal },
      );
      let known = false;
      for (const message of result.messages) {
        const envelope = envelopeOf(message, run.run);
        const record = typeof envelope === 'object' ? believed(envelope, signer) : undefined;
        if (record === undefined) continue;
        if (record.seq < next) known = true;
        else take(record);
      }
      if (known || result.next === undefined) return;
      before = result.next;
    }
  };
  const onAbort = (): void => {
    ended.resolve(undefined);
  };
  signal.addEventListener('abort', onAbort, { once: true });
  try {
    // Live records, and the history now and then: a record missed live (sent through the same
    // session host, or while reconnecting) still arrives.
    const state = { done: false };
    void ended.promise.then(() => {
      state.done = true;
    });
    while (!state.done) {
      await catchUp();
      await Promise.race([ended.promise, sleep(FOLLOW_POLL_MS)]);
    }
  } catch (error) {
    if (!signal.aborted) throw error;
  } finally {
    signal.removeEventListener('abort', onAbort);
    unsubscribe();
  }
}

const FOLLOW_POLL_MS = 2000;
const MAX_CATCH_UP_PAGES = 200;

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}

/** The record an envelope holds when `signer` signed it; undefined when it is not to be believed. */
function believed(
  envelope: SignedEnvelope,
  signer: { readonly agent: string; readonly fingerprint: string; readonly key: KeyObject },
): JournalRecord | undefined {
  const entry = parseEntry(envelope.body);
  if (
    typeof entry === 'string' ||
    envelope.key !== signer.fingerprint ||
    envelope.agent !== signer.agent ||
    !verifySignature(envelope, signer.key)
  )
    return undefined;
  return { seq: envelope.body.seq as number, at: envelope.issued, entry };
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
            ...(entry.artifacts === undefined ? {} : { artifacts: entry.artifacts }),
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
      case 'held':
        if (job?.status !== 'running') break;
        state = withJob(state, entry.job, {
          ...job,
          reason: `held by ${entry.agent} until its owner approves it (${entry.approval})`,
        });
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
