import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ConversationMemory } from '../../../../src/agent/memory.ts';
import type { SkillContext } from '../../../../src/agent/skills/types.ts';
import { urlFetchSkill } from '../../../../src/agent/skills/url-fetch.ts';

const memory = new ConversationMemory(mkdtempSync(join(tmpdir(), 'mx-fetch-skill-')), 'a@b');
const context = (signal = new AbortController().signal): SkillContext => ({
  conversation: 'a@b',
  sender: 'a@b',
  memory,
  signal,
});

const PAGES: Readonly<Record<string, readonly [string, string | Buffer]>> = {
  '/page': [
    'text/html; charset=utf-8',
    '<html><head><title>T</title><script>x()</script></head><body><p>Hello &amp; welcome</p></body></html>',
  ],
  '/latin1': ['text/plain; charset=iso-8859-1', Buffer.from([0xc9, 0x6c, 0xe8, 0x76, 0x65])],
  '/data.json': ['application/json', '{"key": "value"}'],
  '/image.png': ['image/png', Buffer.from([0x89, 0x50, 0x4e, 0x47, 0, 0, 0])],
  '/long': ['text/plain', 'é'.repeat(50)],
  '/huge': ['text/plain', 'x'.repeat(4096)],
  '/empty': ['text/html', '<html><body><script>only()</script></body></html>'],
};

describe('the url_fetch skill', () => {
  let server: Server;
  let base = '';
  before(async () => {
    server = createServer((req, res) => {
      const page = PAGES[req.url ?? ''];
      if (req.url === '/slow') {
        setTimeout(() => res.end('late'), 2000).unref();
        return;
      }
      if (page === undefined) {
        res.writeHead(404).end('no');
        return;
      }
      res.writeHead(200, { 'content-type': page[0] }).end(page[1]);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${String((server.address() as AddressInfo).port)}`;
  });
  after(() => {
    server.closeAllConnections();
    server.close();
  });

  const skill = urlFetchSkill({ allowPrivate: true, maxChars: 10, maxBytes: 1024, timeoutMs: 300 });

  it('gives the readable text of a page, marked untrusted, from its URL', async () => {
    const full = urlFetchSkill({ allowPrivate: true });
    assert.deepEqual(await full.run({ url: `${base}/page` }, context()), {
      content: `Content from: ${base}/page\n\nT\n\nHello & welcome`,
      untrusted: { source: `${base}/page` },
    });
    assert.equal(
      (await full.run({ url: `${base}/data.json` }, context())).content,
      `Content from: ${base}/data.json\n\n{"key": "value"}`,
    );
    assert.equal(
      (await full.run({ url: `${base}/latin1` }, context())).content,
      `Content from: ${base}/latin1\n\nÉlève`,
    );
    assert.equal(
      (await full.run({ url: `${base}/empty` }, context())).content,
      `Content from: ${base}/empty\n\n[No text content extracted]`,
    );
  });

  it('cuts long text and big bodies, and says so', async () => {
    assert.equal(
      (await skill.run({ url: `${base}/long` }, context())).content,
      `Content from: ${base}/long\n\néééééééééé\n\n[Content truncated at 10 characters]`,
    );
    assert.match(
      (await skill.run({ url: `${base}/huge` }, context())).content,
      /\[The document is larger than 1024 bytes; only its beginning was read\]\n\n\[Content truncated at 10 characters\]$/,
    );
  });

  it('refuses other media types, HTTP errors, timeouts and bad input as error results', async () => {
    assert.deepEqual(await skill.run({ url: `${base}/image.png` }, context()), {
      content: `url_fetch: ${base}/image.png is image/png, which url_fetch does not read (it reads HTML, text and JSON)`,
      isError: true,
    });
    assert.deepEqual(await skill.run({ url: `${base}/nothing` }, context()), {
      content: `url_fetch: ${base}/nothing answered HTTP 404`,
      isError: true,
    });
    assert.deepEqual(await skill.run({ url: `${base}/slow` }, context()), {
      content: `url_fetch: ${base}/slow did not answer within 0.3 s`,
      isError: true,
    });
    assert.deepEqual(await skill.run({ url: 'file:///etc/passwd' }, context()), {
      content: 'url_fetch: expected an http:// or https:// URL, got "file:///etc/passwd"',
      isError: true,
    });
    assert.deepEqual(await skill.run({}, context()), {
      content: 'url_fetch: expected "url" to be a string, got nothing',
      isError: true,
    });
    const stop = new AbortController();
    const pending = skill.run({ url: `${base}/slow` }, context(stop.signal));
    stop.abort();
    assert.deepEqual(await pending, {
      content: `url_fetch: stopped before ${base}/slow was read`,
      isError: true,
    });
  });

  it('refuses 127.0.0.1 unless the owner allows private addresses or that address', async () => {
    const result = await urlFetchSkill().run({ url: `${base}/page` }, context());
    assert.equal(result.isError, true);
    assert.match(
      result.content,
      /^url_fetch refuses http:\/\/127\.0\.0\.1:\d+\/page: 127\.0\.0\.1 is a loopback address/,
    );
    assert.equal(result.untrusted, undefined);
    const listed = urlFetchSkill({ allowAddresses: ['127.0.0.0/8'] });
    assert.equal((await listed.run({ url: `${base}/page` }, context())).isError, undefined);
    const other = urlFetchSkill({ allowAddresses: ['10.0.0.1'] });
    assert.equal((await other.run({ url: `${base}/page` }, context())).isError, true);
  });
});
