/**
 * The requester's side of a task's output streams (task-stream.ts): it follows both, from before
 * the request goes out, with the stream follower (in order, duplicates dropped, holes filled
 * from history), and hands the bytes on. When the result arrives, the output sent before it is
 * waited for — all `output_bytes` of it, for a short grace at most — before the task is done.
 */
import { sameConversation } from '../stream/conversation.ts';
import { followStream } from '../stream/follower.ts';
import type { InboundMessage, Target, Transport } from '../transport/transport.ts';
import { TASK_CHANNELS, taskStreamId, type TaskChannel } from './task-stream.ts';

/** How long, after the result, output still on its way is waited for. */
export const OUTPUT_GRACE_MS = 5_000;

/** What to follow and where the output goes. */
export interface TaskFollowOptions {
  readonly transport: Transport;
  /** The worker, directly. */
  readonly from: Target;
  /** The request's nonce. */
  readonly nonce: string;
  readonly onOutput?: (channel: TaskChannel, data: Uint8Array) => void;
  /** Any event of these streams arrived (in order or not): the worker is alive. */
  readonly onHeard: () => void;
  readonly log?: (level: 'warn' | 'debug', message: string) => void;
}

/** Follows one task's stdout and stderr. */
export class TaskOutputFollower {
  readonly #stop = new AbortController();
  readonly #finish = new AbortController();
  readonly #followed: Promise<void>[];
  readonly #ids: ReadonlySet<string>;
  readonly #unsubscribe: () => void;
  #delivered = 0;
  #wanted = Number.POSITIVE_INFINITY;
  #enough: (() => void) | undefined;

  constructor(o: TaskFollowOptions) {
    const log = o.log ?? (() => undefined);
    this.#ids = new Set(TASK_CHANNELS.map((channel) => taskStreamId(o.nonce, channel)));
    this.#unsubscribe = o.transport.subscribe((event) => {
      if (event.type === 'payload' && sameConversation(event.target, o.from) && this.#isOurs(event))
        o.onHeard();
    });
    this.#followed = TASK_CHANNELS.map((channel) =>
      followStream({
        transport: o.transport,
        target: o.from,
        stream: taskStreamId(o.nonce, channel),
        from: { kind: 'new' },
        signal: this.#stop.signal,
        finish: this.#finish.signal,
        log,
        render: (event) => {
          if (event.type !== 'output') return;
          this.#delivered += event.bytes.byteLength;
          o.onOutput?.(channel, event.bytes);
          if (this.#delivered >= this.#wanted) this.#enough?.();
        },
      }).then(
        () => undefined,
        (error: unknown) => {
          log('warn', `the ${channel} of task ${o.nonce} broke off: ${String(error)}`);
        },
      ),
    );
  }

  /**
   * The task ended having written `outputBytes` (undefined: not known): wait until that much
   * has been handed on, or `graceMs`, then hand on what has arrived, skipping what has not.
   */
  async settle(outputBytes: number | undefined, graceMs = OUTPUT_GRACE_MS): Promise<void> {
    if (outputBytes !== undefined && this.#delivered < outputBytes) {
      this.#wanted = outputBytes;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, graceMs);
        this.#enough = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
    this.#finish.abort();
    await Promise.all(this.#followed);
  }

  /** Stop following (whatever is still on its way is dropped). */
  close(): void {
    this.#unsubscribe();
    this.#stop.abort();
  }

  #isOurs(event: InboundMessage): boolean {
    if (event.type !== 'payload' || !event.payload.kind.startsWith('stream.')) return false;
    const stream = event.payload.body.stream;
    return typeof stream === 'string' && this.#ids.has(stream);
  }
}
