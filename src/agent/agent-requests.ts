/**
 * Answers the agent protocol (urn:fluux:agent:0 on XMPP, its payloads on Matrix): `#skills`
 * lists the skills with their schemas plus `chat`; `#execute` runs one for an allowed peer.
 * Parameters arrive as strings and are converted to what the skill's schema says. A
 * destructive skill asks the requester for a yes in chat first (#confirm), and a no, or no
 * answer in time, is `forbidden`.
 */
import type {
  AgentRequestHandler,
  AgentResponse,
  JsonObject,
  JsonValue,
  SkillDescription,
  Transport,
} from '../transport/transport.ts';
import type { ChatAgent } from './chat-agent.ts';
import { bareAddress } from './chat-helpers.ts';
import { ConversationMemory } from './memory.ts';
import { CHAT_SKILL } from './native-skills.ts';
import type { AgentSkill } from './skills/types.ts';

/** What the handler needs. */
export interface AgentRequestDeps {
  readonly allowed: (sender: string) => boolean;
  readonly skills: {
    get(name: string): AgentSkill | undefined;
    describe(): readonly SkillDescription[];
  };
  readonly chat: ChatAgent;
  readonly memoryDir: string;
}

/** The handler for one transport. */
export function agentRequestHandler(
  transport: Transport,
  deps: AgentRequestDeps,
): AgentRequestHandler {
  return async (request, signal): Promise<AgentResponse> => {
    if (!deps.allowed(request.from))
      return { kind: 'error', condition: 'forbidden', text: 'this agent does not serve you' };
    if (request.kind === 'skills')
      return { kind: 'skills', skills: [CHAT_SKILL, ...deps.skills.describe()] };
    if (request.skill === CHAT_SKILL.name) {
      const message = request.params.message;
      if (message === undefined || message.trim() === '')
        return { kind: 'error', condition: 'bad-request', text: 'chat needs a message parameter' };
      const text = await deps.chat.ask(transport, request.from, message, signal);
      return { kind: 'result', text };
    }
    const skill = deps.skills.get(request.skill);
    if (skill === undefined)
      return {
        kind: 'error',
        condition: 'item-not-found',
        text: `no skill named ${request.skill}`,
      };
    const input = inputFrom(request.params, skill.inputSchema);
    if (typeof input === 'string') return { kind: 'error', condition: 'bad-request', text: input };
    if (skill.destructive === true) {
      const yes = await deps.chat.confirmDirect(
        transport,
        request.from,
        {
          text: `${request.from} asks me to run ${skill.name} with ${JSON.stringify(input)}. Allow it?`,
          action: skill.name,
        },
        signal,
      );
      if (!yes)
        return { kind: 'error', condition: 'forbidden', text: `${skill.name} was not confirmed` };
    }
    const conversation = bareAddress(request.from);
    const result = await skill.run(input, {
      conversation,
      sender: conversation,
      memory: new ConversationMemory(deps.memoryDir, conversation),
      signal,
    });
    if (result.isError === true)
      return { kind: 'error', condition: 'internal-server-error', text: result.content };
    return { kind: 'result', text: result.content };
  };
}

/** The skill input from string parameters, typed by the schema; a string says what is wrong. */
export function inputFrom(
  params: Readonly<Record<string, string>>,
  schema: JsonObject,
): JsonObject | string {
  const properties: JsonObject =
    typeof schema.properties === 'object' &&
    schema.properties !== null &&
    !Array.isArray(schema.properties)
      ? schema.properties
      : {};
  const input: JsonObject = {};
  for (const [name, raw] of Object.entries(params)) {
    const spec = properties[name];
    const declared =
      typeof spec === 'object' && spec !== null && !Array.isArray(spec) ? spec.type : undefined;
    const type = typeof declared === 'string' ? declared : 'string';
    const value = typed(raw, type);
    if (value === undefined)
      return `parameter ${name}: expected ${type}, got ${JSON.stringify(raw)}`;
    input[name] = value;
  }
  const required = Array.isArray(schema.required) ? schema.required : [];
  for (const name of required)
    if (typeof name === 'string' && !(name in input)) return `parameter ${name} is required`;
  return input;
}

function typed(raw: string, type: string): JsonValue | undefined {
  switch (type) {
    case 'integer':
      return /^-?\d+$/.test(raw) ? Number(raw) : undefined;
    case 'number':
      return raw.trim() !== '' && Number.isFinite(Number(raw)) ? Number(raw) : undefined;
    case 'boolean':
      return raw === 'true' ? true : raw === 'false' ? false : undefined;
    case 'array':
    case 'object':
      try {
        const v = JSON.parse(raw) as JsonValue;
        return (type === 'array') === Array.isArray(v) && typeof v === 'object' ? v : undefined;
      } catch {
        return undefined;
      }
    default:
      return raw;
  }
}
