/**
 * What every provider must do, run against the scripted server in that provider's wire format
 * with the provider's real client library: text, streamed pieces, tool calls, usage, errors
 * mapped to ModelError (transient or not), /stop as an AbortError, and the time limit.
 */
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import type { ServeConfig } from '../../../../src/agent/config.ts';
import {
  completeWithRetries,
  createModel,
  type ModelOptions,
} from '../../../../src/agent/llm/index.ts';
import {
  ModelError,
  type ChatModel,
  type ModelRequest,
  type ToolSpec,
} from '../../../../src/agent/llm/types.ts';
import {
  startScriptedLlm,
  type ScriptedLlm,
  type ScriptedProvider,
} from '../../../support/scripted-llm.ts';

export const API_KEY = 'sk-test-0123456789abcdef';

/** A model of `provider` pointed at `baseUrl`. */
export function modelAt(
  provider: ScriptedProvider,
  baseUrl: string,
  options: ModelOptions & { apiKey?: string } = {},
): Promise<ChatModel> {
  const llm: ServeConfig['llm'] = {
    provider,
    model: 'scripted-model',
    apiKey: options.apiKey ?? API_KEY,
    maxTokensPerRequest: 1000,
    baseUrl,
  };
  return createModel(llm, { timeoutMs: options.timeoutMs ?? 5000 });
}

/** A request with one user message. */
export function ask(text: string, extra: Partial<ModelRequest> = {}): ModelRequest {
  return {
    system: 'You are terse.',
    messages: [{ role: 'user', content: text }],
    maxTokens: 200,
    ...extra,
  };
}

/** A URL where nothing listens. */
async function deadUrl(): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  await new Promise<void>((resolve) =>
    server.close(() => {
      resolve();
    }),
  );
  return `http://127.0.0.1:${String(port)}`;
}

/** How the provider reports a server that is over capacity. */
const OVERLOADED: Record<ScriptedProvider, { status: number; type?: string; pattern: RegExp }> = {
  anthropic: {
    status: 529,
    type: 'overloaded_error',
    pattern: /^anthropic: HTTP 529 overloaded_error: Overloaded$/,
  },
  openai: {
    status: 503,
    type: 'server_error',
    pattern: /^openai: HTTP 503 server_error: Overloaded$/,
  },
  ollama: { status: 503, pattern: /^ollama: HTTP 503 Overloaded$/ },
};

/** The suite every provider passes. */
export function describeProviderContract(provider: ScriptedProvider): void {
  describe(`${provider}: the ChatModel contract`, () => {
    let llm: ScriptedLlm;
    let model: ChatModel;
    before(async () => {
      llm = await startScriptedLlm();
      model = await modelAt(provider, llm.baseUrl(provider));
    });
    after(() => llm.close());

    it('answers in text, streamed in pieces that join to the whole', async () => {
      llm.reply({ text: 'Hello from the scripted model.' });
      const pieces: string[] = [];
      const answer = await model.complete(ask('hi', { onText: (piece) => pieces.push(piece) }));
      assert.equal(answer.text, 'Hello from the scripted model.');
      assert.ok(pieces.length >= 3, `expected several pieces, got ${JSON.stringify(pieces)}`);
      assert.equal(pieces.join(''), answer.text);
      assert.equal(answer.stop, 'end');
      assert.deepEqual(answer.toolCalls, []);
      const seen = llm.requests.at(-1);
      assert.equal(seen?.provider, provider);
      assert.equal(seen.model, 'scripted-model');
      assert.equal(seen.system, 'You are terse.');
      assert.equal(seen.lastUserText, 'hi');
      assert.equal(seen.stream, true);
    });

    it('reports the tokens the provider counted', async () => {
      llm.reply({ text: 'ok', usage: { inputTokens: 1234, outputTokens: 56 } });
      const answer = await model.complete(ask('count'));
      assert.deepEqual(answer.usage, { inputTokens: 1234, outputTokens: 56 });
    });

    it('says when the answer hit the token limit', async () => {
      llm.reply({ text: 'cut sho', stop: 'max_tokens' });
      assert.equal((await model.complete(ask('long'))).stop, 'max_tokens');
    });

    it('returns tool calls whole, with ids, and offers the tools', async () => {
      llm.reply({
        text: 'Let me look.',
        toolCalls: [
          { name: 'get_weather', input: { city: 'Paris', days: 2 } },
          { name: 'get_time', input: { zone: 'Europe/Paris' } },
        ],
      });
      const tools: ToolSpec[] = [
        {
          name: 'get_weather',
          description: 'Weather',
          inputSchema: { type: 'object', properties: { city: { type: 'string' } } },
        },
        { name: 'get_time', description: 'Time', inputSchema: { type: 'object', properties: {} } },
      ];
      const answer = await model.complete(ask('weather?', { tools }));
      assert.equal(answer.stop, 'tool_use');
      assert.equal(answer.text, 'Let me look.');
      assert.deepEqual(
        answer.toolCalls.map((call) => ({ name: call.name, input: call.input })),
        [
          { name: 'get_weather', input: { city: 'Paris', days: 2 } },
          { name: 'get_time', input: { zone: 'Europe/Paris' } },
        ],
      );
      const ids = answer.toolCalls.map((call) => call.id);
      assert.ok(ids.every((id) => id !== ''));
      assert.equal(new Set(ids).size, 2);
      assert.deepEqual(llm.requests.at(-1)?.tools, ['get_weather', 'get_time']);
    });

    it('maps 429 with retry-after to a transient error with the wait', async () => {
      llm.reply({
        error: { status: 429, type: 'rate_limit_error', message: 'Slow down', retryAfter: 7 },
      });
      const error = await rejection(model.complete(ask('x')));
      assert.ok(error instanceof ModelError);
      assert.equal(error.transient, true);
      assert.equal(error.status, 429);
      assert.equal(error.retryAfterMs, 7000);
      assert.match(error.message, new RegExp(`^${provider}: HTTP 429 .*Slow down$`));
    });

    it('maps 401 to a permanent error that names it and never shows the key', async () => {
      llm.reply({
        error: {
          status: 401,
          type: 'authentication_error',
          code: 'invalid_api_key',
          message: 'invalid x-api-key',
        },
      });
      const error = await rejection(model.complete(ask('x')));
      assert.ok(error instanceof ModelError);
      assert.equal(error.transient, false);
      assert.equal(error.status, 401);
      assert.match(error.message, new RegExp(`^${provider}: HTTP 401 .*invalid x-api-key$`));
      assert.ok(!error.message.includes(API_KEY));
    });

    it('maps an overloaded server to a transient error', async () => {
      const o = OVERLOADED[provider];
      llm.reply({
        error: {
          status: o.status,
          ...(o.type === undefined ? {} : { type: o.type }),
          message: 'Overloaded',
        },
      });
      const before = llm.requests.length;
      const error = await rejection(model.complete(ask('x')));
      assert.ok(error instanceof ModelError);
      assert.equal(error.transient, true);
      assert.equal(error.status, o.status);
      assert.match(error.message, o.pattern);
      assert.equal(llm.requests.length - before, 1, 'the client library does not retry by itself');
    });

    it('answers through completeWithRetries after a transient failure', async () => {
      const o = OVERLOADED[provider];
      llm.reply(
        { error: { status: o.status, message: 'Overloaded' } },
        { text: 'Second time lucky.' },
      );
      const before = llm.requests.length;
      const retries: number[] = [];
      const answer = await completeWithRetries(model, ask('x'), {
        attempts: 3,
        baseDelayMs: 1,
        maxDelayMs: 5,
        onRetry: (notice) => retries.push(notice.attempt),
      });
      assert.equal(answer.text, 'Second time lucky.');
      assert.deepEqual(retries, [1]);
      assert.equal(llm.requests.length - before, 2);
    });

    it('maps a proxy error page (502, HTML) to a transient error on one line', async () => {
      llm.reply({ error: { status: 502, html: '<html>\n<h1>502 Bad Gateway</h1>\n</html>\n' } });
      const error = await rejection(model.complete(ask('x')));
      assert.ok(error instanceof ModelError);
      assert.equal(error.transient, true);
      assert.equal(error.status, 502);
      assert.match(
        error.message,
        new RegExp(`^${provider}: HTTP 502 .*<h1>502 Bad Gateway</h1> </html>$`),
      );
    });

    it('maps a refused connection to a transient error naming the address', async () => {
      const url = await deadUrl();
      const dead = await modelAt(provider, provider === 'openai' ? `${url}/v1` : url);
      const error = await rejection(dead.complete(ask('x')));
      assert.ok(error instanceof ModelError, String(error));
      assert.equal(error.transient, true);
      assert.match(
        error.message,
        new RegExp(`^${provider}: the connection to ${url.replace(/\./g, '\\.')}.*ECONNREFUSED`),
      );
    });

    it('maps a stream that ends early or drops to a transient error', async () => {
      llm.reply(
        { text: 'Half of an answer', cut: 'end' },
        { text: 'Half of an answer', cut: 'drop' },
      );
      const ended = await rejection(model.complete(ask('x')));
      assert.ok(ended instanceof ModelError, String(ended));
      assert.equal(ended.transient, true);
      assert.match(ended.message, new RegExp(`^${provider}: the stream ended before `));
      const dropped = await rejection(model.complete(ask('x')));
      assert.ok(dropped instanceof ModelError, String(dropped));
      assert.equal(dropped.transient, true);
      assert.match(dropped.message, new RegExp(`^${provider}: the connection to .* failed: `));
    });

    it('stops mid-stream with an AbortError, promptly, and hangs up', async () => {
      llm.reply({ text: 'This answer never ends', hang: 'stream' });
      const controller = new AbortController();
      const pieces: string[] = [];
      const call = model.complete(
        ask('go', {
          signal: controller.signal,
          onText: (piece) => {
            pieces.push(piece);
            controller.abort();
          },
        }),
      );
      const started = Date.now();
      const error = await rejection(call);
      assert.equal(error.name, 'AbortError', String(error));
      assert.ok(!(error instanceof ModelError));
      assert.ok(Date.now() - started < 1000);
      assert.equal(pieces.length, 1);
      assert.equal(await llm.requests.at(-1)?.outcome, 'client-closed');
    });

    it('stops before the answer starts with an AbortError', async () => {
      llm.reply({ hang: 'headers' });
      const controller = new AbortController();
      const call = model.complete(ask('go', { signal: controller.signal }));
      setTimeout(() => {
        controller.abort();
      }, 50);
      assert.equal((await rejection(call)).name, 'AbortError');
    });

    it('gives up after the time limit with a transient error, before or during the stream', async () => {
      const slow = await modelAt(provider, llm.baseUrl(provider), { timeoutMs: 200 });
      for (const hang of ['headers', 'stream'] as const) {
        llm.reply({ text: 'Too late', hang });
        const started = Date.now();
        const error = await rejection(slow.complete(ask('x')));
        assert.ok(error instanceof ModelError, String(error));
        assert.equal(error.transient, true);
        assert.match(error.message, new RegExp(`^${provider}: no complete answer within 200 ms$`));
        assert.ok(Date.now() - started < 2000);
      }
    });
  });
}

/** What `promise` rejected with (fails when it resolved). */
export async function rejection(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof Error || error instanceof DOMException, String(error));
    return error;
  }
  assert.fail('expected the call to fail');
}
