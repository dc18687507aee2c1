/**
 * A running task's output on its way back to the requester: chunks of at most
 * OUTPUT_CHUNK_BYTES, gathered for a moment so a chatty program is not one message per write,
 * sent strictly in order, numbered. The stdout seen so far (its first MiB) gives the
 * `::output NAME=VALUE` outputs.
 */
import type { Target, Transport } from '../transport/transport.ts';
import {
  OUTPUT_CHUNK_BYTES,
  TASK_KINDS,
  TASK_VERSION,
  outputToJson,
  outputsFrom,
} from './task-protocol.ts';

const GATHER_MS = 50;
const KEEP_STDOUT_BYTES = 1024 * 1024;
const SEND_TIMEOUT_MS = 30_000;

/** Sends one task's output. */
export class TaskOutputSender {
  readonly #transport: Transport;
  readonly #to: Target;
  readonly #re: string;
  readonly #onError: (error: unknown) => void;
  #seq = 0;
  #pending: { stream: 'stdout' | 'stderr'; chunks: Buffer[]; bytes: number } | undefined;
  #timer: NodeJS.Timeout | undefined;
  #chain: Promise<void> = Promise.resolve();
  readonly #stdout: Buffer[] = [];
  #stdoutBytes = 0;

  constructor(transport: Transport, to: Target, re: string, onError: (error: unknown) => void) {
    this.#transport = transport;
    this.#to = to;
    this.#re = re;
    this.#onError = onError;
  }

  /** Take a chunk the program wrote. */
  push(stream: 'stdout' | 'stderr', chunk: Buffer): void {
    if (stream === 'stdout' && this.#stdoutBytes < KEEP_STDOUT_BYTES) {
      this.#stdout.push(chunk);
      this.#stdoutBytes += chunk.byteLength;
    }
    if (this.#pending && this.#pending.stream !== stream) this.#cut();
    this.#pending ??= { stream, chunks: [], bytes: 0 };
    this.#pending.chunks.push(chunk);
    this.#pending.bytes += chunk.byteLength;
    if (this.#pending.bytes >= OUTPUT_CHUNK_BYTES) this.#cut();
    else
      this.#timer ??= setTimeout(() => {
        this.#cut();
      }, GATHER_MS);
  }

  /** Send what is gathered and wait until everything has gone out. */
  async flush(): Promise<void> {
    this.#cut();
    await this.#chain;
  }

  /** The outputs the program set so far. */
  outputs(): Record<string, string> {
    return outputsFrom(Buffer.concat(this.#stdout).toString('utf8'));
  }

  #cut(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    const pending = this.#pending;
    this.#pending = undefined;
    if (!pending) return;
    const bytes = Buffer.concat(pending.chunks);
    for (let at = 0; at < bytes.byteLength; at += OUTPUT_CHUNK_BYTES) {
      const body = outputToJson({
        re: this.#re,
        seq: this.#seq++,
        stream: pending.stream,
        data: bytes.subarray(at, at + OUTPUT_CHUNK_BYTES),
      });
      this.#chain = this.#chain.then(async () => {
        try {
          await this.#transport.send(
            this.#to,
            { type: 'payload', payload: { kind: TASK_KINDS.output, version: TASK_VERSION, body } },
            { timeoutMs: SEND_TIMEOUT_MS },
          );
        } catch (error) {
          this.#onError(error);
        }
      });
    }
  }
}
