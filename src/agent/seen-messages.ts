/** Recognising a message the agent has already handled. */
import type { ConversationMemory } from './memory.ts';

/**
 * The ids of messages already logged, per conversation: read from the session once, then kept
 * up to date, so a message redelivered after a restart is recognised without reading the
 * whole session for every message. The least recently active conversations are forgotten
 * (and read again when they speak).
 */
export class SeenMessages {
  readonly #ids = new Map<string, Set<string>>();

  /** True when `id` was logged in `conversation`; otherwise it is remembered from now on. */
  has(conversation: string, id: string, memory: ConversationMemory): boolean {
    let ids = this.#ids.get(conversation);
    if (ids === undefined) {
      ids = new Set(memory.log.messages().flatMap((m) => (m.msgId === undefined ? [] : [m.msgId])));
      if (this.#ids.size >= 256) this.#ids.delete(this.#ids.keys().next().value as string);
    } else this.#ids.delete(conversation);
    this.#ids.set(conversation, ids);
    if (ids.has(id)) return true;
    ids.add(id);
    return false;
  }
}
