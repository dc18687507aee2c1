/**
 * The ids one message goes by. We name a message by its sender's origin-id (XEP-0359) when it
 * has one, so every peer and our own receipt agree (codec.ts `messageId`). But a correction
 * (XEP-0308) names the stanza's `id`, and a reaction (XEP-0444 §4) names the `id` in a direct
 * conversation and the room's `<stanza-id by=room>` in a room. This table, filled from every
 * message we see (our own room echoes included), translates between them: out, a reaction names
 * what the spec wants; in, a reaction or correction names the message as we delivered it.
 */
import type { Element } from '@xmpp/xml';
import { NS_SID, messageId, splitResource } from './codec.ts';

/** How many aliases are remembered; older ones are forgotten first. */
const LIMIT = 10_000;

/** Known aliases of message ids, per conversation (a room, or a peer's bare JID). */
export class MessageIds {
  /** `conversation \0 alias` → the id we delivered the message with. */
  readonly #ours = new Map<string, string>();
  /** `conversation \0 our id` → the id a reaction must name. */
  readonly #reactable = new Map<string, string>();

  /** Learn the ids of a message (live or replayed). */
  learn(stanza: Element): void {
    const groupchat = stanza.attrs.type === 'groupchat';
    const conversation = conversationOf(stanza.attrs.from ?? '');
    const ours = messageId(stanza, groupchat ? conversation : undefined);
    const roomId = groupchat
      ? stanza.getChildren('stanza-id', NS_SID).find((e) => e.attrs.by === conversation)?.attrs.id
      : undefined;
    const id = stanza.attrs.id;
    for (const alias of [roomId, id])
      if (alias && alias !== ours) this.#set(this.#ours, `${conversation}\u0000${alias}`, ours);
    const reactable = groupchat ? roomId : id;
    if (reactable && reactable !== ours)
      this.#set(this.#reactable, `${conversation}\u0000${ours}`, reactable);
  }

  /** The id we delivered a message by, given any of its ids, in a room or with a peer. */
  ours(conversation: string, id: string): string {
    return this.#ours.get(`${conversationOf(conversation)}\u0000${id}`) ?? id;
  }

  /** The id a reaction to message `id` must name in this conversation (XEP-0444 §4). */
  reactable(conversation: string, id: string): string {
    return this.#reactable.get(`${conversationOf(conversation)}\u0000${id}`) ?? id;
  }

  #set(map: Map<string, string>, key: string, value: string): void {
    map.set(key, value);
    if (map.size > LIMIT) {
      const oldest = map.keys().next().value;
      if (oldest !== undefined) map.delete(oldest);
    }
  }
}

/** A conversation is named by the room's or the peer's bare JID, case-folded (RFC 7622 §3.2). */
function conversationOf(address: string): string {
  return splitResource(address)[0].toLowerCase();
}
