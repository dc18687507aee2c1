import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { ChatModel } from '../../../../src/agent/llm/types.ts';
import { ModelError } from '../../../../src/agent/llm/types.ts';
import { startScriptedLlm, type ScriptedLlm } from '../../../support/scripted-llm.ts';
import { API_KEY, ask, describeProviderContract, modelAt, rejection } from './provider-contract.ts';

describeProviderContract('anthropic');

describe('anthropic: the wire', () => {
  let llm: ScriptedLlm;
  let model: ChatModel;
  before(async () => {
    llm = await startScriptedLlm();
    model = await modelAt('anthropic', llm.baseUrl('anthropic'));
  });
  after(() => llm.close());

  it('sends the key, the model, max_tokens, the system prompt and tools with input_schema', async () => {
    llm.reply({ text: 'ok' });
    const schema = { type: 'object', properties: { q: { type: 'string' } }, required: ['q'] };
    await model.complete(
      ask('hi', {
        maxTokens: 321,
        tools: [{ name: 'search', description: 'Search', inputSchema: schema }],
      }),
    );
    const seen = llm.requests.at(-1);
    assert.equal(seen?.path, '/v1/messages');
    assert.equal(seen.headers.authorization ?? seen.headers['x-api-key'], `Bearer ${API_KEY}`);
    assert.equal(seen.body.max_tokens, 321);
    assert.equal(seen.body.system, 'You are terse.');
    assert.deepEqual(seen.body.tools, [
      { name: 'search', description: 'Search', input_schema: schema },
    ]);
  });

  it('sends a tool round trip as tool_use and tool_result blocks with is_error', async () => {
    llm.reply({ toolCalls: [{ name: 'search', input: { q: 'matrix' } }] });
    const first = await model.complete(ask('find matrix'));
    const call = first.toolCalls[0];
    assert.ok(call !== undefined);
    assert.match(call.id, /^toolu_/);
    llm.reply({ text: 'Nothing found.' });
    const second = await model.complete({
      system: '',
      maxTokens: 100,
      messages: [
        { role: 'user', content: 'find matrix' },
        { role: 'assistant', content: [{ type: 'tool_call', call }] },
        {
          role: 'user',
          content: [
            { type: 'tool_result', callId: call.id, content: 'search is down', isError: true },
          ],
        },
      ],
    });
    assert.equal(second.text, 'Nothing found.');
    const body = llm.requests.at(-1)?.body;
    assert.equal(body?.system, undefined, 'an empty system prompt is left out');
    assert.deepEqual(body?.messages, [
      { role: 'user', content: [{ type: 'text', text: 'find matrix' }] },
      {
        role: 'assistant',
        content: [{ type: 'tool_use', id: call.id, name: 'search', input: { q: 'matrix' } }],
      },
      {
        role: 'user',
        content: [
          { type: 'tool_result', tool_use_id: call.id, content: 'search is down', is_error: true },
        ],
      },
    ]);
  });

  it('sends images and PDFs as base64 sources; other types as a note', async () => {
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
            { type: 'document', mediaType: 'application/pdf', data: 'JVBERi0=', name: 'a.pdf' },
            { type: 'image', mediaType: 'image/tiff', data: 'AAAA' },
          ],
        },
      ],
    });
    const content = (llm.requests.at(-1)?.body.messages as { content: unknown[] }[])[0]?.content;
    assert.deepEqual(content, [
      { type: 'text', text: 'What is this?' },
      { type: 'image', source: { type: 'base64', media_type: 'image/png', data: 'iVBORw0KGgo=' } },
      {
        type: 'document',
        source: { type: 'base64', media_type: 'application/pdf', data: 'JVBERi0=' },
        title: 'a.pdf',
      },
      {
        type: 'text',
        text: '[image (image/tiff) left out: anthropic takes JPEG, PNG, GIF and WebP images]',
      },
    ]);
    assert.deepEqual(model.accepts, { images: true, pdf: true });
  });

  it('maps an overloaded_error inside the stream to a transient error', async () => {
    llm.reply({
      text: 'Partial answer',
      error: { status: 529, type: 'overloaded_error', message: 'Overloaded', inStream: true },
    });
    const error = await rejection(model.complete(ask('x')));
    assert.ok(error instanceof ModelError, String(error));
    assert.equal(error.transient, true);
    assert.equal(error.message, 'anthropic: error in the stream: overloaded_error: Overloaded');
  });

  it('reads retry-after-ms before retry-after', async () => {
    llm.reply({
      error: { status: 429, type: 'rate_limit_error', retryAfterMs: 1500, retryAfter: 9 },
    });
    const error = await rejection(model.complete(ask('x')));
    assert.ok(error instanceof ModelError);
    assert.equal(error.retryAfterMs, 1500);
  });
});
