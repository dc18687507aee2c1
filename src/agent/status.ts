/**
 * The `/status` reply, line for line Fluux Agent's template
 * (../shared/reference/fluux-agent-and-openclaw.md §2.1), with a Matrix mode line and the
 * spend caps added at the end.
 */
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { displayText } from './context-window.ts';
import type { ConversationMemory } from './memory.ts';

/** What the status reports about the agent as a whole. */
export interface AgentFacts {
  readonly name: string;
  readonly startedAt: number;
  /** One line per connection: `component (agent.example.org)`, `C2S client (bot@example.org)`, `Matrix (@bot:example.org)`. */
  readonly modes: readonly string[];
  readonly provider: string;
  readonly model: string;
  readonly skills: readonly string[];
  readonly keepalive?: { readonly pingSecs: number; readonly timeoutSecs: number };
  readonly idleTimeoutMins: number;
  /** The configured allowed domains, and our own domain for the default. */
  readonly allowedDomains: readonly string[];
  readonly ownDomain: string;
}

/** The status text for a conversation (`room` true for a room). */
export function statusText(
  facts: AgentFacts,
  memory: ConversationMemory,
  conversation: string,
  room: boolean,
  now = Date.now(),
): string {
  const minutes = Math.floor((now - facts.startedAt) / 60_000);
  const lines = [
    `${facts.name} — status`,
    `Uptime: ${String(Math.floor(minutes / 60))}h ${String(minutes % 60)}m`,
    `Mode: ${facts.modes.join(' + ')}`,
    `LLM: ${facts.provider} (${facts.model})`,
    facts.skills.length === 0 ? 'Skills: none' : `Skills: ${[...facts.skills].sort().join(', ')}`,
    facts.keepalive
      ? `Keepalive: ping ${String(facts.keepalive.pingSecs)}s / timeout ${String(facts.keepalive.timeoutSecs)}s`
      : 'Keepalive: disabled',
    facts.idleTimeoutMins > 0
      ? `Session timeout: ${String(facts.idleTimeoutMins)}m idle`
      : 'Session timeout: disabled',
    contextBlock(memory, conversation, room),
    `Workspace: instructions=${yn(memory.workspace('instructions'))}, identity=${yn(memory.workspace('identity'))}, personality=${yn(memory.workspace('personality'))}`,
    allowedLine(facts),
  ];
  return lines.join('\n');
}

function contextBlock(memory: ConversationMemory, conversation: string, room: boolean): string {
  const messages = memory.log.messages().filter((m) => displayText(m) !== '').length;
  const archived = countFiles(join(memory.dir, 'sessions'), (n) => /\.(jsonl|md)$/.test(n));
  const lines = room
    ? [
        `Room: ${conversation}`,
        `Room messages: ${String(messages)}`,
        `Archived sessions: ${String(archived)}`,
      ]
    : [`Your session: ${String(messages)} messages`, `Archived sessions: ${String(archived)}`];
  const files = countFiles(join(memory.dir, 'files'), () => true);
  if (files > 0) lines.push(`Files: ${String(files)}`);
  const knowledge = memory.knowledge().length;
  if (knowledge > 0) lines.push(`Knowledge entries: ${String(knowledge)}`);
  if (!room) {
    lines.push(`User profile: ${yn(memory.userProfile())}`);
    lines.push(`User memory: ${yn(memory.notes())}`);
  }
  return lines.join('\n');
}

function allowedLine(facts: AgentFacts): string {
  if (facts.allowedDomains.length === 0) return `Allowed domains: ${facts.ownDomain} (default)`;
  if (facts.allowedDomains.includes('*')) return 'Allowed domains: * (all)';
  return `Allowed domains: ${facts.allowedDomains.join(', ')}`;
}

function yn(value: string | undefined): string {
  return value === undefined ? 'none' : 'yes';
}

function countFiles(dir: string, keep: (name: string) => boolean): number {
  if (!existsSync(dir)) return 0;
  try {
    return readdirSync(dir, { withFileTypes: true }).filter((e) => e.isFile() && keep(e.name))
      .length;
  } catch {
    return 0;
  }
}
