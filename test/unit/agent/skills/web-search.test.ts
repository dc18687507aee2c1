import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ConversationMemory } from '../../../../src/agent/memory.ts';
import type { SkillContext } from '../../../../src/agent/skills/types.ts';
import { webSearchSkill } from '../../../../src/agent/skills/web-search.ts';

const KEY = 'tvly-s3cret-key-123';
const memory = new ConversationMemory(mkdtempSync(join(tmpdir(), 'mx-search-')), 'a@b');
const context = (signal = new AbortController().signal): SkillContext => ({
  conversation: 'a@b',
  sender: 'a@b',
  memory,
  signal,
});

interface Seen {
  readonly path: string;
  readonly authorization: string | undefined;
  readonly body: Record<string, unknown>;
}

async function read(req: IncomingMessage): Promise<Record<string, unknown>> {
  let text = '';
  for await (const chunk of req) text += (chunk as Buffer).toString();
  return JSON.parse(text) as Record<string, unknown>;
}

describe('the web_search skill', () => {
  let server: Server;
  let base = '';
  const seen: Seen[] = [];
  before(async () => {
    server = createServer((req, res) => {
      void read(req).then((body) => {
        seen.push({ path: req.url ?? '', authorization: req.headers.authorization, body });
        const messages = body.messages as { content: string }[] | undefined;
        const query = typeof body.query === 'string' ? body.query : (messages?.[0]?.content ?? '');
        const json = (status: number, value: unknown): void => {
          res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(value));
        };
        if (query === 'slow')
          setTimeout(() => {
            json(200, { results: [] });
          }, 2000).unref();
        else if (query === 'denied')
          json(401, { detail: { error: `Unauthorized: the API key ${KEY} is not valid.` } });
        else if (query === 'garbage') res.writeHead(200).end('<html>oops</html>');
        else if (req.url === '/search')
          json(200, {
            query,
            answer: 'Rust is a systems language.',
            results: [
              {
                title: 'Rust',
                url: 'https://www.rust-lang.org',
                content: 'Fast and\nsafe.',
                score: 0.9,
              },
              {
                title: 'Rust (Wikipedia)',
                url: 'https://en.wikipedia.org/wiki/Rust',
                content: 'A language.',
                score: 0.8,
              },
              { url: 'https://example.org/untitled', content: '' },
            ],
            response_time: 1.1,
          });
        else if (req.url === '/chat/completions')
          json(200, {
            id: 'x',
            model: body.model,
            choices: [{ index: 0, message: { role: 'assistant', content: 'Rust is great [1].' } }],
            citations: ['https://a.example', 'https://b.example'],
            ...(query === 'citations only'
              ? {}
              : {
                  search_results: [
                    {
                      title: 'Rust',
                      url: 'https://a.example',
                      date: '2026-01-01',
                      snippet: 'A language.',
                    },
                  ],
                }),
          });
        else json(404, { error: 'not found' });
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${String((server.address() as AddressInfo).port)}`;
  });
  after(() => {
    server.closeAllConnections();
    server.close();
  });

  const tavily = () =>
    webSearchSkill({
      provider: 'tavily',
      apiKey: KEY,
      maxResults: 2,
      baseUrl: base,
      timeoutMs: 300,
    });

  it('searches Tavily with the key in the Authorization header only, in Fluux Agent format', async () => {
    const result = await tavily().run({ query: 'what is rust' }, context());
    assert.deepEqual(result, {
      content:
        'Web search results for: what is rust\n\nSummary: Rust is a systems language.\n\n2 results:\n\n' +
        '1. Rust\n   https://www.rust-lang.org\n   Fast and safe.\n\n' +
        '2. Rust (Wikipedia)\n   https://en.wikipedia.org/wiki/Rust\n   A language.\n',
      untrusted: { source: 'web search (Tavily)' },
    });
    const request = seen.at(-1);
    assert.equal(request?.path, '/search');
    assert.equal(request?.authorization, `Bearer ${KEY}`);
    assert.deepEqual(request?.body, {
      query: 'what is rust',
      max_results: 2,
      include_answer: true,
    });
  });

  it('asks Perplexity with the sonar model by default, listing its sources or citations', async () => {
    const perplexity = webSearchSkill({
      provider: 'perplexity',
      apiKey: KEY,
      maxResults: 5,
      baseUrl: `${base}/`,
    });
    assert.equal(
      (await perplexity.run({ query: 'rust' }, context())).content,
      'Web search results for: rust\n\nSummary: Rust is great [1].\n\n1 results:\n\n1. Rust\n   https://a.example\n   A language.\n',
    );
    assert.deepEqual(seen.at(-1)?.body, {
      model: 'sonar',
      messages: [{ role: 'user', content: 'rust' }],
    });
    assert.equal(seen.at(-1)?.authorization, `Bearer ${KEY}`);
    const pro = webSearchSkill({
      provider: 'perplexity',
      apiKey: KEY,
      maxResults: 5,
      model: 'sonar-pro',
      baseUrl: base,
    });
    assert.match(
      (await pro.run({ query: 'citations only' }, context())).content,
      /2 results:\n\n1\. Source 1\n {3}https:\/\/a\.example\n\n2\. Source 2\n {3}https:\/\/b\.example\n$/,
    );
    assert.equal(seen.at(-1)?.body.model, 'sonar-pro');
  });

  it('reports failures as error results, never with the API key', async () => {
    const denied = await tavily().run({ query: 'denied' }, context());
    assert.deepEqual(denied, {
      content:
        'Web search failed: Tavily answered HTTP 401: Unauthorized: the API key [api key] is not valid.',
      isError: true,
    });
    assert.deepEqual(await tavily().run({ query: 'garbage' }, context()), {
      content: 'Web search failed: Tavily answered with something that is not JSON',
      isError: true,
    });
    assert.deepEqual(await tavily().run({ query: 'slow' }, context()), {
      content: 'Web search failed: no answer from Tavily within 0.3 s',
      isError: true,
    });
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const down = webSearchSkill({
      provider: 'tavily',
      apiKey: KEY,
      maxResults: 2,
      baseUrl: `http://127.0.0.1:${String(port)}`,
    });
    const refused = await down.run({ query: 'x' }, context());
    assert.match(
      refused.content,
      /^Web search failed: cannot reach Tavily at http:\/\/127\.0\.0\.1:\d+: .*ECONNREFUSED/,
    );
    assert.doesNotMatch(JSON.stringify([denied, refused]), /s3cret/);
    assert.deepEqual(await tavily().run({ query: 3 }, context()), {
      content: 'web_search: expected "query" to be a string, got "3"',
      isError: true,
    });
    const stop = new AbortController();
    const pending = tavily().run({ query: 'slow' }, context(stop.signal));
    stop.abort();
    assert.deepEqual(await pending, { content: 'Web search failed: stopped', isError: true });
  });
});
