/**
 * The emojis we have put on messages, so each reaction we send carries the whole set: XEP-0444
 * §3.2 replaces a sender's reactions with every update, while `Transport.react` adds one.
 */

/** How many messages' reactions are remembered; older ones are forgotten first. */
const LIMIT = 2000;

/** Our reactions, per conversation and message. */
export class OwnReactions {
  readonly #emojis = new Map<string, string[]>();

  /** Add `emoji` to what we have on `messageId` in `conversation`; returns the whole set. */
  add(conversation: string, messageId: string, emoji: string): readonly string[] {
    const key = `${conversation}\u0000${messageId}`;
    const set = this.#emojis.get(key) ?? [];
    if (!set.includes(emoji)) set.push(emoji);
    // Re-inserted, so the most recently used stay longest.
    this.#emojis.delete(key);
    this.#emojis.set(key, set);
    for (const old of this.#emojis.keys()) {
      if (this.#emojis.size <= LIMIT) break;
      this.#emojis.delete(old);
    }
    return [...set];
  }
}
