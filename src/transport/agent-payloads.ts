/**
 * The agent protocol as our own payloads (specs/protocol.md §11.3), for networks without IQs
 * (Matrix, the fake): `agent.request` v1 `{id, op, skill?, params?, expires?}` and
 * `agent.response` v1 `{id, kind, …}` with the fields of an AgentResponse.
 */
import { agentAskProblem, agentResponseProblem, type AgentAsk } from './agent-shapes.ts';
import { describeValue } from '../errors.ts';
import type { AgentResponse, JsonObject, Payload } from './transport.ts';

/** The payload kind of a request. */
export const AGENT_REQUEST_KIND = 'agent.request';
/** The payload kind of an answer. */
export const AGENT_RESPONSE_KIND = 'agent.response';
/** The one version of both. */
export const AGENT_PAYLOAD_VERSION = 1;

const MAX_ID_LENGTH = 128;

/** A request as it arrived: well-formed, or what is wrong (with its id when it had one). */
export type DecodedRequest =
  | { readonly ok: true; readonly id: string; readonly ask: AgentAsk; readonly expires?: number }
  | { readonly ok: false; readonly id?: string; readonly problem: string };

/** An answer as it arrived: well-formed, or what is wrong (with its id when it had one). */
export type DecodedResponse =
  | { readonly ok: true; readonly id: string; readonly response: AgentResponse }
  | { readonly ok: false; readonly id?: string; readonly problem: string };

/** The payload asking `ask`, answered by `expires` (ms since the epoch) or never. */
export function requestPayload(id: string, ask: AgentAsk, expires: number): Payload {
  const body: JsonObject =
    ask.kind === 'skills'
      ? { id, op: 'skills', expires }
      : { id, op: 'execute', skill: ask.skill, params: { ...ask.params }, expires };
  return { kind: AGENT_REQUEST_KIND, version: AGENT_PAYLOAD_VERSION, body };
}

/** The payload answering request `id`. */
export function responsePayload(id: string, response: AgentResponse): Payload {
  const body: JsonObject =
    response.kind === 'skills'
      ? {
          id,
          kind: 'skills',
          skills: response.skills.map((s) => ({
            name: s.name,
            description: s.description,
            inputSchema: s.inputSchema,
            destructive: s.destructive,
          })),
        }
      : { id, ...response };
  return { kind: AGENT_RESPONSE_KIND, version: AGENT_PAYLOAD_VERSION, body };
}

/** Read an `agent.request` payload. */
export function decodeRequest(payload: Payload): DecodedRequest {
  const { body } = payload;
  const id = idOf(body);
  if (typeof id !== 'string') return { ok: false, problem: id.problem };
  const bad = (problem: string): DecodedRequest => ({ ok: false, id, problem });
  if (payload.version !== AGENT_PAYLOAD_VERSION)
    return bad(
      `${AGENT_REQUEST_KIND} version ${String(payload.version)} is not supported; send version ${String(AGENT_PAYLOAD_VERSION)}`,
    );
  const { expires } = body;
  if (expires !== undefined && (typeof expires !== 'number' || !Number.isFinite(expires)))
    return bad(
      `expected "expires" to be milliseconds since the epoch, got ${describeValue(expires)}`,
    );
  if (body.op !== 'skills' && body.op !== 'execute')
    return bad(`expected "op" to be "skills" or "execute", got ${describeValue(body.op)}`);
  const ask =
    body.op === 'skills'
      ? { kind: 'skills' }
      : { kind: 'execute', skill: body.skill, params: body.params ?? {} };
  const problem = agentAskProblem(ask);
  if (problem) return bad(problem);
  return { ok: true, id, ask: ask as AgentAsk, ...(expires === undefined ? {} : { expires }) };
}

/** Read an `agent.response` payload. */
export function decodeResponse(payload: Payload): DecodedResponse {
  const { body } = payload;
  const id = idOf(body);
  if (typeof id !== 'string') return { ok: false, problem: id.problem };
  if (payload.version !== AGENT_PAYLOAD_VERSION)
    return {
      ok: false,
      id,
      problem: `${AGENT_RESPONSE_KIND} version ${String(payload.version)} is not supported`,
    };
  const { id: _id, ...rest } = body;
  const problem = agentResponseProblem(rest);
  if (problem) return { ok: false, id, problem };
  return { ok: true, id, response: rest as unknown as AgentResponse };
}

function idOf(body: JsonObject): string | { problem: string } {
  const { id } = body;
  if (typeof id === 'string' && id !== '' && id.length <= MAX_ID_LENGTH) return id;
  return {
    problem: `expected "id" to be a string of 1 to ${String(MAX_ID_LENGTH)} characters, got ${describeValue(id)}`,
  };
}
