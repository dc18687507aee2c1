/**
 * The chat side of the fake transport (fake.ts): inbound text as a peer sees it (edits,
 * mentions, attachments, confirm requests carried intact), the emojis each peer has put on a
 * message, and the checks a real network would make of an edit or a reaction.
 */
import { UsageError, quote } from '../errors.ts';
import type { Attachment, InboundMessage, OutboundText, Target } from './transport.ts';

/** What every inbound message carries besides its content. */
export type InboundBase = Omit<InboundMessage, 'type' | 'text' | 'payload'>;

/** An inbound text message built from what the sender sent. */
export function inboundText(
  base: InboundBase,
  content: OutboundText,
  attachments?: readonly Attachment[],
): InboundMessage {
  const { text, replaces, mentions, confirm } = content;
  return structuredClone({
    ...base,
    type: 'text',
    text,
    ...(replaces === undefined ? {} : { replaces }),
    ...(mentions === undefined ? {} : { mentions: [...mentions] }),
    ...(confirm === undefined ? {} : { confirm }),
    ...(attachments === undefined ? {} : { attachments: [...attachments] }),
  });
}

/**
 * Throw UsageError unless an edit names a message `self` sent in this conversation (`log`): a
 * Matrix `m.replace` of someone else's event is not an edit, and clients ignore it.
 */
export function assertEditable(
  log: readonly InboundMessage[],
  self: string,
  replaces: string,
): void {
  if (!log.some((m) => m.id === replaces && m.from === self))
    throw new UsageError(
      `expected the id of a message we sent to this conversation to edit, got ${quote(replaces)}`,
    );
}

/**
 * True when `self` already posted message `id` here: sent again with the same id (a process
 * restarted after a crash, OutboundText.id), it is the same message and the network keeps one,
 * as a Matrix homeserver does with a repeated transaction id.
 */
export function sentBefore(log: readonly InboundMessage[], self: string, id: string): boolean {
  return log.some((m) => m.id === id && m.from === self);
}

/** Throw UsageError unless `messageId` is a message of this conversation and `emoji` is one. */
export function assertReactable(
  log: readonly InboundMessage[],
  messageId: string,
  emoji: string,
): void {
  if (emoji.length === 0 || emoji.length > 64 || /\s/.test(emoji))
    throw new UsageError(`expected one emoji to react with, got ${quote(emoji)}`);
  if (!log.some((m) => m.id === messageId))
    throw new UsageError(
      `expected the id of a message in this conversation, got ${quote(messageId)}`,
    );
}

/** The log a message belongs to: its workspace, or the pair of peers in a direct conversation. */
export function conversationOf(self: string, target: Target): string {
  if (target.kind === 'workspace') return `w:${target.workspace}`;
  return `d:${[self, target.address].sort().join(' ')}`;
}

/** A stable key for a target, as the network's typing table stores it. */
export function targetKey(target: Target): string {
  return target.kind === 'direct' ? `d:${target.address}` : `w:${target.workspace}`;
}
