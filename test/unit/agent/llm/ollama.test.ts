import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { ChatModel } from '../../../../src/agent/llm/types.ts';
import { startScriptedLlm, type ScriptedLlm } from '../../../support/scripted-llm.ts';
import { ask, describeProviderContract, modelAt } from './provider-contract.ts';

describeProviderContract('ollama');

describe('ollama: the wire', () => {
  let llm: ScriptedLlm;
  let model: ChatModel;
  before(async () => {
    llm = await startScriptedLlm();
    model = await modelAt('ollama', llm.baseUrl('ollama'), { apiKey: '' });
  });
  after(() => llm.close());

  it('streams /api/chat with num_predict, the system message and function tools', async () => {
    llm.reply({ text: 'ok' });
    const schema = { type: 'object', properties: { q: { type: 'string' } } };
    await model.complete(
      ask('hi', {
        maxTokens: 321,
        tools: [{ name: 'search', description: 'Search', inputSchema: schema }],
      }),
    );
    const seen = llm.requests.at(-1);
    assert.equal(seen?.path, '/api/chat');
    assert.equal(seen.headers.authorization, undefined, 'no key, no Authorization');
    assert.equal(seen.body.stream, true);
    assert.deepEqual(seen.body.options, { num_predict: 321 });
    assert.deepEqual(seen.body.messages, [
      { role: 'system', content: 'You are terse.' },
      { role: 'user', content: 'hi' },
    ]);
    assert.deepEqual(seen.body.tools, [
      { type: 'function', function: { name: 'search', description: 'Search', parameters: schema } },
    ]);
  });

  it('gives tool calls ids of their own and sends results as role "tool" naming the tool', async () => {
    llm.reply({
      toolCalls: [
        { name: 'search', input: { q: 'a' } },
        { name: 'search', input: { q: 'b' } },
      ],
    });
    const first = await model.complete(ask('find'));
    const [a, b] = first.toolCalls;
    assert.ok(a !== undefined && b !== undefined);
    assert.notEqual(a.id, b.id);
    llm.reply({ toolCalls: [{ name: 'search', input: { q: 'c' } }] });
    const again = await model.complete(ask('find'));
    assert.ok(
      !first.toolCalls.some((call) => call.id === again.toolCalls[0]?.id),
      'ids differ between answers',
    );
    llm.reply({ text: 'Done.' });
    await model.complete({
      system: '',
      maxTokens: 100,
      messages: [
        { role: 'user', content: 'find' },
        {
          role: 'assistant',
          content: [
            { type: 'tool_call', call: a },
            { type: 'tool_call', call: b },
          ],
        },
        {
          role: 'user',
          content: [
            { type: 'tool_result', callId: a.id, content: 'A' },
            { type: 'tool_result', callId: b.id, content: 'failed', isError: true },
          ],
        },
      ],
    });
    assert.deepEqual(llm.requests.at(-1)?.body.messages, [
      { role: 'user', content: 'find' },
      {
        role: 'assistant',
        content: '',
        tool_calls: [
          { function: { name: 'search', arguments: { q: 'a' } } },
          { function: { name: 'search', arguments: { q: 'b' } } },
        ],
      },
      { role: 'tool', content: 'A', tool_name: 'search' },
      { role: 'tool', content: 'Error: failed', tool_name: 'search' },
    ]);
  });

  it('sends images in the message images field; plain-text documents inline', async () => {
    llm.reply({ text: 'A cat.' });
    await model.complete({
      system: '',
      maxTokens: 100,
      messages: [
        {
          role: 'user',
          content: [
            { type: 'text', text: 'What is this?' },
            { type: 'image', mediaType: 'image/png', data: 'iVBORw0KGgo=' },
            {
              type: 'document',
              mediaType: 'text/plain',
              data: Buffer.from('notes').toString('base64'),
              name: 'n.txt',
            },
          ],
        },
      ],
    });
    assert.deepEqual(llm.requests.at(-1)?.body.messages, [
      {
        role: 'user',
        content: 'What is this?\n\n[document n.txt]\nnotes',
        images: ['iVBORw0KGgo='],
      },
    ]);
    assert.deepEqual(model.accepts, { images: true, pdf: false });
  });

  it('sends the key as a bearer token when one is configured (ollama.com, a proxy)', async () => {
    const keyed = await modelAt('ollama', llm.baseUrl('ollama'), { apiKey: 'ollama-key-123' });
    llm.reply({ text: 'ok' });
    await keyed.complete(ask('hi'));
    assert.equal(llm.requests.at(-1)?.headers.authorization, 'Bearer ollama-key-123');
  });
});
