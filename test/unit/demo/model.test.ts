import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, describe, it } from 'node:test';
import { createOllamaModel } from '../../../src/agent/llm/ollama.ts';
import {
  OFFLINE_LABEL,
  defaultOllamaHost,
  probeOllama,
  startOfflineModel,
} from '../../../src/demo/model.ts';

const servers: Server[] = [];
after(() => {
  for (const s of servers) s.close();
});

/** An HTTP server answering GET /api/tags with `body` (or hanging when `hang`). */
async function tagsServer(body: unknown, options: { hang?: boolean; status?: number } = {}) {
  const server = createServer((req, res) => {
    if (options.hang) return;
    res.writeHead(options.status ?? 200, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${String((server.address() as AddressInfo).port)}`;
}

describe('the demo model', () => {
  it('answers through the real Ollama client, streamed and not, labelled as scripted', async () => {
    const offline = await startOfflineModel('no Ollama answered');
    try {
      const model = createOllamaModel({
        model: offline.model,
        apiKey: '',
        baseUrl: offline.host,
        timeoutMs: 10_000,
      });
      const pieces: string[] = [];
      const request = {
        system: 'be nice',
        messages: [
          { role: 'user' as const, content: 'first' },
          { role: 'assistant' as const, content: 'ok' },
          { role: 'user' as const, content: 'what is   Matrix?' },
        ],
        maxTokens: 100,
      };
      const streamed = await model.complete({ ...request, onText: (p) => pieces.push(p) });
      assert.ok(streamed.text.startsWith(OFFLINE_LABEL), streamed.text);
      assert.match(streamed.text, /You asked: "what is Matrix\?"/);
      assert.ok(pieces.length > 1);
      assert.equal(pieces.join(''), streamed.text);
      assert.equal(streamed.stop, 'end');
      assert.ok(streamed.usage.outputTokens > 0);
      const whole = await model.complete(request);
      assert.equal(whole.text, streamed.text);
    } finally {
      await offline.close();
    }
  });

  it('refuses what is not a chat call', async () => {
    const offline = await startOfflineModel('x');
    try {
      const r = await fetch(new URL('/api/generate', offline.host), { method: 'POST', body: '{}' });
      assert.equal(r.status, 404);
      const bad = await fetch(new URL('/api/chat', offline.host), { method: 'POST', body: '{' });
      assert.equal(bad.status, 400);
    } finally {
      await offline.close();
    }
  });

  it('uses the first model a reachable Ollama has, or the one asked for', async () => {
    const host = await tagsServer({ models: [{ name: 'llama3.2:latest' }, { name: 'qwen3' }] });
    assert.deepEqual(await probeOllama(host, undefined), { model: 'llama3.2:latest' });
    assert.deepEqual(await probeOllama(host, 'qwen3'), { model: 'qwen3' });
    assert.deepEqual(await probeOllama(host, 'llama3.2'), { model: 'llama3.2' });
    const missing = await probeOllama(host, 'mistral');
    assert.ok('reason' in missing && missing.reason.includes('ollama pull mistral'));
  });

  it('says why it cannot use Ollama', async () => {
    const empty = await probeOllama(await tagsServer({ models: [] }), undefined);
    assert.ok('reason' in empty && /no model pulled/.test(empty.reason), JSON.stringify(empty));
    const broken = await probeOllama(await tagsServer({}, { status: 500 }), undefined);
    assert.ok('reason' in broken && /HTTP 500/.test(broken.reason));
    const slow = await probeOllama(await tagsServer({}, { hang: true }), undefined, 200);
    assert.ok('reason' in slow && /did not answer within 0.2 s/.test(slow.reason));
    const dead = await probeOllama('http://127.0.0.1:9', undefined);
    assert.ok('reason' in dead && /no Ollama answered at http:\/\/127.0.0.1:9/.test(dead.reason));
  });

  it('reads OLLAMA_HOST as Ollama does', () => {
    assert.equal(defaultOllamaHost({}), 'http://127.0.0.1:11434');
    assert.equal(defaultOllamaHost({ OLLAMA_HOST: '10.0.0.2:11434' }), 'http://10.0.0.2:11434');
    assert.equal(defaultOllamaHost({ OLLAMA_HOST: 'https://gpu/' }), 'https://gpu/');
  });
});
