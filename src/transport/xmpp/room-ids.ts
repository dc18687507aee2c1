/**
 * The ids one room message goes by. We name a message by its sender's origin-id (XEP-0359), so
 * every peer and our own receipt agree; but XEP-0444 §4 has reactions in a room name the id the
 * room assigned (`<stanza-id by=room>`), and XEP-0308 corrections name the stanza's `id`. This
 * table, filled from every room message we see (our own echoes included), translates between
 * them: out, a reaction names the room's id; in, a reaction or correction names ours.
 */
import type { Element } from '@xmpp/xml';
import { NS_SID, splitResource } from './codec.ts';

/** How many room messages' ids are remembered; older ones are forgotten first. */
const LIMIT = 5000;

/** Known aliases of room message ids. */
export class RoomIds {
  /** `room \0 alias` → our id (the origin-id). */
  readonly #ours = new Map<string, string>();
  /** `room \0 our id` → the room's stanza-id. */
  readonly #rooms = new Map<string, string>();

  /** Learn the ids of a groupchat message (live or replayed), if it has an origin-id. */
  learn(stanza: Element): void {
    if (stanza.attrs.type !== 'groupchat') return;
    const room = splitResource(stanza.attrs.from ?? '')[0];
    const origin = stanza.getChild('origin-id', NS_SID)?.attrs.id;
    if (!origin) return;
    const assigned = stanza.getChildren('stanza-id', NS_SID).find((e) => e.attrs.by === room);
    const stanzaId = assigned?.attrs.id;
    if (stanzaId) {
      this.#set(this.#rooms, `${room}\u0000${origin}`, stanzaId);
      this.#set(this.#ours, `${room}\u0000${stanzaId}`, origin);
    }
    const id = stanza.attrs.id;
    if (id && id !== origin) this.#set(this.#ours, `${room}\u0000${id}`, origin);
  }

  /** The id a room message `id` (ours or an alias) is known by to us and our peers. */
  ours(room: string, id: string): string {
    return this.#ours.get(`${room}\u0000${id}`) ?? id;
  }

  /** The room's own id of message `id`, as reactions in the room must name it (XEP-0444 §4). */
  assigned(room: string, id: string): string {
    return this.#rooms.get(`${room}\u0000${id}`) ?? id;
  }

  #set(map: Map<string, string>, key: string, value: string): void {
    map.set(key, value);
    if (map.size > LIMIT) {
      const oldest = map.keys().next().value;
      if (oldest !== undefined) map.delete(oldest);
    }
  }
}
