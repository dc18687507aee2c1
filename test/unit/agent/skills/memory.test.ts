import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { ConversationMemory } from '../../../../src/agent/memory.ts';
import { memoryRecallSkill, memoryStoreSkill } from '../../../../src/agent/skills/memory.ts';
import type { SkillContext } from '../../../../src/agent/skills/types.ts';

function context(): SkillContext {
  const memory = new ConversationMemory(
    mkdtempSync(join(tmpdir(), 'mx-mem-skill-')),
    'alice@example.org',
  );
  return {
    conversation: 'alice@example.org',
    sender: 'alice@example.org',
    memory,
    signal: new AbortController().signal,
  };
}

describe('memory_store and memory_recall', () => {
  it("have Fluux Agent's names and input shapes", () => {
    assert.equal(memoryStoreSkill.name, 'memory_store');
    assert.deepEqual(memoryStoreSkill.inputSchema.required, ['key', 'content']);
    assert.equal(memoryRecallSkill.name, 'memory_recall');
    assert.deepEqual(Object.keys(memoryRecallSkill.inputSchema.properties as object), ['query']);
    assert.equal(memoryStoreSkill.destructive, undefined);
  });

  it("answer with Fluux Agent's exact texts", async () => {
    const c = context();
    assert.deepEqual(await memoryRecallSkill.run({}, c), {
      content: 'No knowledge entries stored yet.',
    });
    assert.deepEqual(
      await memoryStoreSkill.run({ key: 'language', content: 'Prefers Rust over Go' }, c),
      {
        content: "Stored knowledge entry: 'language'",
      },
    );
    await memoryStoreSkill.run({ key: 'timezone', content: 'Europe/Paris' }, c);
    await memoryStoreSkill.run({ key: 'language', content: 'Prefers TypeScript now' }, c);
    assert.equal(
      (await memoryRecallSkill.run({ query: '' }, c)).content,
      'Found 2 knowledge entries:\n1. [language] Prefers TypeScript now\n2. [timezone] Europe/Paris',
    );
    assert.equal(
      (await memoryRecallSkill.run({ query: 'PARIS' }, c)).content,
      'Found 1 knowledge entries:\n1. [timezone] Europe/Paris',
    );
    assert.equal(
      (await memoryRecallSkill.run({ query: 'golf' }, c)).content,
      'No knowledge entries found matching: golf',
    );
    const file = readFileSync(join(c.memory.dir, 'knowledge.jsonl'), 'utf8').trim().split('\n');
    assert.equal(file.length, 2);
  });

  it('answer a wrong input with an error result saying what was expected', async () => {
    const c = context();
    assert.deepEqual(await memoryStoreSkill.run({ key: 'x' }, c), {
      content: 'memory_store: expected "content" to be a string, got nothing',
      isError: true,
    });
    assert.deepEqual(await memoryRecallSkill.run({ query: 42 }, c), {
      content: 'memory_recall: expected "query" to be a string, got "42"',
      isError: true,
    });
    assert.equal((await memoryStoreSkill.run({ key: ' ', content: 'x' }, c)).isError, true);
  });
});
