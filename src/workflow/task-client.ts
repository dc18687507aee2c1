/**
 * The requesting side of a task (the orchestrator): sign a request, send it to the worker,
 * follow its output in order, and believe only answers signed by that worker's trusted key
 * for this request. Aborting sends a signed cancel and waits for the worker's last word.
 */
import { NetworkError, RemoteFailureError } from '../errors.ts';
import { signEnvelope, type EnvelopeSigner } from '../protocol/signed.ts';
import { verifyResult } from '../security/request-gate.ts';
import type { InboundMessage, Target, Transport } from '../transport/transport.ts';
import {
  KEEPALIVE_MISSES,
  REQUEST_LIFETIME_MS,
  TASK_KINDS,
  TASK_VERSION,
  parseAccepted,
  parseAlive,
  parseRejected,
  parseResult,
  taskSpecToJson,
  type TaskAccepted,
  type TaskResult,
  type TaskSpec,
} from './task-protocol.ts';
import { parseHeld, type TaskHeld } from './task-held.ts';
import { TaskOutputFollower } from './task-stream-follow.ts';

/** The worker asked: where it is, and the key its answers must be signed with. */
export interface WorkerRef {
  readonly agent: string;
  readonly address: string;
  /** `ed25519:…`, from the trust store. */
  readonly publicKey: string;
}

/** How a task ended, as far as the requester knows. */
export type TaskOutcome =
  | { readonly kind: 'result'; readonly result: TaskResult; readonly accepted: TaskAccepted }
  | { readonly kind: 'rejected'; readonly stage: string; readonly reason: string };

/** What to run and how to follow it. */
export interface RemoteTask {
  readonly agent: string;
  readonly key: EnvelopeSigner;
  readonly worker: WorkerRef;
  readonly spec: TaskSpec;
  readonly signal?: AbortSignal;
  /** How long to wait for the worker to accept or refuse. */
  readonly answerTimeoutMs?: number;
  readonly onAccepted?: (accepted: TaskAccepted) => void;
  /** The worker holds the task until its owner approves it (then it is accepted, or rejected). */
  readonly onHeld?: (held: TaskHeld) => void;
  /** Output as it arrives, in order per stream (its streams, specs/protocol.md §9). */
  readonly onOutput?: (stream: 'stdout' | 'stderr', data: Uint8Array) => void;
  /** Something arrived that was not believed (a forged or malformed answer). */
  readonly onRejected?: (reason: string) => void;
  /** Trouble following the output (a hole skipped, a blob that did not download). */
  readonly log?: (level: 'warn' | 'debug', message: string) => void;
}

const CANCEL_GRACE_MS = 15_000;
/** How long past a hold's expiry the worker's refusal may take (clocks differ, networks lag). */
const HOLD_MARGIN_MS = 60_000;

/** Run one task on a worker and resolve with how it ended. */
export async function runRemoteTask(transport: Transport, task: RemoteTask): Promise<TaskOutcome> {
  const request = signEnvelope(task.key, {
    kind: TASK_KINDS.request,
    agent: task.agent,
    body: taskSpecToJson(task.spec),
    lifetimeMs: REQUEST_LIFETIME_MS,
  });
  const to: Target = { kind: 'direct', address: task.worker.address };
  const done = Promise.withResolvers<TaskOutcome>();
  let accepted: TaskAccepted | undefined;
  let held: TaskHeld | undefined;
  let holdTimer: NodeJS.Timeout | undefined;
  const expected = {
    agent: task.worker.agent,
    publicKey: task.worker.publicKey,
    requestNonce: request.nonce,
  };
  // After the acceptance, a worker that says nothing (no output, no keepalive) for several of
  // its keepalive intervals is gone: its process or machine died, or it lost its connection.
  let silence: NodeJS.Timeout | undefined;
  /** Its last word arrived: the silence watch is over. */
  let ended = false;
  const heard = (): void => {
    const every = (accepted ?? held)?.keepaliveMs;
    if (every === undefined || ended) return;
    clearTimeout(silence);
    // Missed intervals, plus slack for a slow network (up to 5 s).
    const limit = every * KEEPALIVE_MISSES + Math.min(5_000, every * 2);
    silence = setTimeout(() => {
      done.reject(
        new NetworkError(
          `agent ${task.worker.agent} (${task.worker.address}) stopped answering: nothing from it for ${String(Math.round(limit / 1000))} s while its task ${accepted ? 'ran' : 'waited for approval'}`,
        ),
      );
    }, limit);
  };
  const onMessage = (m: InboundMessage & { type: 'payload' }): void => {
    if (
      m.from !== task.worker.address &&
      m.from.split('/')[0] !== task.worker.address.split('/')[0]
    )
      return;
    if (m.payload.kind === TASK_KINDS.alive) {
      if (parseAlive(m.payload.body) === request.nonce) heard();
      return;
    }
    if (
      ![TASK_KINDS.accepted, TASK_KINDS.held, TASK_KINDS.rejected, TASK_KINDS.result].includes(
        m.payload.kind as never,
      )
    )
      return;
    // An answer to another request (another task on this worker) is not ours: skip it before
    // the signature work, which would otherwise grow with the number of tasks running at once.
    if (m.payload.body.re !== request.nonce) return;
    const verdict = verifyResult(m.payload.body, expected);
    if (!verdict.ok) {
      task.onRejected?.(verdict.reason);
      return;
    }
    const { envelope } = verdict;
    if (envelope.kind !== m.payload.kind) return;
    if (m.payload.kind === TASK_KINDS.held) {
      if (accepted || held) return;
      held = parseHeld(envelope.body);
      if (held) onHeld(held);
    } else if (m.payload.kind === TASK_KINDS.accepted) {
      accepted = parseAccepted(envelope.body);
      if (accepted) {
        clearTimeout(holdTimer);
        heard();
        task.onAccepted?.(accepted);
      }
    } else if (m.payload.kind === TASK_KINDS.rejected) {
      const rejected = parseRejected(envelope.body);
      // Our nonce is fresh and sent once: a replay verdict is about a second copy of the
      // request (the network delivered it twice), and the copy that passed has its own answer.
      if (rejected && rejected.stage !== 'replay') {
        ended = true;
        clearTimeout(silence);
        void output.settle(undefined).then(() => {
          done.resolve({ kind: 'rejected', ...rejected });
        });
      }
    } else {
      const result = parseResult(envelope.body);
      if (!result) return;
      ended = true;
      clearTimeout(silence);
      // The worker sent the result after its output was delivered; output still on its way
      // (a blob downloading, a retried send) is waited for briefly, then what came is shown.
      void output.settle(result.outputBytes).then(() => {
        done.resolve({
          kind: 'result',
          result,
          accepted: accepted ?? { sandboxed: result.sandboxed, timeoutMs: 0, maxOutputBytes: 0 },
        });
      });
    }
  };
  // Held for approval: no answer timeout now, but the worker's own expiry (and keepalives).
  const onHeld = (h: TaskHeld): void => {
    clearTimeout(answerTimer);
    const wait = Math.max(0, h.expires - Date.now()) + HOLD_MARGIN_MS;
    holdTimer = setTimeout(() => {
      done.resolve({
        kind: 'rejected',
        stage: 'approval',
        reason: `approval ${h.approval} expired at ${new Date(h.expires).toISOString()} and agent ${task.worker.agent} said nothing more`,
      });
    }, wait);
    heard();
    task.onHeld?.(h);
  };
  // Listening before the request goes out: the output may overtake the acceptance.
  const output = new TaskOutputFollower({
    transport,
    from: to,
    nonce: request.nonce,
    onHeard: heard,
    ...(task.onOutput ? { onOutput: task.onOutput } : {}),
    ...(task.log ? { log: task.log } : {}),
  });
  const unsubscribe = transport.subscribe((event) => {
    if (event.type === 'payload') onMessage(event);
  });
  const answerTimer = setTimeout(() => {
    if (!accepted && !held)
      done.reject(
        new NetworkError(
          `agent ${task.worker.agent} (${task.worker.address}) did not answer the task request within ${String(Math.round((task.answerTimeoutMs ?? 60_000) / 1000))} s`,
        ),
      );
  }, task.answerTimeoutMs ?? 60_000);
  const onAbort = (): void => {
    void cancelTask(transport, task, to, request.nonce).catch(() => undefined);
    setTimeout(() => {
      done.reject(new RemoteFailureError(`agent ${task.worker.agent} did not confirm the cancel`));
    }, CANCEL_GRACE_MS).unref();
  };
  task.signal?.addEventListener('abort', onAbort, { once: true });
  try {
    await transport.send(
      to,
      {
        type: 'payload',
        payload: { kind: TASK_KINDS.request, version: TASK_VERSION, body: request },
      },
      task.signal ? { signal: task.signal } : {},
    );
    return await done.promise;
  } finally {
    clearTimeout(answerTimer);
    clearTimeout(holdTimer);
    clearTimeout(silence);
    task.signal?.removeEventListener('abort', onAbort);
    unsubscribe();
    output.close();
  }
}

async function cancelTask(
  transport: Transport,
  task: RemoteTask,
  to: Target,
  nonce: string,
): Promise<void> {
  const cancel = signEnvelope(task.key, {
    kind: TASK_KINDS.cancel,
    agent: task.agent,
    body: { re: nonce },
    lifetimeMs: REQUEST_LIFETIME_MS,
  });
  await transport.send(
    to,
    { type: 'payload', payload: { kind: TASK_KINDS.cancel, version: TASK_VERSION, body: cancel } },
    { timeoutMs: 10_000 },
  );
}
