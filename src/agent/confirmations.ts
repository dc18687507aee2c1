/**
 * Waiting for a person's yes before a destructive action (urn:fluux:agent:0#confirm). The
 * request goes out as a message that says how to answer; the answer may be a reply
 * (`yes`/`no`, `/approve`/`/deny`), a reaction (✅/👍 or ❌/👎) on that message, or a
 * structured `<confirmed>`. Only the person asked can answer. No answer before it expires
 * is a no: fail closed.
 */
import { randomUUID } from 'node:crypto';
import type { ConfirmRequest } from '../transport/transport.ts';

/** Sends the confirmation request; resolves with the id of the message peers see. */
export type SendConfirm = (
  text: string,
  confirm: ConfirmRequest,
) => Promise<{ readonly id: string }>;

interface Pending {
  readonly id: string;
  readonly conversation: string;
  readonly person: string;
  messageId: string | undefined;
  readonly settle: (yes: boolean) => void;
}

const YES = new Set(['yes', 'y', 'ok', 'approve', '/approve', '/yes', 'confirm']);
const NO = new Set(['no', 'n', 'deny', '/deny', '/no', 'cancel', 'reject']);
const YES_REACTIONS = new Set(['✅', '👍', '✔️', '☑️']);
const NO_REACTIONS = new Set(['❌', '👎', '🚫', '✖️']);

/** The open confirmation requests of an agent. */
export class Confirmations {
  readonly #pending = new Map<string, Pending>();

  /**
   * Ask `person` in `conversation`; resolves true for yes, false for no, expiry or abort.
   */
  async ask(
    conversation: string,
    person: string,
    question: {
      readonly text: string;
      readonly action: string;
      readonly risk?: ConfirmRequest['risk'];
    },
    send: SendConfirm,
    options: { readonly timeoutMs: number; readonly signal: AbortSignal },
  ): Promise<boolean> {
    const id = `confirm-${randomUUID()}`;
    const expires = Date.now() + options.timeoutMs;
    let settle!: (yes: boolean) => void;
    const answer = new Promise<boolean>((resolve) => {
      settle = resolve;
    });
    const entry: Pending = { id, conversation, person, messageId: undefined, settle };
    this.#pending.set(id, entry);
    const timer = setTimeout(() => {
      settle(false);
    }, options.timeoutMs);
    const onAbort = (): void => {
      settle(false);
    };
    options.signal.addEventListener('abort', onAbort, { once: true });
    try {
      const minutes = Math.max(1, Math.round(options.timeoutMs / 60_000));
      const receipt = await send(
        `${question.text}\nReply yes or no (or react ✅ / ❌) within ${String(minutes)} min; no answer means no.`,
        { id, action: question.action, expires, ...(question.risk ? { risk: question.risk } : {}) },
      );
      entry.messageId = receipt.id;
      return await answer;
    } catch {
      return false;
    } finally {
      clearTimeout(timer);
      options.signal.removeEventListener('abort', onAbort);
      this.#pending.delete(id);
    }
  }

  /** A text from `person` in `conversation`: true when it answered a pending request. */
  answerText(conversation: string, person: string, text: string): boolean {
    const word = text
      .trim()
      .toLowerCase()
      .replace(/[.!]+$/, '');
    const yes = YES.has(word);
    if (!yes && !NO.has(word)) return false;
    const entry = this.#newestFor(conversation, person);
    if (entry === undefined) return false;
    entry.settle(yes);
    return true;
  }

  /** A reaction on one of our messages: true when it answered a pending request. */
  answerReaction(person: string, messageId: string, emojis: readonly string[]): boolean {
    for (const entry of this.#pending.values()) {
      if (entry.messageId !== messageId || entry.person !== person) continue;
      if (emojis.some((e) => YES_REACTIONS.has(e))) entry.settle(true);
      else if (emojis.some((e) => NO_REACTIONS.has(e))) entry.settle(false);
      else return false;
      return true;
    }
    return false;
  }

  /** A structured answer naming the request id. */
  answerDecision(person: string, id: string, decision: 'approve' | 'deny'): boolean {
    const entry = this.#pending.get(id);
    if (entry?.person !== person) return false;
    entry.settle(decision === 'approve');
    return true;
  }

  /** True while `person` has a request waiting in `conversation`. */
  waiting(conversation: string, person: string): boolean {
    return this.#newestFor(conversation, person) !== undefined;
  }

  #newestFor(conversation: string, person: string): Pending | undefined {
    let found: Pending | undefined;
    for (const entry of this.#pending.values())
      if (entry.conversation === conversation && entry.person === person) found = entry;
    return found;
  }
}
