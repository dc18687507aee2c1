/**
 * Who may type into a shared terminal. View-only unless the sharer names peers; a keystroke is
 * accepted only when its sender is, as the network authenticates it, one of them:
 * - Matrix: the sender's user id (the homeserver vouches for it);
 * - XMPP direct: the sender's bare JID (the server stamps `from`);
 * - XMPP workspace: a room nick is chosen by its owner, so the gate asks the room for the
 *   member's real JID and refuses when the room hides it.
 * Signed input (design.md §6) comes with the signing keys of the workflow issue.
 */
import type { Target, Transport } from '../transport/transport.ts';

/** The verdict on one piece of input. */
export type InputVerdict =
  | { readonly allowed: true; readonly who: string }
  | { readonly allowed: false; readonly who: string; readonly reason: string };

/** The allow-list of one stream. */
export class InputGate {
  readonly #transport: Transport;
  readonly #target: Target;
  readonly #allowed = new Map<string, string>();

  constructor(transport: Transport, target: Target, allowed: readonly string[]) {
    this.#transport = transport;
    this.#target = target;
    for (const who of allowed) this.allow(who);
  }

  /** The addresses allowed to type, as the sharer gave them. */
  list(): string[] {
    return [...this.#allowed.values()];
  }

  /** Let `who` type. */
  allow(who: string): void {
    this.#allowed.set(this.#normalize(who), who);
  }

  /** Stop `who` typing; false when `who` was not allowed. */
  revoke(who: string): boolean {
    return this.#allowed.delete(this.#normalize(who));
  }

  /** Judge input sent by `from`. */
  check(from: string): InputVerdict {
    const identity = this.#identityOf(from);
    if (identity === undefined)
      return { allowed: false, who: from, reason: 'the room does not reveal who this member is' };
    const key = this.#normalize(identity);
    if (this.#allowed.has(key)) return { allowed: true, who: identity };
    return { allowed: false, who: identity, reason: 'not allowed to type in this stream' };
  }

  /** The account behind a sender address, undefined when it cannot be known. */
  #identityOf(from: string): string | undefined {
    if (this.#target.kind === 'workspace' && this.#transport.network === 'xmpp') {
      const member = this.#transport
        .members(this.#target.workspace)
        .find((m) => m.address === from);
      return member?.account;
    }
    return from;
  }

  /**
   * XMPP: the bare JID, case-folded (an account is allowed, whichever client it types from).
   * Matrix user ids are compared as they are.
   */
  #normalize(address: string): string {
    if (this.#transport.network !== 'xmpp') return address;
    const slash = address.indexOf('/');
    return (slash < 0 ? address : address.slice(0, slash)).toLowerCase();
  }
}
