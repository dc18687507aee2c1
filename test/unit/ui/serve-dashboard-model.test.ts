import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { AgentActivity } from '../../../src/agent/activity.ts';
import {
  RECENT_KEPT,
  conversationsByRecency,
  createDashboardModel,
  groupDigits,
  lastLineOf,
  reduceActivity,
  spendSummary,
  type ConversationView,
  type DashboardModel,
} from '../../../src/ui/serve-dashboard-model.ts';

function after(activities: readonly AgentActivity[]): DashboardModel {
  return activities.reduce(reduceActivity, createDashboardModel('bot', 0));
}

function conversationOf(model: DashboardModel, id: string): ConversationView {
  const conversation = model.conversations[id];
  assert.ok(conversation, `no conversation ${id}`);
  return conversation;
}

const message = (conversation: string, at: number, text = 'hello'): AgentActivity => ({
  type: 'message',
  conversation,
  from: conversation,
  text,
  at,
});
const reply = (conversation: string, at: number, text = 'hi!'): AgentActivity => ({
  type: 'reply',
  conversation,
  text,
  tokens: 120,
  ms: 900,
  at,
});
const connection = (
  account: string,
  state: 'online' | 'reconnecting' | 'connecting' | 'offline',
  at: number,
): AgentActivity => ({ type: 'connection', account, state, at });

describe('serve dashboard model', () => {
  it('starts empty', () => {
    assert.deepEqual(createDashboardModel('bot', 5), {
      name: 'bot',
      startedAt: 5,
      replies: 0,
      connections: [],
      conversations: {},
      recent: [],
    });
  });

  it('counts messages in and replies out per conversation, and replies overall', () => {
    const model = after([
      message('alice@x.org', 1),
      reply('alice@x.org', 2),
      message('alice@x.org', 3),
      message('room@muc.x.org', 4),
      reply('alice@x.org', 5),
      reply('room@muc.x.org', 6),
    ]);
    assert.equal(model.replies, 3);
    const alice = conversationOf(model, 'alice@x.org');
    assert.deepEqual([alice.messagesIn, alice.messagesOut, alice.lastAt], [2, 2, 5]);
    const room = conversationOf(model, 'room@muc.x.org');
    assert.deepEqual([room.messagesIn, room.messagesOut, room.lastAt], [1, 1, 6]);
  });

  it('marks a turn running from a message until the reply, a refusal or a command', () => {
    let model = after([message('a', 1)]);
    assert.equal(conversationOf(model, 'a').running, true);
    model = reduceActivity(model, reply('a', 2));
    assert.equal(conversationOf(model, 'a').running, false);
    model = reduceActivity(model, message('a', 3, '/help'));
    model = reduceActivity(model, { type: 'command', conversation: 'a', command: '/help', at: 3 });
    assert.equal(conversationOf(model, 'a').running, false);
    model = reduceActivity(model, message('b', 4));
    model = reduceActivity(model, { type: 'refused', conversation: 'b', at: 4 });
    const b = conversationOf(model, 'b');
    assert.deepEqual([b.running, b.refused], [false, true]);
  });

  it('keeps the last non-blank line of the latest text, made safe for the screen', () => {
    let model = after([message('a', 1, 'first line\nsecond \u001b[31mred\u001b[0m line\n\n  ')]);
    assert.deepEqual(conversationOf(model, 'a').last, {
      direction: 'in',
      text: 'second red line',
    });
    model = reduceActivity(model, reply('a', 2, 'Sure.\r\nHere\tit is'));
    assert.deepEqual(conversationOf(model, 'a').last, { direction: 'out', text: 'Here it is' });
    assert.equal(lastLineOf(' \n \n'), '');
  });

  it('orders conversations by last activity, newest first, ties by id', () => {
    const model = after([message('c', 5), message('b', 1), message('a', 5), reply('b', 9)]);
    assert.deepEqual(
      conversationsByRecency(model).map((c) => c.id),
      ['b', 'a', 'c'],
    );
  });

  it('keeps one row per account, in the order they first reported', () => {
    const model = after([
      connection('xmpp:bot@x.org', 'connecting', 0),
      connection('matrix:@bot:m.org', 'connecting', 0),
      connection('xmpp:bot@x.org', 'online', 2),
      connection('matrix:@bot:m.org', 'online', 3),
    ]);
    assert.deepEqual(
      model.connections.map((c) => [c.account, c.state, c.since, c.retries]),
      [
        ['xmpp:bot@x.org', 'online', 2, 0],
        ['matrix:@bot:m.org', 'online', 3, 0],
      ],
    );
  });

  it('counts reconnect attempts from the last time online, and keeps the time it went down', () => {
    const model = after([
      connection('x', 'online', 1),
      connection('x', 'reconnecting', 10),
      connection('x', 'reconnecting', 12),
      connection('x', 'reconnecting', 16),
    ]);
    assert.deepEqual(model.connections, [
      { account: 'x', state: 'reconnecting', since: 10, retries: 3 },
    ]);
    const back = reduceActivity(model, connection('x', 'online', 20));
    assert.deepEqual(back.connections, [{ account: 'x', state: 'online', since: 20, retries: 0 }]);
  });

  it('shows info and warn lines and refusals as recent activity, not debug lines', () => {
    const model = after([
      { type: 'log', level: 'info', message: 'serving 2 accounts', at: 1 },
      { type: 'log', level: 'debug', message: 'noise', at: 2 },
      { type: 'log', level: 'warn', message: 'model slow\nretrying in 2s', at: 3 },
      { type: 'refused', conversation: 'eve@evil.org', at: 4 },
    ]);
    assert.deepEqual(model.recent, [
      { tone: 'info', text: 'serving 2 accounts', at: 1 },
      { tone: 'warn', text: 'retrying in 2s', at: 3 },
      { tone: 'refused', text: 'refused eve@evil.org', at: 4 },
    ]);
  });

  it('keeps only the latest recent lines', () => {
    const logs = Array.from({ length: RECENT_KEPT + 7 }, (_, i): AgentActivity => ({
      type: 'log',
      level: 'info',
      message: `line ${String(i)}`,
      at: i,
    }));
    const model = after(logs);
    assert.equal(model.recent.length, RECENT_KEPT);
    assert.equal(model.recent[0]?.text, 'line 7');
    assert.equal(model.recent.at(-1)?.text, `line ${String(RECENT_KEPT + 6)}`);
  });

  it('strips control characters from ids that come from the network', () => {
    const model = after([message('mallory\u001b]0;pwned\u0007@x.org', 1)]);
    assert.deepEqual(Object.keys(model.conversations), ['mallory@x.org']);
  });
});

describe('serve dashboard spend', () => {
  it('reads the total alone without a cap', () => {
    assert.deepEqual(spendSummary({ total: 1234567, cap: 0 }), {
      text: '1,234,567 tokens today',
      tone: 'normal',
    });
  });

  it('warns past 80% of the cap and turns to an error at the cap', () => {
    assert.deepEqual(spendSummary({ total: 8000, cap: 10000 }), {
      text: '8,000 of 10,000 tokens today (80%)',
      tone: 'normal',
    });
    assert.equal(spendSummary({ total: 8001, cap: 10000 }).tone, 'warning');
    assert.deepEqual(spendSummary({ total: 10500, cap: 10000 }), {
      text: '10,500 of 10,000 tokens today (105%)',
      tone: 'error',
    });
  });

  it('groups digits whatever the locale', () => {
    assert.deepEqual([0, 999, 1000, 123456789].map(groupDigits), [
      '0',
      '999',
      '1,000',
      '123,456,789',
    ]);
  });
});
