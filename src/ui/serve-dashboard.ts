/**
 * The live dashboard of `mx-agent serve` in a terminal (ink): a header with the agent's uptime,
 * replies and tokens today, then its connections, its conversations (most recently active
 * first) and its recent log lines, fitted to the terminal. The activity feed folds into a model
 * (serve-dashboard-model.ts); this file only draws it (live-view.ts decides when). No raw mode: Ctrl-C stays a SIGINT that stops the agent, as without the view.
 * Plain `createElement` calls: the sources stay runnable by Node's type stripping.
 */
import { Box, Text } from 'ink';
import { createElement as h, type ReactElement } from 'react';
import { startLiveView } from './live-view.ts';
import type { ActivityFeed, SpendSnapshot } from '../agent/activity.ts';
import {
  CONNECTION_STYLE,
  RECENT_STYLE,
  connectionDetail,
  conversationCounts,
  conversationMark,
  conversationText,
  conversationsMoreLine,
  conversationsTitle,
  fitSections,
  formatAge,
  pickFirst,
} from './serve-dashboard-layout.ts';
import {
  conversationsByRecency,
  createDashboardModel,
  reduceActivity,
  spendSummary,
  type ConnectionView,
  type ConversationView,
  type DashboardModel,
  type RecentLine,
} from './serve-dashboard-model.ts';
import { clip } from './workflow-view-layout.ts';
import type { ViewTerminal } from './workflow-view.ts';

/** What the dashboard needs from `serve`. */
export interface ServeDashboardOptions {
  /** The agent's name, as the header shows it. */
  readonly name: string;
  readonly feed: ActivityFeed;
  /** Today's tokens, read at every frame. */
  readonly spend: () => SpendSnapshot;
  readonly stdout: ViewTerminal;
  readonly now?: () => number;
  /** Force ink's interactive mode on or off; by default on for a TTY outside CI. */
  readonly interactive?: boolean;
}

/** A running dashboard. */
export interface ServeDashboard {
  /** Draw the last frame, leave it on screen and stop listening; safe to call more than once. */
  readonly stop: () => void;
}

/** Redraw at most this often while activity pours in. */
/** Rows that are not items: the header, three section titles, the line the cursor rests on. */
const CHROME_ROWS = 5;
/** Columns kept for a conversation's text and a connection's state before ids are clipped. */
const MIN_TEXT = 12;
const TONE_COLOR = { normal: undefined, warning: 'yellow', error: 'red' } as const;

/** Show the agent's activity live on `stdout` until `stop()`. */
export function startServeDashboard(options: ServeDashboardOptions): ServeDashboard {
  const now = options.now ?? Date.now;
  let model = createDashboardModel(options.name, now());
  const frame = (): ReactElement =>
    h(DashboardFrame, {
      model,
      spend: options.spend(),
      now: now(),
      columns: options.stdout.columns ?? 80,
      rows: options.stdout.rows ?? 24,
    });
  const view = startLiveView(options.stdout, frame, options.interactive);
  const unsubscribe = options.feed.subscribe((activity) => {
    model = reduceActivity(model, activity);
    view.changed();
  });
  let stopped = false;
  return {
    stop: () => {
      if (stopped) return;
      stopped = true;
      unsubscribe();
      // The last frame is written synchronously; ink's exit needs no waiting for.
      void view.finish();
    },
  };
}

/** One frame: the header, then each section within the terminal's height. */
function DashboardFrame(props: {
  model: DashboardModel;
  spend: SpendSnapshot;
  now: number;
  columns: number;
  rows: number;
}): ReactElement {
  const { model, now } = props;
  const conversations = conversationsByRecency(model);
  const fit = fitSections(
    {
      connections: model.connections.length,
      conversations: conversations.length,
      recent: model.recent.length,
    },
    props.rows - CHROME_ROWS,
  );
  const connections = pickFirst(model.connections, fit.connections);
  const shown = pickFirst(conversations, fit.conversations);
  const recent = model.recent.slice(-fit.recent);
  const counts = Math.max(0, ...shown.shown.map((c) => conversationCounts(c).length));
  // Long ids give way first, so a narrow terminal still shows some of each line of text.
  const room = (fixed: number): number => Math.max(8, props.columns - fixed - MIN_TEXT);
  const widths = {
    account: Math.min(40, room(20), Math.max(0, ...connections.shown.map((c) => c.account.length))),
    id: Math.min(32, room(counts + 16), Math.max(0, ...shown.shown.map((c) => c.id.length))),
    counts,
  };
  return h(
    Box,
    { flexDirection: 'column', width: props.columns },
    h(Header, { model, spend: props.spend, now }),
    h(Title, { text: 'connections' }),
    ...connections.shown.map((c) =>
      h(ConnectionRow, { key: c.account, connection: c, now, width: widths.account }),
    ),
    connections.hidden.length > 0
      ? h(Dim, { text: `… ${String(connections.hidden.length)} more` })
      : null,
    model.connections.length === 0 ? h(Dim, { text: 'none reported yet' }) : null,
    h(Title, { text: conversationsTitle(conversations) }),
    ...shown.shown.map((c) => h(ConversationRow, { key: c.id, conversation: c, now, widths })),
    shown.hidden.length > 0 ? h(Dim, { text: conversationsMoreLine(shown.hidden) }) : null,
    conversations.length === 0 ? h(Dim, { text: 'none yet' }) : null,
    h(Title, { text: 'recent' }),
    ...recent.map((line, i) => h(RecentRow, { key: String(i), line, now })),
    recent.length === 0 ? h(Dim, { text: 'nothing yet' }) : null,
  );
}

function Header(props: { model: DashboardModel; spend: SpendSnapshot; now: number }): ReactElement {
  const { model } = props;
  const spend = spendSummary(props.spend);
  const replies = `${String(model.replies)} repl${model.replies === 1 ? 'y' : 'ies'}`;
  return h(
    Text,
    { wrap: 'truncate-end' },
    h(Text, { bold: true }, model.name),
    h(Text, { dimColor: true }, `  up ${formatAge(props.now - model.startedAt)}  ${replies}  `),
    h(Text, { color: TONE_COLOR[spend.tone], bold: spend.tone !== 'normal' }, spend.text),
  );
}

function Title(props: { text: string }): ReactElement {
  return h(Text, { bold: true, wrap: 'truncate-end' }, props.text);
}

function Dim(props: { text: string }): ReactElement {
  return h(Text, { dimColor: true, wrap: 'truncate-end' }, `  ${props.text}`);
}

function ConnectionRow(props: {
  connection: ConnectionView;
  now: number;
  width: number;
}): ReactElement {
  const { connection } = props;
  const style = CONNECTION_STYLE[connection.state];
  return h(
    Text,
    { wrap: 'truncate-end' },
    h(Text, { color: style.color }, `  ${style.symbol} `),
    `${clip(connection.account, props.width).padEnd(props.width)}  `,
    h(Text, { color: style.color }, connectionDetail(connection, props.now)),
  );
}

function ConversationRow(props: {
  conversation: ConversationView;
  now: number;
  widths: { id: number; counts: number };
}): ReactElement {
  const { conversation, widths } = props;
  const mark = conversationMark(conversation);
  const fixed = [
    clip(conversation.id, widths.id).padEnd(widths.id),
    conversationCounts(conversation).padStart(widths.counts),
    formatAge(props.now - conversation.lastAt).padStart(6),
  ];
  return h(
    Text,
    { wrap: 'truncate-end' },
    h(Text, { color: mark.color, dimColor: mark.dimColor }, `  ${mark.symbol} `),
    h(Text, { bold: conversation.running }, fixed.join('  ')),
    `  ${conversationText(conversation)}`,
  );
}

function RecentRow(props: { line: RecentLine; now: number }): ReactElement {
  const { line } = props;
  return h(
    Text,
    { wrap: 'truncate-end' },
    h(Text, { dimColor: true }, `  ${formatAge(props.now - line.at).padStart(6)}  `),
    h(Text, RECENT_STYLE[line.tone], line.text),
  );
}
