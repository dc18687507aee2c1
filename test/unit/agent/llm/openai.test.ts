import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ModelError, type ChatModel } from '../../../../src/agent/llm/types.ts';
import { startScriptedLlm, type ScriptedLlm } from '../../../support/scripted-llm.ts';
import { API_KEY, ask, describeProviderContract, modelAt, rejection } from './provider-contract.ts';

describeProviderContract('openai');

describe('openai: the wire', () => {
  let llm: ScriptedLlm;
  let model: ChatModel;
  before(async () => {
    llm = await startScriptedLlm();
    model = await modelAt('openai', llm.baseUrl('openai'));
  });
  after(() => llm.close());

  it('streams with usage, sends max_tokens, the system message and function tools', async () => {
    llm.reply({ text: 'ok' });
    const schema = { type: 'object', properties: { q: { type: 'string' } } };
    await model.complete(
      ask('hi', {
        maxTokens: 321,
        tools: [{ name: 'search', description: 'Search', inputSchema: schema }],
      }),
    );
    const seen = llm.requests.at(-1);
    assert.equal(seen?.path, '/v1/chat/completions');
    assert.equal(seen.headers.authorization, `Bearer ${API_KEY}`);
    assert.deepEqual(seen.body.stream_options, { include_usage: true });
    assert.equal(seen.body.max_tokens, 321);
    assert.deepEqual(seen.body.messages, [
      { role: 'system', content: 'You are terse.' },
      { role: 'user', content: 'hi' },
    ]);
    assert.deepEqual(seen.body.tools, [
      { type: 'function', function: { name: 'search', description: 'Search', parameters: schema } },
    ]);
  });

  it('sends no Authorization header when no key is configured', async () => {
    const keyless = await modelAt('openai', llm.baseUrl('openai'), { apiKey: '' });
    llm.reply({ text: 'ok' });
    assert.equal((await keyless.complete(ask('hi'))).text, 'ok');
    assert.equal(llm.requests.at(-1)?.headers.authorization, undefined);
  });

  it('sends a tool round trip as tool_calls and role "tool" messages', async () => {
    llm.reply({ text: 'Checking.', toolCalls: [{ name: 'search', input: { q: 'xmpp' } }] });
    const first = await model.complete(ask('find xmpp'));
    const call = first.toolCalls[0];
    assert.ok(call !== undefined);
    assert.match(call.id, /^call_scripted_/);
    llm.reply({ text: 'Found it.' });
    await model.complete({
      system: '',
      maxTokens: 100,
      messages: [
        { role: 'user', content: 'find xmpp' },
        {
          role: 'assistant',
          content: [
            { type: 'text', text: 'Checking.' },
            { type: 'tool_call', call },
          ],
        },
        {
          role: 'user',
          content: [
            { type: 'tool_result', callId: call.id, content: 'no results', isError: true },
            { type: 'text', text: 'and hurry' },
          ],
        },
      ],
    });
    assert.deepEqual(llm.requests.at(-1)?.body.messages, [
      { role: 'user', content: 'find xmpp' },
      {
        role: 'assistant',
        content: 'Checking.',
        tool_calls: [
          {
            id: call.id,
            type: 'function',
            function: { name: 'search', arguments: '{"q":"xmpp"}' },
          },
        ],
      },
      { role: 'tool', tool_call_id: call.id, content: 'Error: no results' },
      { role: 'user', content: 'and hurry' },
    ]);
  });

  it('passes arguments that are not JSON on to the loop as invalidInput', async () => {
    llm.reply({ toolCalls: [{ name: 'search', input: '{"q": "unterminated' }] });
    const answer = await model.complete(ask('x'));
    assert.deepEqual(
      answer.toolCalls.map(({ name, input, invalidInput }) => ({ name, input, invalidInput })),
      [{ name: 'search', input: {}, invalidInput: '{"q": "unterminated' }],
    );
  });

  it('sends images as data-URI image_url parts; a PDF as a note', async () => {
    llm.reply({ text: 'A cat.' });
    await model.complete({
      system: '',
      maxTokens: 100,
      messages: [
        {
          role: 'user',
          content: [
            { type: 'text', text: 'What is this?' },
            { type: 'image', mediaType: 'image/jpeg', data: '/9j/4AAQ' },
            { type: 'document', mediaType: 'application/pdf', data: 'JVBERi0=', name: 'a.pdf' },
          ],
        },
      ],
    });
    assert.deepEqual(llm.requests.at(-1)?.body.messages, [
      {
        role: 'user',
        content: [
          { type: 'text', text: 'What is this?' },
          { type: 'image_url', image_url: { url: 'data:image/jpeg;base64,/9j/4AAQ' } },
          {
            type: 'text',
            text: '[document a.pdf (application/pdf) left out: openai does not take this kind of document]',
          },
        ],
      },
    ]);
    assert.deepEqual(model.accepts, { images: true, pdf: false });
  });

  it('treats an exhausted quota (429 insufficient_quota) as permanent', async () => {
    llm.reply({
      error: {
        status: 429,
        type: 'insufficient_quota',
        code: 'insufficient_quota',
        message: 'You exceeded your current quota',
      },
    });
    const error = await rejection(model.complete(ask('x')));
    assert.ok(error instanceof ModelError);
    assert.equal(error.transient, false);
    assert.equal(
      error.message,
      'openai: HTTP 429 insufficient_quota: You exceeded your current quota',
    );
  });

  it('sends max_completion_tokens to api.openai.com itself', async () => {
    let body: Record<string, unknown> = {};
    let url = '';
    // Sent to api.openai.com as far as the library knows; answered by the scripted server.
    const official = await modelAtWithFetch('https://api.openai.com/v1', (input, init) => {
      url = input instanceof Request ? input.url : input.toString();
      const text = typeof init?.body === 'string' ? init.body : '';
      body = JSON.parse(text) as Record<string, unknown>;
      return fetch(`${llm.baseUrl('openai')}/chat/completions`, { ...init, body: text });
    });
    llm.reply({ text: 'ok' });
    await official.complete(ask('hi', { maxTokens: 77 }));
    assert.equal(url, 'https://api.openai.com/v1/chat/completions');
    assert.equal(body.max_completion_tokens, 77);
    assert.equal(body.max_tokens, undefined);
  });
});

async function modelAtWithFetch(baseUrl: string, fetchOverride: typeof fetch): Promise<ChatModel> {
  const { createModel } = await import('../../../../src/agent/llm/index.ts');
  return createModel(
    {
      provider: 'openai',
      model: 'scripted-model',
      apiKey: API_KEY,
      maxTokensPerRequest: 100,
      baseUrl,
    },
    { timeoutMs: 5000, fetch: fetchOverride },
  );
}
