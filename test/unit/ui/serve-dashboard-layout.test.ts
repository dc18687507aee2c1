import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  RECENT_ROWS,
  connectionDetail,
  conversationText,
  conversationsMoreLine,
  conversationsTitle,
  fitSections,
  formatAge,
  pickFirst,
} from '../../../src/ui/serve-dashboard-layout.ts';
import type { ConversationView } from '../../../src/ui/serve-dashboard-model.ts';

const conversation = (id: string, running = false): ConversationView => ({
  id,
  messagesIn: 1,
  messagesOut: running ? 0 : 1,
  lastAt: 0,
  running,
  refused: false,
});

describe('serve dashboard layout', () => {
  it('gives every section what it wants when it fits, recent lines at most RECENT_ROWS', () => {
    assert.deepEqual(fitSections({ connections: 2, conversations: 4, recent: 40 }, 30), {
      connections: 2,
      conversations: 4,
      recent: RECENT_ROWS,
    });
  });

  it('gives an empty section one row to say so', () => {
    assert.deepEqual(fitSections({ connections: 0, conversations: 0, recent: 0 }, 10), {
      connections: 1,
      conversations: 1,
      recent: 1,
    });
  });

  it('gives conversations the room when there is not enough, never exceeding it', () => {
    const fit = fitSections({ connections: 2, conversations: 100, recent: 30 }, 19);
    assert.deepEqual(fit, { connections: 2, conversations: 12, recent: 5 });
    for (const rows of [3, 4, 7, 12, 40]) {
      const f = fitSections({ connections: 30, conversations: 300, recent: 30 }, rows);
      assert.equal(f.connections + f.conversations + f.recent, rows, `at ${String(rows)} rows`);
      assert.ok(f.connections >= 1 && f.conversations >= 1 && f.recent >= 1);
      assert.ok(f.conversations >= f.connections, `at ${String(rows)} rows`);
    }
  });

  it('hands what conversations leave to connections and recent lines', () => {
    assert.deepEqual(fitSections({ connections: 12, conversations: 2, recent: 9 }, 12), {
      connections: 7,
      conversations: 2,
      recent: 3,
    });
  });

  it('keeps the last row for "… N more" when items do not fit', () => {
    assert.deepEqual(pickFirst([1, 2, 3], 3), { shown: [1, 2, 3], hidden: [] });
    assert.deepEqual(pickFirst([1, 2, 3, 4], 3), { shown: [1, 2], hidden: [3, 4] });
    assert.deepEqual(pickFirst([1, 2], 1), { shown: [], hidden: [1, 2] });
  });

  it('says how many hidden conversations run a turn', () => {
    assert.equal(conversationsMoreLine([conversation('a'), conversation('b')]), '… 2 more');
    assert.equal(
      conversationsMoreLine([conversation('a', true), conversation('b')]),
      '… 2 more (1 replying)',
    );
    assert.equal(conversationsTitle([]), 'conversations');
    assert.equal(
      conversationsTitle([conversation('a', true), conversation('b')]),
      'conversations 2, 1 replying',
    );
  });

  it('says a connection state, its retry and for how long', () => {
    const at = { account: 'x', since: 0 };
    assert.equal(connectionDetail({ ...at, state: 'online', retries: 0 }, 65_000), 'online  1m05s');
    assert.equal(
      connectionDetail({ ...at, state: 'reconnecting', retries: 3 }, 12_000),
      'reconnecting, retry 3  12s',
    );
    assert.equal(connectionDetail({ ...at, state: 'offline', retries: 3 }, 0), 'offline  0s');
  });

  it('marks who said the last line', () => {
    const c = conversation('a');
    assert.equal(conversationText({ ...c, last: { direction: 'in', text: 'hi' } }), '← hi');
    assert.equal(conversationText({ ...c, last: { direction: 'out', text: 'yo' } }), '→ yo');
    assert.equal(conversationText({ ...c, refused: true }), 'refused');
  });

  it('reads ages in days past a day', () => {
    assert.deepEqual([45_000, 3_599_000, 23 * 3_600_000, 76 * 3_600_000 + 59_000].map(formatAge), [
      '45s',
      '59m59s',
      '23h00m',
      '3d04h',
    ]);
  });
});
