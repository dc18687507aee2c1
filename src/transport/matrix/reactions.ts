/**
 * Reactions (Client-Server API, "Reactions", `m.reaction` annotations): one emoji on one event.
 * matrix-js-sdk sends them unencrypted even in encrypted rooms, as other clients do: the
 * relation is in the clear anyway, and only the key would be hidden. A reaction can therefore
 * come from the server rather than a member; nothing here treats one as an authorization.
 */
import { UsageError, quote } from '../../errors.ts';
import type { JsonObject } from '../transport.ts';

/** The event type of a reaction. */
export const REACTION_TYPE = 'm.reaction';

/** A reaction as it arrives. */
export interface DecodedReaction {
  readonly type: 'reaction';
  /** The event reacted to. */
  readonly reactsTo: string;
  readonly key: string;
}

/** Longest reaction key we send or accept: an emoji with modifiers, or a short word. */
const MAX_KEY = 64;

/**
 * The content of a reaction to `messageId`: an event id, or a payload's id in a batch
 * (`$event#3`, batch.ts), which reacts to the event carrying it.
 */
export function encodeReaction(messageId: string, emoji: string): JsonObject {
  const eventId = messageId.replace(/#\d+$/, '');
  if (!/^\$[^#\s]+$/.test(eventId)) {
    throw new UsageError(
      `expected the id of a message to react to (a Matrix event id like $abc), got ${quote(messageId)}`,
    );
  }
  if (emoji.trim() === '' || emoji.length > MAX_KEY) {
    throw new UsageError(`expected one emoji to react with, got ${quote(emoji)}`);
  }
  return { 'm.relates_to': { rel_type: 'm.annotation', event_id: eventId, key: emoji } };
}

/** Decode a reaction's content; undefined for relations other than an annotation. */
export function decodeReaction(
  content: Record<string, unknown>,
): DecodedReaction | { readonly type: 'rejected'; readonly reason: string } | undefined {
  const relation = content['m.relates_to'];
  if (typeof relation !== 'object' || relation === null || Array.isArray(relation)) {
    return undefined;
  }
  const { rel_type: kind, event_id: eventId, key } = relation as Record<string, unknown>;
  if (kind !== 'm.annotation') return undefined;
  if (typeof eventId !== 'string' || !eventId.startsWith('$')) {
    return { type: 'rejected', reason: 'a reaction without a valid event_id' };
  }
  if (typeof key !== 'string' || key === '' || key.length > MAX_KEY) {
    return { type: 'rejected', reason: `a reaction to ${eventId} without a valid key` };
  }
  return { type: 'reaction', reactsTo: eventId, key };
}
