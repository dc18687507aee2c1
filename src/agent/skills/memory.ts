/**
 * The `memory_store` and `memory_recall` skills over the conversation's `knowledge.jsonl`, with
 * Fluux Agent's tool names, input shapes and result texts (the texts live in ../memory.ts), so a
 * model prompted for Fluux Agent uses them the same way. Unlike Fluux, `query` may be left out
 * (the same as an empty query: everything).
 */
import { messageOf } from '../../errors.ts';
import { failure, optionalString, requiredString } from './input.ts';
import type { AgentSkill } from './types.ts';

/** `memory_store(key, content)`: remember a fact about this conversation, one entry per key. */
export const memoryStoreSkill: AgentSkill = {
  name: 'memory_store',
  description:
    'Store a piece of knowledge about the current conversation partner, to recall later: ' +
    'preferences, facts, project details, corrections to your behaviour. One entry per key; ' +
    "storing under a key that exists replaces its content. Good keys: 'preferred_language', " +
    "'timezone', 'project_name'.",
  inputSchema: {
    type: 'object',
    properties: {
      key: {
        type: 'string',
        description: "A short descriptive key, like 'preferred_language' or 'timezone'",
      },
      content: { type: 'string', description: 'What to remember' },
    },
    required: ['key', 'content'],
  },
  run(input, context) {
    const key = requiredString('memory_store', input, 'key');
    if (typeof key !== 'string') return Promise.resolve(key);
    const content = requiredString('memory_store', input, 'content');
    if (typeof content !== 'string') return Promise.resolve(content);
    if (key.trim() === '') return Promise.resolve(failure('memory_store: the key is empty'));
    try {
      return Promise.resolve({ content: context.memory.store(key, content) });
    } catch (error) {
      return Promise.resolve(
        failure(`memory_store: cannot write the knowledge file: ${messageOf(error)}`),
      );
    }
  },
};

/** `memory_recall(query?)`: search the stored knowledge, or list all of it. */
export const memoryRecallSkill: AgentSkill = {
  name: 'memory_recall',
  description:
    'Recall knowledge stored about the current conversation partner. Give a keyword to find ' +
    'matching entries (in keys and contents), or an empty query to list everything. Use it ' +
    'when you need something from an earlier conversation.',
  inputSchema: {
    type: 'object',
    properties: {
      query: {
        type: 'string',
        description: 'A keyword to search for; empty (or left out) lists every entry',
      },
    },
  },
  run(input, context) {
    const query = optionalString('memory_recall', input, 'query');
    if (query !== undefined && typeof query !== 'string') return Promise.resolve(query);
    return Promise.resolve({ content: context.memory.recall(query) });
  },
};
