/**
 * mx-agent's own skills for the chat agent: list the peer agents of its workspaces
 * (discover), and ask one of them a question and wait for its answer (the agent protocol's
 * `chat` skill, on XMPP and Matrix alike). Asking an agent the person did not name needs their
 * yes: a model must not message strangers on its own (OpenClaw #19786, reference §3.2).
 */
import { discoverAgents, type DiscoverySource } from '../discovery/discover.ts';
import type { JsonObject, SkillDescription, Transport } from '../transport/transport.ts';
import { shareContextSkill } from './share-skill.ts';
import { namedBy } from './chat-helpers.ts';
import type { AgentSkill, SkillContext, SkillResult } from './skills/types.ts';

/** The agent protocol skill every serve agent offers: one chat turn, answered in the result. */
export const CHAT_SKILL: SkillDescription = {
  name: 'chat',
  description: 'Ask this agent something, as if in a chat; the answer is the result.',
  inputSchema: {
    type: 'object',
    properties: { message: { type: 'string', description: 'What to ask' } },
    required: ['message'],
  },
  destructive: false,
};

/** How long a delegated question may take. */
const ASK_TIMEOUT_MS = 180_000;

/** Where the native skills find peers. */
export interface PeerAccess {
  /** The discovery sources: each connected transport with its workspaces. */
  sources(): readonly DiscoverySource[];
  /** The transport that reaches `address` (Matrix ids on Matrix, the rest on XMPP). */
  transportFor(address: string): Transport | undefined;
}

/** `list_peers`, `ask_agent` and `share_context`. */
export function nativeSkills(peers: PeerAccess): AgentSkill[] {
  return [listPeers(peers), askAgent(peers), shareContextSkill((a) => peers.transportFor(a))];
}

function listPeers(peers: PeerAccess): AgentSkill {
  return {
    name: 'list_peers',
    description:
      'List the peer agents in your workspaces: their names, ids, addresses, liveness and skills. Use it before ask_agent to find who can help.',
    inputSchema: {
      type: 'object',
      properties: {
        capability: { type: 'string', description: 'Only agents offering this capability' },
      },
    },
    run: async (input, context) => {
      const capability = typeof input.capability === 'string' ? [input.capability] : [];
      const report = await discoverAgents(peers.sources(), {
        capabilities: capability,
        signal: context.signal,
      });
      if (report.agents.length === 0)
        return { content: "No peer agents found in this agent's workspaces." };
      const lines = report.agents.map((agent) => {
        const card = agent.card;
        const addresses = card.addresses.map((a) => `${a.network}:${a.address}`).join(', ');
        const skills = card.skills.map((s) => s.name).join(', ');
        return `- ${card.name} (${agent.id}), ${agent.liveness}; addresses: ${addresses}${skills === '' ? '' : `; skills: ${skills}`}`;
      });
      // Cards are written by other people: data, not instructions.
      return { content: lines.join('\n'), untrusted: { source: 'agent cards of peers' } };
    },
  };
}

function askAgent(peers: PeerAccess): AgentSkill {
  return {
    name: 'ask_agent',
    description:
      'Ask a peer agent (by its XMPP or Matrix address) a question and wait for its answer. Only for agents the person asked you to consult.',
    inputSchema: {
      type: 'object',
      properties: {
        agent: {
          type: 'string',
          description: 'The agent address: bot@example.org or @bot:example.org',
        },
        question: { type: 'string', description: 'The question, self-contained' },
      },
      required: ['agent', 'question'],
    },
    confirmWhen: (input, context) =>
      typeof input.agent !== 'string' || !namedBy(context.request, input.agent),
    run: async (input, context) => ask(peers, input, context),
  };
}

async function ask(
  peers: PeerAccess,
  input: JsonObject,
  context: SkillContext,
): Promise<SkillResult> {
  const agent = typeof input.agent === 'string' ? input.agent.trim() : '';
  const question = typeof input.question === 'string' ? input.question : '';
  if (agent === '' || question === '')
    return { content: 'ask_agent needs an agent address and a question.', isError: true };
  const transport = peers.transportFor(agent);
  if (transport === undefined) return { content: `No connection reaches ${agent}.`, isError: true };
  const answer = await transport.askAgent(
    agent,
    { kind: 'execute', skill: CHAT_SKILL.name, params: { message: question } },
    { signal: context.signal, timeoutMs: ASK_TIMEOUT_MS },
  );
  if (answer.kind === 'error')
    return { content: `${agent} refused (${answer.condition}): ${answer.text}`, isError: true };
  if (answer.kind !== 'result')
    return { content: `${agent} answered with something other than a result.`, isError: true };
  return { content: answer.text, untrusted: { source: `agent ${agent}` } };
}
