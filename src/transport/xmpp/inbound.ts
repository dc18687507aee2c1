/**
 * Where an inbound message or presence stanza goes: decoded, de-duplicated and reported as a
 * transport event, or dropped with a log line saying why.
 */
import type { Element } from '@xmpp/xml';
import type { InboundMessage, Target, TransportEvent } from '../transport.ts';
import { availabilityOf, decodeMessage } from './codec.ts';
import type { RecentIds } from './recent-ids.ts';
import type { MessageIds } from './message-ids.ts';
import type { Rooms } from './rooms.ts';

/** What routing needs from the transport. */
export interface InboundDeps {
  readonly rooms: Rooms;
  readonly seen: RecentIds;
  /** The ids messages go by (reactions and corrections name them differently). */
  readonly messageIds: MessageIds;
  /** Our own full address (our presence is reflected back to us). */
  readonly self: () => string;
  readonly emit: (event: TransportEvent) => void;
  readonly log: (level: 'debug' | 'warn', message: string) => void;
}

/** Handle a message or presence stanza; false for anything else (IQs go on down the chain). */
export function routeInbound(stanza: Element, deps: InboundDeps): boolean {
  if (stanza.name === 'message') {
    onMessage(stanza, deps);
    return true;
  }
  if (stanza.name === 'presence') {
    if (!deps.rooms.onPresence(stanza)) onDirectPresence(stanza, deps);
    return true;
  }
  return false;
}

function onMessage(stanza: Element, deps: InboundDeps): void {
  const from = stanza.attrs.from ?? '?';
  if (stanza.attrs.type !== 'error') deps.messageIds.learn(stanza);
  const decoded = decodeMessage(stanza, {
    nickIn: (room) => deps.rooms.nickIn(room),
    self: deps.self(),
  });
  switch (decoded.outcome) {
    case 'rejected':
      deps.log('warn', decoded.reason);
      deps.emit({ type: 'rejected', from, reason: decoded.reason });
      return;
    case 'ignored':
      deps.log('debug', `ignored a message from ${from}: ${decoded.why}`);
      return;
    case 'message': {
      const message = inOurIds(decoded.message, deps.messageIds);
      // After a reconnect the same message can come twice (resend, room history): once is enough.
      if (deps.seen.add(`${message.from}\u0000${message.id}`)) deps.emit(message);
      return;
    }
    case 'event': {
      const { event } = decoded;
      const translated =
        event.type === 'reaction'
          ? { ...event, reactsTo: deps.messageIds.ours(where(event.target), event.reactsTo) }
          : event;
      if (deps.seen.add(`${event.from}\u0000${decoded.id}`)) deps.emit(translated);
    }
  }
}

function onDirectPresence(stanza: Element, deps: InboundDeps): void {
  const type = stanza.attrs.type;
  // Subscription management and errors are not presence of a peer; nor is our own reflection.
  if ((type !== undefined && type !== 'unavailable') || stanza.attrs.from === deps.self()) return;
  const status = stanza.getChildText('status') ?? undefined;
  deps.emit({
    type: 'presence',
    from: stanza.attrs.from ?? '',
    availability: availabilityOf(stanza),
    ...(status ? { status } : {}),
  });
}

/** A correction names the original as we delivered it (message-ids.ts). */
function inOurIds(message: InboundMessage, ids: MessageIds): InboundMessage {
  if (message.type !== 'text' || message.replaces === undefined) return message;
  return { ...message, replaces: ids.ours(where(message.target), message.replaces) };
}

/** The room or the peer of a conversation. */
function where(target: Target): string {
  return target.kind === 'workspace' ? target.workspace : target.address;
}
