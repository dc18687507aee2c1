/**
 * Answering agent protocol requests (urn:fluux:agent:0, specs/protocol.md §11) with the handler
 * a transport was given, the same way on every network: no handler → service-unavailable; the
 * handler runs with a signal aborted when the transport closes and a deadline after which the
 * request is answered with an error; whatever it throws or returns malformed becomes
 * internal-server-error (its details stay in our log, never go to the peer); a long result is cut
 * to what one message carries.
 */
import { messageOf } from '../errors.ts';
import { formatMs } from './deadline.ts';
import { agentResponseProblem, mismatchProblem } from './agent-shapes.ts';
import type { AgentRequest, AgentRequestHandler, AgentResponse } from './transport.ts';

/** How long a handler may run before the request is answered with an error. */
export const DEFAULT_AGENT_DEADLINE_MS = 5 * 60_000;

/**
 * The most result text one answer carries, in bytes of its JSON string: a Matrix payload body
 * holds 32 KiB (specs/protocol.md §1), and servers cap XMPP stanzas (Prosody: 256 KiB).
 */
export const MAX_RESULT_BYTES = 24 * 1024;

/** Options of an answerer. */
export interface AgentAnswererOptions {
  /** Milliseconds a handler may take; default DEFAULT_AGENT_DEADLINE_MS. */
  readonly deadlineMs?: number;
  /** Where handler failures are written (they are not told to the peer). */
  readonly log?: (message: string) => void;
}

/** The handler of one transport, and how each request is answered with it. */
export class AgentAnswerer {
  #handler: AgentRequestHandler | undefined;
  readonly #closing = new AbortController();
  readonly #deadlineMs: number;
  readonly #log: (message: string) => void;

  constructor(options: AgentAnswererOptions = {}) {
    this.#deadlineMs = options.deadlineMs ?? DEFAULT_AGENT_DEADLINE_MS;
    this.#log = options.log ?? (() => undefined);
  }

  /** Answer with `handler` from now on; undefined stops answering. */
  set(handler: AgentRequestHandler | undefined): void {
    this.#handler = handler;
  }

  /** True while a handler is set. */
  get answering(): boolean {
    return this.#handler !== undefined;
  }

  /** The answer to one request; never rejects. */
  async answer(request: AgentRequest): Promise<AgentResponse> {
    const handler = this.#handler;
    if (!handler) return failure('service-unavailable', 'this agent answers no agent requests');
    if (this.#closing.signal.aborted) return shuttingDown();
    const deadline = AbortSignal.timeout(this.#deadlineMs);
    const signal = AbortSignal.any([this.#closing.signal, deadline]);
    const stopped = Promise.withResolvers<unknown>();
    const onAbort = (): void => {
      stopped.resolve(
        deadline.aborted
          ? failure(
              'internal-server-error',
              `the agent did not finish within ${formatMs(this.#deadlineMs)}; it was stopped`,
            )
          : shuttingDown(),
      );
    };
    signal.addEventListener('abort', onAbort, { once: true });
    try {
      const answer = await Promise.race([this.#invoke(handler, request, signal), stopped.promise]);
      return this.#checked(request, answer);
    } finally {
      signal.removeEventListener('abort', onAbort);
    }
  }

  /** Abort every running handler: the transport is closing. */
  close(): void {
    this.#closing.abort();
  }

  async #invoke(
    handler: AgentRequestHandler,
    request: AgentRequest,
    signal: AbortSignal,
  ): Promise<unknown> {
    try {
      return await handler(request, signal);
    } catch (error) {
      this.#log(
        `the agent request handler failed on ${describeRequest(request)}: ${messageOf(error)}`,
      );
      return failure('internal-server-error', 'the agent failed while answering');
    }
  }

  #checked(request: AgentRequest, answer: unknown): AgentResponse {
    const problem =
      agentResponseProblem(answer) ?? mismatchProblem(request.kind, answer as AgentResponse);
    if (problem) {
      this.#log(
        `the agent request handler answered ${describeRequest(request)} wrongly: ${problem}`,
      );
      return failure('internal-server-error', 'the agent gave a malformed answer');
    }
    const response = answer as AgentResponse;
    return response.kind === 'result' ? { kind: 'result', text: fitText(response.text) } : response;
  }
}

/** `text`, cut (at a character boundary, with a note) so its JSON string fits `maxBytes`. */
export function fitText(text: string, maxBytes = MAX_RESULT_BYTES): string {
  const bytes = (s: string): number => Buffer.byteLength(JSON.stringify(s));
  if (bytes(text) <= maxBytes) return text;
  const note = (cut: number): string => `\n[… ${String(cut)} more characters cut]`;
  let keep = Math.min(text.length, maxBytes);
  for (;;) {
    let head = text.slice(0, keep);
    // Never leave half a surrogate pair.
    if (/[\uD800-\uDBFF]$/.test(head)) head = head.slice(0, -1);
    const candidate = head + note(text.length - head.length);
    if (bytes(candidate) <= maxBytes || keep === 0) return candidate;
    keep = Math.floor(keep * 0.9);
  }
}

function failure(
  condition: Extract<AgentResponse, { kind: 'error' }>['condition'],
  text: string,
): AgentResponse {
  return { kind: 'error', condition, text };
}

function shuttingDown(): AgentResponse {
  return failure('service-unavailable', 'the agent is shutting down');
}

function describeRequest(request: AgentRequest): string {
  return request.kind === 'skills'
    ? `a skills request from ${request.from}`
    : `execute ${request.skill} from ${request.from}`;
}
