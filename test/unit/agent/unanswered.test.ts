import assert from 'node:assert/strict';
import { mkdtempSync, utimesSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { SessionLog, type LoggedMessage } from '../../../src/agent/session-log.ts';
import { unansweredConversations, unansweredIn } from '../../../src/agent/unanswered.ts';

const ALICE = 'alice@example.org';
const asked = (msgId: string, sender = ALICE): LoggedMessage => ({
  role: 'user',
  content: `q ${msgId}`,
  msgId,
  sender,
});
const answer = (replyTo?: string): LoggedMessage => ({
  role: 'assistant',
  content: 'a',
  ...(replyTo === undefined ? {} : { replyTo }),
});
const ids = (lines: LoggedMessage[]): (string | undefined)[] =>
  unansweredIn(ALICE, lines).map((m) => m.msgId);

describe('messages recorded but never answered', () => {
  it('are those after the one the newest answer names, not answered themselves', () => {
    assert.deepEqual(ids([asked('1'), asked('2'), asked('3'), answer('1')]), ['2', '3']);
    assert.deepEqual(ids([asked('1'), answer('1'), asked('2'), answer('2')]), []);
    assert.deepEqual(ids([asked('1'), asked('2')]), ['1', '2']);
  });

  it('leave out a message whose reply could not be delivered once a later one was answered', () => {
    // "1" got no answer line (its reply failed); "2" was answered after it: 1 is given up.
    assert.deepEqual(ids([asked('1'), asked('2'), answer('2'), asked('3')]), ['3']);
  });

  it('treat an answer without reply_to (Fluux, an older mx-agent) as answering all before it', () => {
    assert.deepEqual(ids([asked('1'), answer(), asked('2')]), ['2']);
    assert.deepEqual(ids([asked('1'), asked('2'), answer()]), []);
  });

  it('are only the person’s own messages with ids (not agent-protocol asks, not room lines)', () => {
    const noId: LoggedMessage = { role: 'user', content: 'ask', sender: ALICE };
    assert.deepEqual(ids([noId, asked('1', 'bob@muc'), asked('2')]), ['2']);
  });

  it('are found in recent 1:1 sessions of the memory directory, not in old ones', () => {
    const dir = mkdtempSync(join(tmpdir(), 'mx-unanswered-'));
    const now = Date.now();
    new SessionLog(dir, ALICE).append({ ...asked('1'), ts: now });
    const old = new SessionLog(dir, 'bob@example.org');
    old.append({ ...asked('9', 'bob@example.org'), ts: now - 2 * 3_600_000 });
    utimesSync(
      join(old.dir, 'history.jsonl'),
      new Date(now - 7_200_000),
      new Date(now - 7_200_000),
    );
    new SessionLog(dir, '@carol:example.org').append({
      ...asked('$e', '@carol:example.org'),
      ts: now,
    });
    const found = unansweredConversations(dir, now).sort((a, b) => a.id.localeCompare(b.id));
    assert.deepEqual(
      found.map((c) => [c.id, c.messages.map((m) => m.msgId)]),
      [
        ['@carol:example.org', ['$e']],
        [ALICE, ['1']],
      ],
    );
    assert.deepEqual(unansweredConversations(join(dir, 'missing'), now), []);
  });
});
