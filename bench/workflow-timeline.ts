/**
 * Where a job's time goes, for the workflow benchmark: marks from the orchestrator's events and
 * from taps on the orchestrator's and the workers' transports, matched by the request's nonce.
 * The workers run in processes of their own, so every mark is on the clock they share:
 * {@link clock}, ms since the epoch with sub-millisecond precision.
 */
import type { Outbound, Target, Transport, WaitOptions } from '../src/transport/transport.ts';
import { TASK_KINDS } from '../src/workflow/task-protocol.ts';

/** Now, in ms since the epoch, comparable across processes (unlike `performance.now()`). */
export const clock = (): number => performance.timeOrigin + performance.now();

/** The moments of a job's life that are marked. */
export type Mark =
  | 'started'
  | 'requestSend'
  | 'requestArrived'
  | 'acceptedSend'
  | 'resultSend'
  | 'resultArrived'
  | 'finished';

/** A job with every mark and the process time its worker reported. */
export interface TimedJob {
  readonly job: string;
  readonly at: Readonly<Record<Mark, number>>;
  readonly durationMs: number;
}

const MARKS: readonly Mark[] = [
  'started',
  'requestSend',
  'requestArrived',
  'acceptedSend',
  'resultSend',
  'resultArrived',
  'finished',
];

/** The segments a job's overhead is made of; together they add up to it. */
export const SEGMENTS: readonly { name: string; ms: (j: TimedJob) => number }[] = [
  {
    name: 'orchestrator: started → request sent',
    ms: (j) => j.at.requestSend - j.at.started,
  },
  {
    name: 'request: sent → arrived at the worker',
    ms: (j) => j.at.requestArrived - j.at.requestSend,
  },
  {
    name: 'worker: arrived → accepted sent (the gate)',
    ms: (j) => j.at.acceptedSend - j.at.requestArrived,
  },
  {
    name: 'worker: accepted sent → result sent, minus the process',
    ms: (j) => j.at.resultSend - j.at.acceptedSend - j.durationMs,
  },
  {
    name: 'result: sent → arrived at the orchestrator',
    ms: (j) => j.at.resultArrived - j.at.resultSend,
  },
  {
    name: 'orchestrator: result arrived → job finished',
    ms: (j) => j.at.finished - j.at.resultArrived,
  },
];

/** Where a tapped transport reports its marks. */
export interface MarkSink {
  /** A request for `job` is being sent with `nonce`. */
  request(nonce: string, job: string, at: number): void;
  /** Something happened to the request `nonce` (and its worker reported `durationMs`). */
  markNonce(nonce: string, mark: Mark, at: number, durationMs?: number): void;
}

/** The marks of every job of one run. */
export class JobTimeline implements MarkSink {
  #jobs = new Map<string, { at: Partial<Record<Mark, number>>; durationMs?: number }>();
  #jobOfNonce = new Map<string, string>();

  reset(): void {
    this.#jobs = new Map();
    this.#jobOfNonce = new Map();
  }

  /** Mark `job` now (the first time only: no job is retried here). */
  mark(job: string, mark: Mark, at = clock()): void {
    const entry = this.#entry(job);
    entry.at[mark] ??= at;
  }

  /** A request for `job` went out with `nonce`. */
  request(nonce: string, job: string, at: number): void {
    this.#jobOfNonce.set(nonce, job);
    this.mark(job, 'requestSend', at);
  }

  /** Mark the job the request `nonce` was for. */
  markNonce(nonce: string, mark: Mark, at: number, durationMs?: number): void {
    const job = this.#jobOfNonce.get(nonce);
    if (job === undefined) return;
    this.mark(job, mark, at);
    if (durationMs !== undefined) this.#entry(job).durationMs = durationMs;
  }

  of(job: string): Partial<Record<Mark, number>> | undefined {
    return this.#jobs.get(job)?.at;
  }

  /** The jobs with every mark. */
  complete(): TimedJob[] {
    const out: TimedJob[] = [];
    for (const [job, { at, durationMs }] of this.#jobs)
      if (durationMs !== undefined && MARKS.every((m) => at[m] !== undefined))
        out.push({ job, at: at as Record<Mark, number>, durationMs });
    return out;
  }

  #entry(job: string): { at: Partial<Record<Mark, number>>; durationMs?: number } {
    let entry = this.#jobs.get(job);
    if (!entry) this.#jobs.set(job, (entry = { at: {} }));
    return entry;
  }
}

const text = (value: unknown): string | undefined =>
  typeof value === 'string' ? value : undefined;

/**
 * `transport` with its task messages marked on `timeline`: what it sends (a request, an
 * acceptance, a result) as the send is asked for, what arrives as it is delivered.
 */
export function tapTransport(transport: Transport, timeline: MarkSink): Transport {
  transport.subscribe((event) => {
    if (event.type !== 'payload') return;
    const envelope = event.payload.body;
    const body = envelope.body as Record<string, unknown> | undefined;
    if (event.payload.kind === TASK_KINDS.request) {
      const nonce = text(envelope.nonce);
      if (nonce !== undefined) timeline.markNonce(nonce, 'requestArrived', clock());
    } else if (event.payload.kind === TASK_KINDS.result) {
      const re = text(envelope.re);
      const ms = body?.duration_ms;
      if (re !== undefined && typeof ms === 'number')
        timeline.markNonce(re, 'resultArrived', clock(), ms);
    }
  });
  const send = (to: Target, message: Outbound, options?: WaitOptions) => {
    if (message.type === 'payload') {
      const envelope = message.payload.body;
      const kind = message.payload.kind;
      if (kind === TASK_KINDS.request) {
        const nonce = text(envelope.nonce);
        const job = text((envelope.body as Record<string, unknown> | undefined)?.job);
        if (nonce !== undefined && job !== undefined) timeline.request(nonce, job, clock());
      } else if (kind === TASK_KINDS.accepted || kind === TASK_KINDS.result) {
        const re = text(envelope.re);
        if (re !== undefined)
          timeline.markNonce(
            re,
            kind === TASK_KINDS.accepted ? 'acceptedSend' : 'resultSend',
            clock(),
          );
      }
    }
    return transport.send(to, message, options);
  };
  return new Proxy(transport, {
    get(target, property) {
      if (property === 'send') return send;
      // The transport itself as `this`: its getters and methods read its private fields.
      const value: unknown = Reflect.get(target, property);
      return typeof value === 'function' ? (value as () => unknown).bind(target) : value;
    },
  });
}
