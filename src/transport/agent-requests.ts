/**
 * The agent protocol over payloads in the direct conversation (specs/protocol.md §11.3), for
 * transports without IQs (Matrix, the fake), built once over a transport's `send` and its
 * inbound delivery: `take` consumes `agent.request` / `agent.response` payloads before
 * listeners see them, answers requests with the transport's AgentAnswerer and settles our own
 * questions by id.
 */
import { randomUUID } from 'node:crypto';
import { NetworkError, messageOf } from '../errors.ts';
import { AgentAnswerer, DEFAULT_AGENT_DEADLINE_MS } from './agent-answerer.ts';
import {
  AGENT_REQUEST_KIND,
  AGENT_RESPONSE_KIND,
  decodeRequest,
  decodeResponse,
  requestPayload,
  responsePayload,
} from './agent-payloads.ts';
import { mismatchProblem, type AgentAsk, type AgentOp } from './agent-shapes.ts';
import { DEFAULT_WAIT_MS, withDeadline } from './deadline.ts';
import type {
  AgentRequestHandler,
  AgentResponse,
  InboundMessage,
  Payload,
  Transport,
  TransportEvent,
  WaitOptions,
} from './transport.ts';

/** What the module needs from its transport. */
export interface AgentRequestsDeps {
  /** Our own address: requests from it are ignored. */
  readonly self: () => string;
  /** Send a payload in the direct conversation with `to`. */
  readonly send: (to: string, payload: Payload, options: WaitOptions) => Promise<unknown>;
  /** Report something dropped (a `rejected` event to the transport's listeners). */
  readonly reject: (from: string, reason: string) => void;
  readonly log?: (message: string) => void;
  /** Milliseconds our handler may take per request (default 5 minutes). */
  readonly deadlineMs?: number;
}

interface Pending {
  readonly to: string;
  readonly op: AgentOp;
  readonly resolve: (response: AgentResponse) => void;
  readonly reject: (error: Error) => void;
}

/**
 * How long askAgent waits by default: a list of skills comes at once; an execution may take as
 * long as the peer's deadline (5 minutes by default), plus the way back.
 */
export function defaultAskMs(ask: AgentAsk): number {
  return ask.kind === 'skills' ? DEFAULT_WAIT_MS : DEFAULT_AGENT_DEADLINE_MS + 10_000;
}

/** Agent requests and answers of one transport, as payloads. */
export class AgentRequests {
  readonly #deps: AgentRequestsDeps;
  readonly #answerer: AgentAnswerer;
  readonly #pending = new Map<string, Pending>();

  constructor(deps: AgentRequestsDeps) {
    this.#deps = deps;
    this.#answerer = new AgentAnswerer({
      ...(deps.deadlineMs === undefined ? {} : { deadlineMs: deps.deadlineMs }),
      ...(deps.log ? { log: deps.log } : {}),
    });
  }

  /** Answer requests with `handler`; undefined answers them with service-unavailable. */
  answer(handler: AgentRequestHandler | undefined): void {
    this.#answerer.set(handler);
  }

  /** Consume an inbound event when it is an agent request or answer; false for anything else. */
  take(event: TransportEvent): boolean {
    if (event.type !== 'payload') return false;
    const { kind } = event.payload;
    if (kind !== AGENT_REQUEST_KIND && kind !== AGENT_RESPONSE_KIND) return false;
    if (event.from === this.#deps.self()) return true;
    if (event.target.kind !== 'direct') {
      this.#deps.reject(
        event.from,
        `dropped an ${kind} in ${event.target.workspace}: agent requests go in the direct conversation`,
      );
    } else if (kind === AGENT_REQUEST_KIND) {
      this.#onRequest(event);
    } else {
      this.#onResponse(event);
    }
    return true;
  }

  /** Ask `to` and wait for its answer (or the deadline). */
  async ask(to: string, ask: AgentAsk, options?: WaitOptions): Promise<AgentResponse> {
    const id = randomUUID();
    const timeoutMs = options?.timeoutMs ?? defaultAskMs(ask);
    const what = `the answer of ${to} to an agent ${ask.kind} request`;
    return withDeadline(what, { ...options, timeoutMs }, async (signal) => {
      const answered = Promise.withResolvers<AgentResponse>();
      const onAbort = (): void => {
        answered.reject(signal.reason as Error);
      };
      signal.addEventListener('abort', onAbort, { once: true });
      this.#pending.set(id, { to, op: ask.kind, ...answered });
      try {
        const payload = requestPayload(id, ask, Date.now() + timeoutMs);
        await this.#deps.send(to, payload, { signal, timeoutMs });
        return await answered.promise;
      } finally {
        signal.removeEventListener('abort', onAbort);
        this.#pending.delete(id);
      }
    });
  }

  /** Stop running handlers and fail every question still waiting: the transport closes. */
  close(): void {
    this.#answerer.close();
    for (const pending of [...this.#pending.values()])
      pending.reject(new NetworkError(`the transport was closed before ${pending.to} answered`));
  }

  #onRequest(event: InboundMessage & { type: 'payload' }): void {
    const decoded = decodeRequest(event.payload);
    const from = event.from;
    if (!decoded.ok) {
      const reason = `malformed ${AGENT_REQUEST_KIND} from ${from}: ${decoded.problem}`;
      this.#deps.reject(from, reason);
      if (decoded.id !== undefined)
        this.#reply(from, decoded.id, {
          kind: 'error',
          condition: 'bad-request',
          text: decoded.problem,
        });
      return;
    }
    if (decoded.expires !== undefined && decoded.expires < Date.now()) {
      // The asker has given up: running it now (after a restart, say) would surprise everyone.
      this.#deps.reject(
        from,
        `dropped ${AGENT_REQUEST_KIND} ${decoded.id} from ${from}: it expired before it arrived`,
      );
      return;
    }
    const request =
      decoded.ask.kind === 'skills' ? { kind: 'skills' as const, from } : { ...decoded.ask, from };
    const { id } = decoded;
    void this.#answerer.answer(request).then((response) => {
      this.#reply(from, id, response);
    });
  }

  #onResponse(event: InboundMessage & { type: 'payload' }): void {
    const decoded = decodeResponse(event.payload);
    const pending = decoded.id === undefined ? undefined : this.#pending.get(decoded.id);
    if (!pending || pending.to !== event.from) {
      const why = decoded.ok ? 'an unknown or expired request' : decoded.problem;
      this.#deps.reject(event.from, `dropped an ${AGENT_RESPONSE_KIND} from ${event.from}: ${why}`);
      return;
    }
    const problem = decoded.ok ? mismatchProblem(pending.op, decoded.response) : decoded.problem;
    if (problem !== undefined || !decoded.ok) {
      pending.reject(
        new NetworkError(
          `${event.from} answered an agent ${pending.op} request with a malformed ${AGENT_RESPONSE_KIND}: ${problem ?? 'no problem named'}`,
        ),
      );
      return;
    }
    pending.resolve(decoded.response);
  }

  /** Send an answer; one too large for a payload becomes an error answer. Never rejects. */
  #reply(to: string, id: string, response: AgentResponse): void {
    const log = (error: unknown): void => {
      this.#deps.log?.(`could not answer agent request ${id} of ${to}: ${messageOf(error)}`);
    };
    this.#deps
      .send(to, responsePayload(id, response), {})
      .catch((error: unknown) => {
        if (response.kind === 'error') throw error;
        const text = `the answer could not be sent: ${messageOf(error)}`;
        return this.#deps.send(
          to,
          responsePayload(id, { kind: 'error', condition: 'internal-server-error', text }),
          {},
        );
      })
      .catch(log);
  }
}

/**
 * The module wired over a transport's own `send` (to the direct conversation) and address;
 * `emit` reaches the transport's listeners with what was dropped.
 */
export function agentRequestsOver(
  transport: Pick<Transport, 'address' | 'send'>,
  emit: (event: TransportEvent) => void,
  options: {
    readonly agentDeadlineMs?: number;
    readonly log?: (level: 'debug' | 'info' | 'warn', message: string) => void;
  } = {},
): AgentRequests {
  const { agentDeadlineMs, log } = options;
  return new AgentRequests({
    self: () => transport.address,
    send: (to, payload, wait) =>
      transport.send({ kind: 'direct', address: to }, { type: 'payload', payload }, wait),
    reject: (from, reason) => {
      emit({ type: 'rejected', from, reason });
    },
    ...(log
      ? {
          log: (message: string) => {
            log('warn', message);
          },
        }
      : {}),
    ...(agentDeadlineMs === undefined ? {} : { deadlineMs: agentDeadlineMs }),
  });
}
