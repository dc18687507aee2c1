import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { fetchUrl, nonPublicReason } from '../../../src/agent/url-fetch.ts';

describe('url_fetch', () => {
  let server: Server;
  let base = '';
  before(async () => {
    server = createServer((req, res) => {
      if (req.url === '/metadata') {
        res.writeHead(302, { location: 'http://169.254.169.254/latest/meta-data/' });
        res.end();
      } else if (req.url === '/big') {
        res.writeHead(200, { 'content-type': 'text/plain' });
        res.end('x'.repeat(10_000));
      } else if (req.url === '/slow') {
        setTimeout(() => res.end('late'), 2000);
      } else {
        res.writeHead(200, { 'content-type': 'text/html' });
        res.end('<p>hello</p>');
      }
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${String((server.address() as AddressInfo).port)}`;
  });
  after(() => {
    server.closeAllConnections();
    server.close();
  });

  it('names why an address is not public', () => {
    assert.match(nonPublicReason('127.0.0.1') ?? '', /loopback/);
    assert.match(nonPublicReason('169.254.169.254') ?? '', /link-local.*metadata/);
    assert.match(nonPublicReason('10.1.2.3') ?? '', /private/);
    assert.match(nonPublicReason('::1') ?? '', /loopback/);
    assert.match(nonPublicReason('::ffff:127.0.0.1') ?? '', /loopback/);
    assert.match(nonPublicReason('fd00::1') ?? '', /private/);
    assert.equal(nonPublicReason('93.184.215.14'), undefined);
    assert.equal(nonPublicReason('2606:4700::1111'), undefined);
  });

  it('refuses 127.0.0.1, localhost and 169.254.169.254, with the reason', async () => {
    await assert.rejects(
      fetchUrl(`${base}/`),
      /refuses http:\/\/127\.0\.0\.1:\d+\/: 127\.0\.0\.1 is a loopback address/,
    );
    await assert.rejects(
      fetchUrl(base.replace('127.0.0.1', 'localhost')),
      /refuses http:\/\/localhost:\d+\/: (127\.0\.0\.1|::1) is a loopback address/,
    );
    await assert.rejects(
      fetchUrl('http://169.254.169.254/latest/meta-data/'),
      /169\.254\.169\.254 is a link-local address/,
    );
    await assert.rejects(fetchUrl('file:///etc/passwd'), /expected an http:\/\/ or https:\/\/ URL/);
  });

  it('checks every redirect again, caps the size and the time', async () => {
    const ok = await fetchUrl(`${base}/`, { allowPrivate: true });
    assert.equal(ok.status, 200);
    assert.equal(ok.body.toString(), '<p>hello</p>');
    // The owner allows this one host; its redirect to the metadata address is still refused.
    const onlyTestServer = { allowAddress: (a: string) => a === '127.0.0.1' };
    assert.equal((await fetchUrl(`${base}/`, onlyTestServer)).status, 200);
    await assert.rejects(
      fetchUrl(`${base}/metadata`, onlyTestServer),
      /refuses http:\/\/169\.254\.169\.254\/latest\/meta-data\/: 169\.254\.169\.254 is a link-local address/,
    );
    const big = await fetchUrl(`${base}/big`, { allowPrivate: true, maxBytes: 1000 });
    assert.equal(big.body.length, 1000);
    assert.equal(big.truncated, true);
    await assert.rejects(fetchUrl(`${base}/slow`, { allowPrivate: true, timeoutMs: 200 }));
  });
});
