/**
 * A reply that streams in place: the first words go out as a message as soon as they exist,
 * then the same message is edited (Matrix `m.replace`, XMPP XEP-0308 correction) at most once
 * per interval, marked `…` until the final text replaces it. Sends are strictly one after the
 * other. With streaming off, only the final text is sent.
 *
 * The reply's first message may carry an id derived from the message it answers (`replyId`):
 * a process restarted after a crash that answers the message again sends the same id, which
 * the network recognises as the message already shown (transport.ts, OutboundText.id), and
 * its final text becomes an edit of that one instead of a second answer.
 */
import { createHash } from 'node:crypto';

/**
 * How a reply reaches the conversation: a new message (with the sender-chosen `id`, when
 * given), or a replacement of `replaces`.
 */
export type SendReply = (
  text: string,
  replaces?: string,
  id?: string,
) => Promise<{ readonly id: string }>;

/** Options of a writer. */
export interface ReplyWriterOptions {
  readonly stream: boolean;
  /** The least time between two edits. */
  readonly intervalMs: number;
  /** The id of the reply's first message (`replyId`); random when absent. */
  readonly id?: string;
}

/**
 * The id of the answer to message `messageId` in `conversation`: the same on every attempt,
 * shaped as a UUID (RFC 9562 version 8, name-based) like the random ones.
 */
export function replyId(conversation: string, messageId: string): string {
  const hex = createHash('sha256').update(`${conversation}\n${messageId}`).digest('hex');
  const variant = ((Number.parseInt(hex[16] ?? '0', 16) & 0x3) | 0x8).toString(16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-8${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

/**
 * How long a reply may wait for the network. A send gives up after 30 s by default, but a
 * reply the model has already written (and that was paid for) is still worth delivering after
 * an outage of a few minutes: the transport queues it and sends it, in order, on reconnect.
 */
export const REPLY_DELIVERY_MS = 10 * 60_000;

/** Marks a reply still being written. */
export const IN_PROGRESS = ' …';

/** One reply being written. */
export class ReplyWriter {
  readonly #send: SendReply;
  readonly #options: ReplyWriterOptions;
  #id: string | undefined;
  #shown = '';
  #pending: string | undefined;
  #chain: Promise<void> = Promise.resolve();
  #timer: NodeJS.Timeout | undefined;
  #lastSend = 0;
  #finished = false;
  #error: Error | undefined;

  constructor(send: SendReply, options: ReplyWriterOptions) {
    this.#send = send;
    this.#options = options;
  }

  /** The id of the message shown so far, if one was sent. */
  get id(): string | undefined {
    return this.#id;
  }

  /** The reply so far; shown now or at the next interval. */
  update(textSoFar: string): void {
    if (!this.#options.stream || this.#finished || textSoFar.trim() === '') return;
    this.#pending = textSoFar;
    if (this.#timer !== undefined) return;
    const wait = Math.max(0, this.#lastSend + this.#options.intervalMs - Date.now());
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      const text = this.#pending;
      this.#pending = undefined;
      if (text !== undefined && !this.#finished) this.#enqueue(`${text}${IN_PROGRESS}`);
    }, wait);
  }

  /** Show the final text (edits the streamed message, or sends one); the message's id. */
  async finish(text: string): Promise<string | undefined> {
    this.#finished = true;
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#enqueue(text);
    await this.#chain;
    if (this.#error !== undefined) throw this.#error;
    return this.#id;
  }

  #enqueue(text: string): void {
    this.#chain = this.#chain.then(async () => {
      if (text === this.#shown || text.trim() === '') return;
      this.#lastSend = Date.now();
      try {
        const receipt = await this.#send(
          text,
          this.#id,
          this.#id === undefined ? this.#options.id : undefined,
        );
        this.#id ??= receipt.id;
        this.#shown = text;
        this.#error = undefined;
      } catch (error) {
        // A failed edit is retried by the next one; only the final send's failure is reported.
        this.#error = error instanceof Error ? error : new Error(String(error));
      }
    });
  }
}
