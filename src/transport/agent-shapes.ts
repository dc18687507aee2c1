/**
 * The agent protocol's data (urn:fluux:agent:0, specs/protocol.md §11) checked wherever it comes
 * from: a peer's answer, our own handler's answer, the session link. Each check says what is
 * wrong, so a malformed answer can be reported precisely instead of passed on.
 */
import { describeValue, quote } from '../errors.ts';
import type { AgentResponse, JsonObject } from './transport.ts';

/** The stanza error conditions (RFC 6120 §8.3.3) an AgentResponse may carry. */
export type AgentCondition = Extract<AgentResponse, { kind: 'error' }>['condition'];

/** Every AgentCondition, for checks at run time. */
export const AGENT_CONDITIONS: ReadonlySet<string> = new Set<AgentCondition>([
  'bad-request',
  'forbidden',
  'item-not-found',
  'not-authorized',
  'internal-server-error',
  'service-unavailable',
]);

/** True for a condition an AgentResponse can carry. */
export function isAgentCondition(value: unknown): value is AgentCondition {
  return typeof value === 'string' && AGENT_CONDITIONS.has(value);
}

/** The two operations a peer may ask for. */
export type AgentOp = 'skills' | 'execute';

/** What `askAgent` sends: a request without its sender. */
export type AgentAsk =
  | { readonly kind: 'skills' }
  | {
      readonly kind: 'execute';
      readonly skill: string;
      readonly params: Readonly<Record<string, string>>;
    };

const isObject = (value: unknown): value is JsonObject =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** What is wrong with a skill description, or undefined when it is well-formed. */
export function skillProblem(value: unknown): string | undefined {
  if (!isObject(value)) return `expected a skill description object, got ${describeValue(value)}`;
  if (typeof value.name !== 'string' || value.name === '')
    return `expected a skill with a non-empty string name, got ${describeValue(value.name)}`;
  if (typeof value.description !== 'string')
    return `expected skill ${quote(value.name)} to have a string description, got ${describeValue(value.description)}`;
  if (!isObject(value.inputSchema))
    return `expected skill ${quote(value.name)} to have an inputSchema object, got ${describeValue(value.inputSchema)}`;
  if (typeof value.destructive !== 'boolean')
    return `expected skill ${quote(value.name)} to say destructive true or false, got ${describeValue(value.destructive)}`;
  return undefined;
}

/** What is wrong with an agent response, or undefined when it is well-formed. */
export function agentResponseProblem(value: unknown): string | undefined {
  if (!isObject(value)) return `expected an agent response object, got ${describeValue(value)}`;
  const kind = typeof value.kind === 'string' ? value.kind : '';
  switch (kind) {
    case 'skills': {
      if (!Array.isArray(value.skills))
        return `expected "skills" to be a list, got ${describeValue(value.skills)}`;
      for (const skill of value.skills) {
        const problem = skillProblem(skill);
        if (problem) return problem;
      }
      const names = value.skills.map((s) => (isObject(s) ? s.name : undefined));
      const twice = names.find((name, i) => names.indexOf(name) !== i);
      if (twice !== undefined) return `skill ${quote(twice)} is listed twice`;
      return undefined;
    }
    case 'result':
      return typeof value.text === 'string'
        ? undefined
        : `expected a result with a string "text", got ${describeValue(value.text)}`;
    case 'error':
      if (!isAgentCondition(value.condition))
        return `expected an error condition among ${[...AGENT_CONDITIONS].join(', ')}, got ${describeValue(value.condition)}`;
      return typeof value.text === 'string'
        ? undefined
        : `expected an error with a string "text", got ${describeValue(value.text)}`;
    default:
      return `expected an answer of kind "skills", "result" or "error", got ${describeValue(value.kind)}`;
  }
}

/**
 * What is wrong with `response` as the answer to a request of kind `op`: a list of skills
 * answers `skills`, a result answers `execute`, an error answers either.
 */
export function mismatchProblem(op: AgentOp, response: AgentResponse): string | undefined {
  if (response.kind === 'error') return undefined;
  if (op === 'skills' && response.kind !== 'skills')
    return `a skills request was answered with a ${response.kind}`;
  if (op === 'execute' && response.kind !== 'result')
    return `an execute request was answered with a list of skills`;
  return undefined;
}

/** What is wrong with the arguments of askAgent, or undefined. */
export function agentAskProblem(value: unknown): string | undefined {
  if (!isObject(value)) return `expected an agent request object, got ${describeValue(value)}`;
  if (value.kind === 'skills') return undefined;
  if (value.kind !== 'execute')
    return `expected an agent request of kind "skills" or "execute", got ${describeValue(value.kind)}`;
  if (typeof value.skill !== 'string' || value.skill === '')
    return `expected the name of the skill to execute, got ${describeValue(value.skill)}`;
  if (!isObject(value.params))
    return `expected params as an object, got ${describeValue(value.params)}`;
  const bad = Object.entries(value.params).find(([, v]) => typeof v !== 'string');
  if (bad) return `expected every param to be a string, got ${bad[0]}: ${describeValue(bad[1])}`;
  return undefined;
}
