/**
 * What the `mx-agent serve` dashboard shows, as plain data: the agent's activity folded into
 * connections, conversations and recent log lines. Pure (every activity carries its own time),
 * so it is tested without ink; serve-dashboard.ts draws it, serve-dashboard-layout.ts fits it.
 */
import type { AgentActivity, SpendSnapshot } from '../agent/activity.ts';
import type { ConnectionState } from '../transport/transport.ts';
import { sanitizeLine } from './workflow-view-model.ts';

/** One account's connection. */
export interface ConnectionView {
  readonly account: string;
  readonly state: ConnectionState;
  /** When it entered this state (a retry does not restart the clock of 'reconnecting'). */
  readonly since: number;
  /** Reconnect attempts since it was last online: each 'reconnecting' report is one. */
  readonly retries: number;
}

/** The last line said in a conversation, and by whom. */
export interface LastLine {
  readonly direction: 'in' | 'out';
  readonly text: string;
}

/** One conversation (a person or a room). */
export interface ConversationView {
  readonly id: string;
  readonly messagesIn: number;
  readonly messagesOut: number;
  /** When anything last happened in it. */
  readonly lastAt: number;
  /** A message arrived after the last answer (reply, refusal or command): a turn runs now. */
  readonly running: boolean;
  /** Refused by the access rules. */
  readonly refused: boolean;
  readonly last?: LastLine;
}

/** A line of the recent-activity section. */
export interface RecentLine {
  readonly tone: 'info' | 'warn' | 'refused';
  readonly text: string;
  readonly at: number;
}

/** The whole dashboard. */
export interface DashboardModel {
  readonly name: string;
  readonly startedAt: number;
  /** Replies sent since the dashboard started. */
  readonly replies: number;
  /** In the order the accounts first reported. */
  readonly connections: readonly ConnectionView[];
  readonly conversations: Readonly<Record<string, ConversationView>>;
  /** The latest RECENT_KEPT lines, oldest first. */
  readonly recent: readonly RecentLine[];
}

/** Recent lines kept; more than a screen shows, so a taller terminal has them at once. */
export const RECENT_KEPT = 50;

/** The dashboard before the first activity. */
export function createDashboardModel(name: string, startedAt: number): DashboardModel {
  return { name, startedAt, replies: 0, connections: [], conversations: {}, recent: [] };
}

/** The dashboard after `activity`. */
export function reduceActivity(model: DashboardModel, activity: AgentActivity): DashboardModel {
  switch (activity.type) {
    case 'connection':
      return { ...model, connections: nextConnections(model.connections, activity) };
    case 'message':
      return updateConversation(model, activity.conversation, activity.at, (c) => ({
        ...c,
        messagesIn: c.messagesIn + 1,
        running: true,
        last: { direction: 'in', text: lastLineOf(activity.text) },
      }));
    case 'reply':
      return {
        ...updateConversation(model, activity.conversation, activity.at, (c) => ({
          ...c,
          messagesOut: c.messagesOut + 1,
          running: false,
          last: { direction: 'out', text: lastLineOf(activity.text) },
        })),
        replies: model.replies + 1,
      };
    case 'refused':
      return addRecent(
        updateConversation(model, activity.conversation, activity.at, (c) => ({
          ...c,
          running: false,
          refused: true,
        })),
        {
          tone: 'refused',
          text: `refused ${sanitizeLine(activity.conversation)}`,
          at: activity.at,
        },
      );
    case 'command':
      return updateConversation(model, activity.conversation, activity.at, (c) => ({
        ...c,
        running: false,
        last: { direction: 'in', text: lastLineOf(activity.command) },
      }));
    case 'log':
      // Debug lines are for the structured log, not a screen someone glances at.
      if (activity.level === 'debug') return model;
      return addRecent(model, {
        tone: activity.level,
        text: lastLineOf(activity.message),
        at: activity.at,
      });
  }
}

function nextConnections(
  connections: readonly ConnectionView[],
  activity: Extract<AgentActivity, { type: 'connection' }>,
): readonly ConnectionView[] {
  const account = sanitizeLine(activity.account);
  const before = connections.find((c) => c.account === account);
  const retrying = activity.state === 'reconnecting';
  const next: ConnectionView = {
    account,
    state: activity.state,
    since: before?.state === activity.state ? before.since : activity.at,
    // Counting runs from the last time it was online: a failed 'connecting' is still retrying.
    retries: retrying
      ? (before?.retries ?? 0) + 1
      : activity.state === 'online'
        ? 0
        : (before?.retries ?? 0),
  };
  return before === undefined
    ? [...connections, next]
    : connections.map((c) => (c === before ? next : c));
}

function updateConversation(
  model: DashboardModel,
  id: string,
  at: number,
  change: (conversation: ConversationView) => ConversationView,
): DashboardModel {
  const clean = sanitizeLine(id);
  const before: ConversationView = model.conversations[clean] ?? {
    id: clean,
    messagesIn: 0,
    messagesOut: 0,
    lastAt: at,
    running: false,
    refused: false,
  };
  const after = change({ ...before, lastAt: Math.max(before.lastAt, at) });
  return { ...model, conversations: { ...model.conversations, [clean]: after } };
}

function addRecent(model: DashboardModel, line: RecentLine): DashboardModel {
  return { ...model, recent: [...model.recent, line].slice(-RECENT_KEPT) };
}

/** Conversations, the most recently active first (ties by id, so rows do not swap). */
export function conversationsByRecency(model: DashboardModel): ConversationView[] {
  return Object.values(model.conversations).sort(
    (a, b) => b.lastAt - a.lastAt || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0),
  );
}

/** The last non-blank line of `text`, safe for the screen ("" when it is all blank). */
export function lastLineOf(text: string): string {
  const lines = text.split(/\r\n|\r|\n/).filter((line) => line.trim() !== '');
  return sanitizeLine(lines.at(-1) ?? '').trim();
}

/** How the spend reads: quiet, nearing the cap (past 80%), or at the cap. */
export type SpendTone = 'normal' | 'warning' | 'error';

/** Share of the cap past which the spend is shown as a warning. */
export const SPEND_WARNING = 0.8;

/** The header's token count: "1,234 tokens today", or "… of 10,000 (12%)" under a cap. */
export function spendSummary(spend: SpendSnapshot): { text: string; tone: SpendTone } {
  if (spend.cap <= 0) return { text: `${groupDigits(spend.total)} tokens today`, tone: 'normal' };
  const share = spend.total / spend.cap;
  const percent = Math.floor(share * 100);
  return {
    text: `${groupDigits(spend.total)} of ${groupDigits(spend.cap)} tokens today (${String(percent)}%)`,
    tone: share >= 1 ? 'error' : share > SPEND_WARNING ? 'warning' : 'normal',
  };
}

/** 1234567 → "1,234,567", the same whatever the locale. */
export function groupDigits(n: number): string {
  return String(Math.round(n)).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}
