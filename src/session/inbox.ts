/**
 * Direct messages that reached the host while no command was listening. A stand-alone client
 * would have been offline and the server would have kept them (XMPP offline storage, Matrix
 * sync); the host is online, so it keeps them instead — bounded, in memory, saved to a 0600 file
 * when it exits — and hands them, marked delayed, to the next command that listens.
 */
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import type { InboundMessage } from '../transport/transport.ts';
import { errnoCode } from './errno.ts';
import { isWireEvent } from './protocol.ts';

/** How many undelivered messages a host keeps; older ones are dropped first. */
export const INBOX_LIMIT = 1000;

/** The undelivered messages of one host. */
export class Inbox {
  readonly #messages: InboundMessage[];
  readonly #limit: number;
  readonly #onDrop: (message: InboundMessage) => void;

  constructor(
    initial: readonly InboundMessage[] = [],
    options: { limit?: number; onDrop?: (message: InboundMessage) => void } = {},
  ) {
    this.#limit = options.limit ?? INBOX_LIMIT;
    this.#onDrop = options.onDrop ?? (() => undefined);
    this.#messages = [];
    for (const message of initial) this.add(message);
  }

  /** Keep a message for later; it will arrive as delayed. */
  add(message: InboundMessage): void {
    this.#messages.push({ ...message, delayed: true });
    while (this.#messages.length > this.#limit) {
      const dropped = this.#messages.shift();
      if (dropped) this.#onDrop(dropped);
    }
  }

  /** Everything kept, oldest first; the inbox is empty afterwards. */
  take(): InboundMessage[] {
    return this.#messages.splice(0);
  }

  get size(): number {
    return this.#messages.length;
  }
}

/** Read and remove a saved inbox; lines that are not messages are skipped. */
export function loadInbox(path: string): InboundMessage[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    if (errnoCode(error) === 'ENOENT') return [];
    throw error;
  }
  rmSync(path, { force: true });
  return text.split('\n').flatMap((line) => {
    if (line.trim() === '') return [];
    try {
      const value: unknown = JSON.parse(line);
      return isWireEvent(value) && (value.type === 'text' || value.type === 'payload')
        ? [value]
        : [];
    } catch {
      return [];
    }
  });
}

/** Save undelivered messages (mode 0600) for the next host of the profile. */
export function saveInbox(path: string, messages: readonly InboundMessage[]): void {
  if (messages.length === 0) return;
  const text = messages.map((m) => JSON.stringify(m)).join('\n');
  writeFileSync(path, `${text}\n`, { mode: 0o600, flag: 'a' });
}
