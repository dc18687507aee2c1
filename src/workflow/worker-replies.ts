/**
 * What a worker sends back to a requester: signed answers (acceptance, hold, rejection,
 * result), each tied to the request by its nonce, and unsigned keepalives. Sending never
 * throws: a reply that cannot go out is logged, and the requester's own timeouts take over.
 */
import { messageOf } from '../errors.ts';
import type { EnvelopeSigner } from '../protocol/signed.ts';
import { signResult } from '../security/request-gate.ts';
import type { Target, Transport } from '../transport/transport.ts';
import { TASK_KINDS, TASK_VERSION } from './task-protocol.ts';

const SEND_TIMEOUT_MS = 30_000;

/** The worker's side of the conversation with its requesters. */
export class WorkerReplies {
  readonly #agent: string;
  readonly #key: EnvelopeSigner;
  readonly #log: (level: 'debug' | 'warn', message: string) => void;
  #transport: Transport | undefined;

  constructor(options: {
    readonly agent: string;
    readonly key: EnvelopeSigner;
    readonly log: (level: 'debug' | 'warn', message: string) => void;
  }) {
    this.#agent = options.agent;
    this.#key = options.key;
    this.#log = options.log;
  }

  /** Where replies go out from (set when the worker starts). */
  use(transport: Transport): void {
    this.#transport = transport;
  }

  /** A signed answer of `kind` to the request `nonce`. */
  async answer(to: Target, kind: string, nonce: string, body: Record<string, unknown>) {
    const transport = this.#transport;
    if (!transport) return;
    const envelope = signResult(this.#key, {
      agent: this.#agent,
      requestNonce: nonce,
      kind,
      body: body as never,
    });
    try {
      await transport.send(
        to,
        { type: 'payload', payload: { kind, version: TASK_VERSION, body: envelope } },
        { timeoutMs: SEND_TIMEOUT_MS },
      );
    } catch (error) {
      this.#log('warn', `could not send ${kind} for ${nonce}: ${messageOf(error)}`);
    }
  }

  /** "Still running" for the request `nonce` (task.alive). */
  alive(to: Target, nonce: string): void {
    this.#transport
      ?.send(
        to,
        {
          type: 'payload',
          payload: { kind: TASK_KINDS.alive, version: TASK_VERSION, body: { re: nonce } },
        },
        { timeoutMs: SEND_TIMEOUT_MS },
      )
      .catch((error: unknown) => {
        this.#log('debug', `keepalive of ${nonce} not sent: ${messageOf(error)}`);
      });
  }
}
