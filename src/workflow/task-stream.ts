/**
 * A running task's output on its way back to the requester, as terminal streams (specs/protocol.md
 * §5, §9): one stream per output, stdout and stderr, each published directly to the requester by
 * a StreamPublisher — coalesced adaptively, retried, large output in blobs. A stream begins at
 * its first byte: a job that writes nothing to stderr sends nothing for it. The stdout seen so
 * far (its first MiB) gives the `::output NAME=VALUE` outputs.
 */
import { messageOf } from '../errors.ts';
import { StreamPublisher } from '../stream/publisher.ts';
import type { Target, Transport } from '../transport/transport.ts';
import { outputsFrom } from './task-protocol.ts';

/** Which output of a job. */
export type TaskChannel = 'stdout' | 'stderr';

/** Both channels, in the order their streams are listed. */
export const TASK_CHANNELS: readonly TaskChannel[] = ['stdout', 'stderr'];

const KEEP_STDOUT_BYTES = 1024 * 1024;

/**
 * The stream id of a task's output on `channel`: `task-`, the request nonce's 16 bytes in hex,
 * `-out` or `-err`. Both sides derive it; the nonce is known only to the two of them.
 */
export function taskStreamId(nonce: string, channel: TaskChannel): string {
  const hex = Buffer.from(nonce, 'base64url').toString('hex');
  return `task-${hex}-${channel === 'stdout' ? 'out' : 'err'}`;
}

/** Sends one task's output as its streams. */
export class TaskOutputStreams {
  readonly #transport: Transport;
  readonly #to: Target;
  readonly #nonce: string;
  readonly #log: (level: 'debug' | 'warn', message: string) => void;
  readonly #startedAt = Date.now();
  readonly #publishers = new Map<TaskChannel, StreamPublisher>();
  readonly #stdout: Buffer[] = [];
  #stdoutBytes = 0;

  /** `to`: the requester, directly (never a workspace); `nonce`: the request's. */
  constructor(
    transport: Transport,
    to: Target,
    nonce: string,
    log: (level: 'debug' | 'warn', message: string) => void,
  ) {
    this.#transport = transport;
    this.#to = to;
    this.#nonce = nonce;
    this.#log = log;
  }

  /** Take a chunk the program wrote. */
  push(channel: TaskChannel, chunk: Buffer): void {
    if (channel === 'stdout' && this.#stdoutBytes < KEEP_STDOUT_BYTES) {
      this.#stdout.push(chunk);
      this.#stdoutBytes += chunk.byteLength;
    }
    this.#publisher(channel).output(chunk);
  }

  /**
   * The job ended: end its streams and wait until they are delivered (or `timeoutMs` passes),
   * so that the result, sent next, comes after all of its output. Never throws.
   */
  async end(exitCode: number | null, signal: string | null, timeoutMs: number): Promise<void> {
    await Promise.all(
      [...this.#publishers].map(([channel, publisher]) =>
        publisher.end(exitCode, signal ?? undefined, timeoutMs).catch((error: unknown) => {
          this.#log('warn', `${channel} of task ${this.#nonce} not sent: ${messageOf(error)}`);
        }),
      ),
    );
  }

  /** The outputs the program set so far. */
  outputs(): Record<string, string> {
    return outputsFrom(Buffer.concat(this.#stdout).toString('utf8'));
  }

  #publisher(channel: TaskChannel): StreamPublisher {
    let publisher = this.#publishers.get(channel);
    if (!publisher) {
      // No stream.start: the signed request already says what runs, and the requester follows
      // from sequence number 0 (it listens before it asks).
      publisher = new StreamPublisher({
        transport: this.#transport,
        target: this.#to,
        stream: taskStreamId(this.#nonce, channel),
        startedAt: this.#startedAt,
        log: this.#log,
      });
      this.#publishers.set(channel, publisher);
    }
    return publisher;
  }
}
