/**
 * The chat signals of the transport interface on XMPP: typing as XEP-0085 chat states and
 * reactions as XEP-0444, sent through the outbox so they keep their order with messages.
 */
import { randomUUID } from 'node:crypto';
import { UsageError, quote } from '../../errors.ts';
import { DEFAULT_WAIT_MS } from '../deadline.ts';
import { OwnReactions } from '../own-reactions.ts';
import type * as T from '../transport.ts';
import { parseXmppAddress } from './address.ts';
import { chatStateMessage, reactionsMessage } from './chat-xml.ts';
import type { Outbox } from './outbox.ts';
import type { MessageIds } from './message-ids.ts';
import type { Rooms } from './rooms.ts';

/** How long a chat state may wait for the server: it is stale after that. */
const CHAT_STATE_MS = 5000;

/** What chat signals need from the transport. */
export interface ChatDeps {
  readonly outbox: Outbox;
  readonly rooms: Rooms;
  readonly messageIds: MessageIds;
  /** The connection's state now. */
  readonly state: () => T.ConnectionState;
  /** Throws NetworkError unless the transport is connected or reconnecting. */
  readonly assertUsable: () => void;
}

/** Where a message to `target` goes: the peer or the room, and the message type. */
export function destination(
  target: T.Target,
  rooms: Rooms,
): { readonly to: string; readonly type: 'chat' | 'groupchat' } {
  if (target.kind === 'direct') return { to: parseXmppAddress(target.address), type: 'chat' };
  if (!rooms.tracks(target.workspace))
    throw new UsageError(`not joined to workspace ${quote(target.workspace)}: join it first`);
  return { to: target.workspace, type: 'groupchat' };
}

/** Typing and reactions of one transport. */
export class ChatSignals {
  readonly #deps: ChatDeps;
  readonly #reactions = new OwnReactions();

  constructor(deps: ChatDeps) {
    this.#deps = deps;
  }

  /** `<composing/>` or `<paused/>`; dropped while reconnecting (it would be stale). */
  async setTyping(target: T.Target, typing: boolean, options?: T.WaitOptions): Promise<void> {
    this.#deps.assertUsable();
    const { to, type } = destination(target, this.#deps.rooms);
    if (this.#deps.state() !== 'online') return;
    const state = typing ? 'composing' : 'paused';
    await this.#deps.outbox.send(
      chatStateMessage(to, type, state, randomUUID()),
      Math.min(options?.timeoutMs ?? CHAT_STATE_MS, CHAT_STATE_MS),
      options?.signal,
    );
  }

  /** Add `emoji` to our reactions to `messageId`, sending the whole set (XEP-0444 §3.2). */
  async react(
    target: T.Target,
    messageId: string,
    emoji: string,
    options?: T.WaitOptions,
  ): Promise<void> {
    this.#deps.assertUsable();
    if (messageId.length === 0) throw new UsageError('expected the id of a message to react to');
    if (emoji.length === 0 || emoji.length > 64 || /\s/.test(emoji))
      throw new UsageError(`expected one emoji to react with, got ${quote(emoji)}`);
    const { to, type } = destination(target, this.#deps.rooms);
    const emojis = this.#reactions.add(to, messageId, emoji);
    // A reaction names the message's `id`, in a room the id the room gave it (XEP-0444 §4).
    const named = this.#deps.messageIds.reactable(to, messageId);
    await this.#deps.outbox.send(
      reactionsMessage(to, type, randomUUID(), named, emojis),
      options?.timeoutMs ?? DEFAULT_WAIT_MS,
      options?.signal,
    );
  }
}
