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

/** How long a reaction to a message we are still sending is kept for it. */
const EARLY_MS = 30_000;

/** A reaction that came before the send of the question it answers had resolved. */
interface EarlyReaction {
  readonly person: string;
  readonly messageId: string;
  readonly emojis: readonly string[];
  readonly forgeable: boolean;
  readonly at: number;
}

/** The open confirmation requests of an agent. */
export class Confirmations {
  readonly #pending = new Map<string, Pending>();
  /** Reactions the person sent before our send resolved (XMPP resolves on the server's ack). */
  #early: EarlyReaction[] = [];

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
      /** True where a ✅ reaction cannot count as yes (Matrix: reactions are not encrypted). */
      readonly textOnly?: boolean;
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
        `${question.text}\nReply yes or no ${question.textOnly === true ? '(a ❌ reaction also says no)' : '(or react ✅ / ❌)'} within ${String(minutes)} min; no answer means no.`,
        {
          id,
          action: question.action,
          expires,
          ...(question.risk ? { risk: question.risk } : {}),
        },
      );
      entry.messageId = receipt.id;
      for (const early of this.#takeEarly(receipt.id))
        this.answerReaction(early.person, early.messageId, early.emojis, early.forgeable);
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

  /**
   * A reaction on one of our messages: true when it answered a pending request. A `forgeable`
   * one (a plaintext Matrix reaction the homeserver could have made up) may only say no.
   */
  answerReaction(
    person: string,
    messageId: string,
    emojis: readonly string[],
    forgeable = false,
  ): boolean {
    for (const entry of this.#pending.values()) {
      if (entry.messageId !== messageId || entry.person !== person) continue;
      if (!forgeable && emojis.some((e) => YES_REACTIONS.has(e))) entry.settle(true);
      else if (emojis.some((e) => NO_REACTIONS.has(e))) entry.settle(false);
      else return false;
      return true;
    }
    const sending = [...this.#pending.values()].some(
      (e) => e.person === person && e.messageId === undefined,
    );
    if (sending) {
      const now = Date.now();
      this.#early = this.#early.filter((e) => now - e.at < EARLY_MS);
      this.#early.push({ person, messageId, emojis, forgeable, at: now });
    }
    return false;
  }

  #takeEarly(messageId: string): EarlyReaction[] {
    const taken = this.#early.filter((e) => e.messageId === messageId);
    this.#early = this.#early.filter((e) => e.messageId !== messageId);
    return taken;
  }

  /** A structured answer naming the request id. */
  answerDecision(person: string, id: string, decision: 'approve' | 'deny'): boolean {
    const entry = this.#pending.get(id);
    if (entry?.person !== person) return false;
    entry.settle(decision === 'approve');
    return true;
  }

  /** What is waiting, for logs: `person → message id`. */
  describe(): string[] {
    return [...this.#pending.values()].map((e) => `${e.person} → ${e.messageId ?? '(sending)'}`);
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
