import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, it } from 'node:test';
import { ActivityFeed, type SpendSnapshot } from '../../../src/agent/activity.ts';
import { HeadlessScreen } from '../../../src/stream/screen.ts';
import { FakeTerminal } from '../../support/fake-terminal.ts';
import { startServeDashboard, type ServeDashboard } from '../../../src/ui/serve-dashboard.ts';

/** A pipe-like stream of a given size: non-interactive ink writes its last frame here on stop. */
class FrameSink extends Writable {
  readonly columns: number;
  readonly rows: number;
  text = '';

  constructor(columns: number, rows: number) {
    super();
    [this.columns, this.rows] = [columns, rows];
  }

  override _write(chunk: Buffer, _encoding: string, callback: () => void): void {
    this.text += chunk.toString('utf8');
    callback();
  }
}

const dashboards: ServeDashboard[] = [];
const screens: HeadlessScreen[] = [];
afterEach(() => {
  for (const dashboard of dashboards.splice(0)) dashboard.stop();
  for (const screen of screens.splice(0)) screen.dispose();
});

function start(
  stdout: FrameSink | FakeTerminal,
  spend: SpendSnapshot = { total: 0, cap: 0 },
  clock = { t: 0 },
) {
  const feed = new ActivityFeed();
  const dashboard = startServeDashboard({
    name: 'fluux-bot',
    feed,
    spend: () => spend,
    stdout,
    now: () => clock.t,
    interactive: stdout instanceof FakeTerminal,
  });
  dashboards.push(dashboard);
  return { feed, dashboard, clock };
}

/** Stop a non-interactive dashboard and read the frame it leaves. */
function finalFrame(sink: FrameSink, dashboard: ServeDashboard): string[] {
  dashboard.stop();
  return sink.text.split('\n').filter((line) => line !== '');
}

describe('serve dashboard on a terminal', () => {
  it('draws the header, connections, conversations and recent lines', () => {
    const sink = new FrameSink(80, 24);
    const { feed, dashboard, clock } = start(sink, { total: 8500, cap: 10000 });
    feed.report({ type: 'connection', account: 'bot@x.org', state: 'online', at: 1000 });
    feed.report({ type: 'connection', account: '@bot:m.org', state: 'reconnecting', at: 50_000 });
    feed.report({
      type: 'message',
      conversation: 'alice@x.org',
      from: 'alice',
      text: 'hi',
      at: 2e3,
    });
    feed.report({
      type: 'reply',
      conversation: 'alice@x.org',
      text: 'Hello!',
      tokens: 9,
      ms: 5,
      at: 3e3,
    });
    feed.report({
      type: 'message',
      conversation: '!room:m.org',
      from: '@b:m.org',
      text: 'why?',
      at: 55e3,
    });
    feed.report({ type: 'log', level: 'warn', message: 'model slow; retrying', at: 56_000 });
    feed.report({ type: 'refused', conversation: 'eve@evil.org', at: 57_000 });
    clock.t = 62_000;
    assert.deepEqual(finalFrame(sink, dashboard), [
      'fluux-bot  up 1m02s  1 reply  8,500 of 10,000 tokens today (85%)',
      'connections',
      '  ● bot@x.org   online  1m01s',
      '  ◌ @bot:m.org  reconnecting, retry 1  12s',
      'conversations 3, 1 replying',
      '  ⊘ eve@evil.org  0 in 0 out      5s  refused',
      '  ● !room:m.org   1 in 0 out      7s  ← why?',
      '  ○ alice@x.org   1 in 1 out     59s  → Hello!',
      'recent',
      '      6s  model slow; retrying',
      '      5s  refused eve@evil.org',
    ]);
  });

  it('says what is not there yet', () => {
    const sink = new FrameSink(80, 24);
    const { dashboard } = start(sink);
    assert.deepEqual(finalFrame(sink, dashboard), [
      'fluux-bot  up 0s  0 replies  0 tokens today',
      'connections',
      '  none reported yet',
      'conversations',
      '  none yet',
      'recent',
      '  nothing yet',
    ]);
  });

  it('fits the terminal height, most recently active conversations first', () => {
    const sink = new FrameSink(60, 14);
    const { feed, dashboard } = start(sink);
    for (let i = 0; i < 30; i++) {
      const conversation = `user${String(i)}@x.org`;
      feed.report({ type: 'message', conversation, from: conversation, text: 'hi', at: i });
      if (i % 3 !== 0)
        feed.report({ type: 'reply', conversation, text: 'yo', tokens: 1, ms: 1, at: i });
      feed.report({ type: 'log', level: 'info', message: `line ${String(i)}`, at: i });
    }
    const lines = finalFrame(sink, dashboard);
    assert.equal(lines.length, 13, lines.join('\n'));
    const rows = lines.filter((line) => line.includes('@x.org'));
    assert.match(rows[0] ?? '', /user29@x\.org/);
    assert.match(rows.at(-1) ?? '', /user2[0-9]@x\.org/);
    assert.ok(
      lines.includes(`  … ${String(30 - rows.length)} more (9 replying)`),
      lines.join('\n'),
    );
    assert.equal(lines.at(-1)?.trim(), '0s  line 29');
  });

  it('clips a long line of text and a long id at the terminal width', () => {
    const sink = new FrameSink(50, 24);
    const { feed, dashboard } = start(sink);
    const id = `${'r'.repeat(60)}@muc.x.org`;
    feed.report({ type: 'message', conversation: id, from: 'a', text: 'x'.repeat(200), at: 0 });
    const row = finalFrame(sink, dashboard).find((line) => line.includes('rrr')) ?? '';
    assert.equal(row.length, 50, row);
    assert.match(row, /^ {2}● r{11}… {2}1 in 0 out {6}0s {2}← x{9}…$/);
  });

  it('updates live and ticks the clocks without activity', async () => {
    const terminal = new FakeTerminal(80, 24);
    screens.push(terminal.screen);
    const { feed, clock } = start(terminal);
    await terminal.until(/none yet/);
    feed.report({ type: 'message', conversation: 'alice@x.org', from: 'a', text: 'hey', at: 0 });
    await terminal.until(/● alice@x\.org +1 in 0 out +0s +← hey/);
    clock.t = 65_000;
    const screen = await terminal.until(/up 1m05s/);
    assert.match(screen, /alice@x\.org +1 in 0 out +1m05s/);
  });

  it('fits the rows again when the terminal gets shorter', async () => {
    const terminal = new FakeTerminal(80, 24);
    screens.push(terminal.screen);
    const { feed } = start(terminal);
    for (let i = 0; i < 10; i++)
      feed.report({ type: 'message', conversation: `u${String(i)}`, from: 'a', text: 'hi', at: i });
    await terminal.until(/u0 /);
    await terminal.resize(80, 10);
    const screen = await terminal.until(/… \d+ more \(\d+ replying\)/);
    assert.ok(screen.split('\n').filter((line) => line !== '').length < 10, screen);
  });

  it('stops drawing and listening once stopped', async () => {
    const sink = new FrameSink(80, 24);
    const feed = new ActivityFeed();
    let reads = 0;
    const spend = (): SpendSnapshot => {
      reads += 1;
      return { total: 0, cap: 0 };
    };
    const dashboard = startServeDashboard({
      name: 'b',
      feed,
      spend,
      stdout: sink,
      interactive: false,
    });
    const frame = finalFrame(sink, dashboard);
    const drawn = reads;
    feed.report({ type: 'message', conversation: 'late@x.org', from: 'a', text: 'hi', at: 0 });
    dashboard.stop();
    await sleep(250);
    assert.equal(reads, drawn, 'drew a frame after stop');
    assert.deepEqual(finalFrame(sink, dashboard), frame);
  });
});
