/** Small pieces of the chat agent: addresses, room admins, the /skills text, logged attachments. */
import type { Attachment } from '../transport/transport.ts';
import { humanSize, safeName } from './attachments.ts';
import type { Conversation } from './chat-agent.ts';

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
