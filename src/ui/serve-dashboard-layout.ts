/**
 * How the serve dashboard fits a terminal: how many rows each section gets when they do not all
 * fit, and what each row says. Pure, like the model; serve-dashboard.ts only turns these into
 * ink elements.
 */
import type { ConnectionState } from '../transport/transport.ts';
import type { ConnectionView, ConversationView, RecentLine } from './serve-dashboard-model.ts';
import { formatElapsed } from './workflow-view-layout.ts';

/** Recent-activity rows at most: "the last few", whatever the height. */
export const RECENT_ROWS = 5;

/** A number of rows (or of items) per section. */
export interface SectionRows {
  readonly connections: number;
  readonly conversations: number;
  readonly recent: number;
}

/**
 * Rows per section within `available` rows, given how many items each has. An empty section
 * still takes one row (it says so). When they do not all fit each gets one row, then
 * connections up to a third of the rest, recent lines up to a quarter, conversations the
 * remainder, and what conversations leave goes back to the other two.
 */
export function fitSections(counts: SectionRows, available: number): SectionRows {
  const want = {
    connections: Math.max(1, counts.connections),
    conversations: Math.max(1, counts.conversations),
    recent: Math.min(RECENT_ROWS, Math.max(1, counts.recent)),
  };
  const room = Math.max(3, available);
  if (want.connections + want.conversations + want.recent <= room) return want;
  const fit = { connections: 1, conversations: 1, recent: 1 };
  let left = room - 3;
  const grow = (key: keyof SectionRows, cap: number): void => {
    const n = Math.max(0, Math.min(want[key] - fit[key], cap, left));
    fit[key] += n;
    left -= n;
  };
  const share = left;
  grow('connections', Math.floor(share / 3));
  grow('recent', Math.floor(share / 4));
  grow('conversations', left);
  grow('connections', left);
  grow('recent', left);
  return fit;
}

/** The items a section shows and how many did not fit. */
export interface Picked<T> {
  readonly shown: readonly T[];
  readonly hidden: readonly T[];
}

/** The first items within `rows`, keeping the last row for "… N more" when they do not fit. */
export function pickFirst<T>(items: readonly T[], rows: number): Picked<T> {
  if (items.length <= rows) return { shown: items, hidden: [] };
  const keep = Math.max(0, rows - 1);
  return { shown: items.slice(0, keep), hidden: items.slice(keep) };
}

/** "… 3 more", and how many of them run a turn now. */
export function conversationsMoreLine(hidden: readonly ConversationView[]): string {
  const running = hidden.filter((c) => c.running).length;
  return `… ${String(hidden.length)} more${running > 0 ? ` (${String(running)} replying)` : ''}`;
}

/** The section title of conversations: how many, and how many run a turn now. */
export function conversationsTitle(conversations: readonly ConversationView[]): string {
  const running = conversations.filter((c) => c.running).length;
  const count = conversations.length > 0 ? ` ${String(conversations.length)}` : '';
  return `conversations${count}${running > 0 ? `, ${String(running)} replying` : ''}`;
}

/** The symbol and colour of each connection state. */
export const CONNECTION_STYLE: Readonly<
  Record<ConnectionState, { symbol: string; color: string }>
> = {
  online: { symbol: '●', color: 'green' },
  connecting: { symbol: '◌', color: 'yellow' },
  reconnecting: { symbol: '◌', color: 'yellow' },
  offline: { symbol: '✗', color: 'red' },
  closed: { symbol: '✗', color: 'red' },
};

/** What a connection row says after the account: its state, its retry, and for how long. */
export function connectionDetail(connection: ConnectionView, now: number): string {
  const retry =
    connection.state === 'reconnecting' || connection.state === 'connecting'
      ? connection.retries > 0
        ? `, retry ${String(connection.retries)}`
        : ''
      : '';
  return `${connection.state}${retry}  ${formatAge(now - connection.since)}`;
}

/** The symbol and colour of a conversation row: a turn running, refused, or idle. */
export function conversationMark(conversation: ConversationView): {
  symbol: string;
  color?: string;
  dimColor?: boolean;
} {
  if (conversation.running) return { symbol: '●', color: 'cyan' };
  if (conversation.refused) return { symbol: '⊘', color: 'red' };
  return { symbol: '○', dimColor: true };
}

/** The counts of a conversation row: "3 in 2 out". */
export function conversationCounts(conversation: ConversationView): string {
  return `${String(conversation.messagesIn)} in ${String(conversation.messagesOut)} out`;
}

/** The last column of a conversation row: its last line, marked by who said it. */
export function conversationText(conversation: ConversationView): string {
  if (conversation.last === undefined) return conversation.refused ? 'refused' : '';
  return `${conversation.last.direction === 'in' ? '←' : '→'} ${conversation.last.text}`;
}

/** The colour of a recent line. */
export const RECENT_STYLE: Readonly<
  Record<RecentLine['tone'], { color?: string; dimColor?: boolean }>
> = {
  info: {},
  warn: { color: 'yellow' },
  refused: { color: 'red' },
};

/** A time since, to the second below a day, then in days and hours: "45s", "2m05s", "3d04h". */
export function formatAge(ms: number): string {
  const hours = Math.floor(Math.max(0, ms) / 3_600_000);
  if (hours < 24) return formatElapsed(ms);
  return `${String(Math.floor(hours / 24))}d${String(hours % 24).padStart(2, '0')}h`;
}
