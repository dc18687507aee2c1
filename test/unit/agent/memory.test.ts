import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { ConversationMemory, systemPrompt } from '../../../src/agent/memory.ts';

function memoryDir(): string {
  return mkdtempSync(join(tmpdir(), 'mx-memory-'));
}

describe("a conversation's memory (Fluux Agent's files and texts)", () => {
  it('a non-empty per-conversation workspace file wins over the global one', () => {
    const root = memoryDir();
    writeFileSync(join(root, 'identity.md'), 'I am the global bot.');
    writeFileSync(join(root, 'instructions.md'), 'Be brief.');
    mkdirSync(join(root, 'alice@example.com'));
    writeFileSync(join(root, 'alice@example.com', 'identity.md'), 'I am Alice’s bot.');
    writeFileSync(join(root, 'alice@example.com', 'instructions.md'), '  \n');
    writeFileSync(join(root, 'alice@example.com', 'context.md'), 'Alice likes Rust.');
    writeFileSync(join(root, 'alice@example.com', 'memory.md'), 'Met in 2025.');
    const alice = new ConversationMemory(root, 'alice@example.com');
    assert.equal(alice.workspace('identity'), 'I am Alice’s bot.');
    assert.equal(alice.workspace('instructions'), 'Be brief.');
    assert.equal(alice.workspace('personality'), undefined);
    assert.equal(
      systemPrompt(alice, 'fallback', new Date(2026, 10, 25)),
      'I am Alice’s bot.\n\nBe brief.\n\n## About this user\nAlice likes Rust.\n\n## Notes and memory\nMet in 2025.\n\nCurrent date: Wednesday, November 25, 2026',
    );
    const bob = new ConversationMemory(memoryDir(), 'bob@example.com');
    assert.equal(
      systemPrompt(bob, 'You are a helpful agent.', new Date(2026, 0, 1)),
      'You are a helpful agent.\n\nCurrent date: Thursday, January 1, 2026',
    );
  });

  it('stores, rewrites and recalls knowledge with the memory_store and memory_recall texts', () => {
    const m = new ConversationMemory(memoryDir(), 'alice@example.com');
    assert.equal(m.recall(), 'No knowledge entries stored yet.');
    const now = Date.parse('2026-02-10T12:00:00Z');
    assert.equal(
      m.store('favorite_language', 'Go', now),
      "Stored knowledge entry: 'favorite_language'",
    );
    m.store('editor', 'helix', now);
    m.store('favorite_language', 'Rust, for systems programming', now);
    assert.equal(
      readFileSync(join(m.dir, 'knowledge.jsonl'), 'utf8'),
      '{"key":"favorite_language","content":"Rust, for systems programming","ts":"2026-02-10T12:00:00.000+00:00"}\n' +
        '{"key":"editor","content":"helix","ts":"2026-02-10T12:00:00.000+00:00"}\n',
    );
    assert.equal(
      m.recall(),
      'Found 2 knowledge entries:\n1. [favorite_language] Rust, for systems programming\n2. [editor] helix',
    );
    assert.equal(
      m.recall('RUST'),
      'Found 1 knowledge entries:\n1. [favorite_language] Rust, for systems programming',
    );
    assert.equal(m.recall('cobol'), 'No knowledge entries found matching: cobol');
  });

  it('/forget erases the session, profile, notes, knowledge and files, and keeps archived sessions', () => {
    const root = memoryDir();
    const m = new ConversationMemory(root, 'alice@example.com');
    assert.equal(m.forget(), 'No memory to erase.');
    m.log.append({ role: 'user', content: 'hi' });
    m.log.append({ role: 'assistant', content: 'hello' });
    m.log.archive();
    m.log.append({ role: 'user', content: 'again' });
    writeFileSync(join(m.dir, 'user.md'), 'Alice.');
    writeFileSync(join(m.dir, 'memory.md'), 'Notes.');
    writeFileSync(join(m.dir, 'identity.md'), 'Her bot.');
    m.store('k', 'v');
    mkdirSync(join(m.dir, 'files'));
    writeFileSync(join(m.dir, 'files', 'a.txt'), 'a');
    assert.equal(
      m.forget(),
      'Erased: 1 messages, user profile, memory, 1 knowledge entries, 1 files. Archived sessions preserved.',
    );
    assert.ok(existsSync(join(m.dir, 'sessions')));
    assert.ok(existsSync(join(m.dir, 'identity.md')));
    assert.equal(m.forget(), 'No active memory to erase (archived sessions preserved).');
  });
});
