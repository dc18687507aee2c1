/**
 * Small pieces of the chat agent: addresses, room admins, command replies, the /skills text,
 * logged attachments.
 */
import type { Attachment, SkillDescription, Target, Transport } from '../transport/transport.ts';
import { humanSize, safeName } from './attachments.ts';
import { basicCommandReply, type Command } from './commands.ts';
import type { ConversationMemory } from './memory.ts';
import type { SpendLedger } from './spend.ts';
import { statusText, type AgentFacts } from './status.ts';

/** A room the agent joins. */
export interface RoomSetting {
  readonly address: string;
  readonly nick: string;
}

/** Where an inbound text belongs. */
export interface Conversation {
  /** Directory id: the bare address of a person, or the room. */
  readonly id: string;
  readonly room: boolean;
  /** Where replies go: the sender's full address, or the room. */
  readonly reply: Target;
  readonly transport: Transport;
}

/** The one answer to someone the agent is not configured to serve. */
export const REFUSAL =
  'Sorry, I only answer people this agent is configured to serve. Ask its owner to add you.';

/** An attachment as the session log records it before it is downloaded. */
export function loggedAttachment(a: Attachment): {
  filename: string;
  mime_type: string;
  size: string;
} {
  return {
    filename: safeName(a.name ?? 'file'),
    mime_type: a.contentType ?? 'application/octet-stream',
    size: a.size === undefined ? 'unknown' : humanSize(a.size),
  };
}

/** `alice@example.org/phone` → `alice@example.org`; Matrix ids unchanged. */
export function bareAddress(address: string): string {
  if (address.startsWith('@')) return address;
  const slash = address.indexOf('/');
  return slash < 0 ? address : address.slice(0, slash);
}

/** The nick of an XMPP occupant (`room@muc/nick`), or a Matrix user id as it is. */
export function occupantName(address: string): string {
  if (address.startsWith('@')) return address;
  const slash = address.indexOf('/');
  return slash < 0 ? address : address.slice(slash + 1);
}

export async function isRoomAdmin(conversation: Conversation, person: string): Promise<boolean> {
  const { transport, id } = conversation;
  try {
    const roles = await transport.roles(id, { timeoutMs: 10_000 });
    const member = transport.members(id).find((m) => m.address === person);
    // An XMPP occupant (room/nick) is known by the account the room reveals; elsewhere the
    // sender is the account.
    const account = member?.account ?? (person.startsWith(`${id}/`) ? undefined : person);
    return account !== undefined && roles.some((r) => r.account === account && r.role === 'owner');
  } catch {
    return false;
  }
}

/** The reply to a slash command (`/stop` aside, which the agent handles itself). */
export async function commandReply(
  agent: {
    readonly facts: () => AgentFacts;
    readonly skills: { describe(): readonly SkillDescription[] };
    readonly ledger: SpendLedger;
  },
  conversation: Conversation,
  command: Command,
  person: string,
  memory: ConversationMemory,
  room: boolean,
): Promise<string> {
  switch (command.name) {
    case '/status':
      return statusText(agent.facts(), memory, conversation.id, room);
    case '/skills':
      return skillsText(agent.skills.describe());
    case '/usage':
      return agent.ledger.usageText(room ? person : conversation.id);
    case '/forget':
      if (room && !(await isRoomAdmin(conversation, person)))
        return 'Only an admin of this room can make me forget it.';
      return basicCommandReply(command, memory) ?? '';
    default:
      return basicCommandReply(command, memory) ?? '';
  }
}

export function skillsText(
  skills: readonly {
    readonly name: string;
    readonly description: string;
    readonly destructive: boolean;
  }[],
): string {
  if (skills.length === 0) return 'No skills are enabled: I can only chat.';
  return [
    'Skills:',
    ...[...skills]
      .sort((a, b) => a.name.localeCompare(b.name))
      .map(
        (s) => `  ${s.name}${s.destructive ? ' (asks first)' : ''} — ${firstLine(s.description)}`,
      ),
  ].join('\n');
}

function firstLine(text: string): string {
  return text.split('\n')[0] ?? '';
}

/** True when `address` appears in what the person wrote, so messaging it was their idea. */
export function namedBy(request: string | undefined, address: string): boolean {
  return request !== undefined && request.toLowerCase().includes(address.toLowerCase());
}
