import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { conversationDirName, SessionLog } from '../../../src/agent/session-log.ts';

// Fluux Agent's docs/SESSION_FORMAT.md examples, as it writes them.
const FLUUX_LINES = [
  '{"type":"session","version":1,"created":"2026-02-10T12:00:00.123456789+00:00","jid":"alice@example.com"}',
  '{"type":"message","role":"user","content":"Hello!","msg_id":"stanza-001","sender":"alice@example.com","ts":"2026-02-10T12:00:01.100+00:00"}',
  '{"type":"message","role":"assistant","content":"Hi there!","msg_id":"a1b2c3d4-e5f6-7890-abcd-ef1234567890","ts":"2026-02-10T12:00:02.250+00:00"}',
  '{"type":"message","role":"user","content":"Can you read this?","msg_id":"stanza-002","sender":"alice@example.com","ts":"2026-02-10T12:00:03.000+00:00","attachments":[{"filename":"document.pdf","mime_type":"application/pdf","size":"1.2MB"}]}',
  '{"type":"message","role":"user","content":"","sender":"alice@example.com","ts":"2026-02-10T12:00:04.000+00:00","reaction":{"message_id":"a1b2c3d4-e5f6-7890-abcd-ef1234567890","emojis":["👍"]}}',
];

describe('the session log (history.jsonl, Fluux Agent format)', () => {
  it('writes the lines Fluux Agent writes, byte for byte', () => {
    const root = mkdtempSync(join(tmpdir(), 'mx-session-'));
    const log = new SessionLog(root, 'alice@example.com');
    const at = (s: string) => Date.parse(`2026-02-10T12:00:${s}Z`);
    log.append(
      {
        role: 'user',
        content: 'Hello!',
        msgId: 'stanza-001',
        sender: 'alice@example.com',
        ts: at('01.100'),
      },
      at('00.123'),
    );
    log.append({
      role: 'assistant',
      content: 'Hi there!',
      msgId: 'a1b2c3d4-e5f6-7890-abcd-ef1234567890',
      ts: at('02.250'),
    });
    log.append({
      role: 'user',
      content: 'Can you read this?',
      msgId: 'stanza-002',
      sender: 'alice@example.com',
      ts: at('03'),
      attachments: [{ filename: 'document.pdf', mime_type: 'application/pdf', size: '1.2MB' }],
    });
    log.append({
      role: 'user',
      content: '',
      sender: 'alice@example.com',
      ts: at('04'),
      reaction: { message_id: 'a1b2c3d4-e5f6-7890-abcd-ef1234567890', emojis: ['👍'] },
    });
    const written = readFileSync(join(root, 'alice@example.com', 'history.jsonl'), 'utf8');
    const expected = [FLUUX_LINES[0]?.replace('.123456789', '.123'), ...FLUUX_LINES.slice(1)];
    assert.equal(written, `${expected.join('\n')}\n`);
  });

  it("reads Fluux Agent's files in place, skipping headers and malformed lines", () => {
    const root = mkdtempSync(join(tmpdir(), 'mx-session-'));
    mkdirSync(join(root, 'alice@example.com'));
    writeFileSync(
      join(root, 'alice@example.com', 'history.jsonl'),
      [
        ...FLUUX_LINES,
        'not json',
        '{"type":"message","role":"user","content":"x","attachments":"nope"}',
        '{"Summary":{}}',
        '',
      ].join('\n'),
    );
    const messages = new SessionLog(root, 'alice@example.com').messages();
    assert.deepEqual(
      messages.map((m) => [m.role, m.content, m.sender ?? '-']),
      [
        ['user', 'Hello!', 'alice@example.com'],
        ['assistant', 'Hi there!', '-'],
        ['user', 'Can you read this?', 'alice@example.com'],
        ['user', '', 'alice@example.com'],
      ],
    );
    assert.equal(messages[0]?.ts, Date.parse('2026-02-10T12:00:01.100Z'));
    assert.equal(messages[3]?.reaction?.emojis[0], '👍');
  });

  it('names the message an answer is for in reply_to (ours, after Fluux fields), and reads it back', () => {
    const root = mkdtempSync(join(tmpdir(), 'mx-session-'));
    const log = new SessionLog(root, 'alice@example.com');
    log.append({ role: 'assistant', content: 'Hi', msgId: 'r1', ts: 0, replyTo: 'stanza-001' });
    const line = readFileSync(join(root, 'alice@example.com', 'history.jsonl'), 'utf8')
      .trim()
      .split('\n')[1];
    assert.equal(
      line,
      '{"type":"message","role":"assistant","content":"Hi","msg_id":"r1","ts":"1970-01-01T00:00:00.000+00:00","reply_to":"stanza-001"}',
    );
    assert.equal(log.messages()[0]?.replyTo, 'stanza-001');
  });

  it('archives to sessions/YYYYMMDD-HHMMSS.jsonl (UTC), never over an earlier one', () => {
    const root = mkdtempSync(join(tmpdir(), 'mx-session-'));
    const log = new SessionLog(root, 'bob@example.com');
    assert.equal(log.archive(), undefined);
    const now = Date.parse('2026-11-25T21:05:09Z');
    log.append({ role: 'user', content: 'one' });
    log.append({ role: 'assistant', content: 'two' });
    assert.equal(log.archive(now), 2);
    log.append({ role: 'user', content: 'three' });
    assert.equal(log.archive(now), 1);
    assert.deepEqual(readdirSync(join(log.dir, 'sessions')).sort(), [
      '20261125-210509-2.jsonl',
      '20261125-210509.jsonl',
    ]);
    assert.deepEqual(log.messages(), []);
  });

  it('keeps ordinary JIDs and Matrix ids as directory names, and escapes anything that could lead elsewhere', () => {
    for (const id of [
      'alice@example.com',
      'room@conference.example.org',
      '@bob:matrix.org',
      '!abc:matrix.org',
      '#team:example.org',
    ])
      assert.equal(conversationDirName(id), id);
    assert.equal(conversationDirName('..'), '%2E.');
    assert.equal(conversationDirName('.hidden'), '%2Ehidden');
    assert.equal(conversationDirName('a/../../etc'), 'a%2F..%2F..%2Fetc');
    assert.equal(conversationDirName('nul\u0000x'), 'nul%00x');
    assert.equal(conversationDirName('50%'), '50%25');
    assert.throws(() => conversationDirName(''), /cannot be empty/);
  });
});
