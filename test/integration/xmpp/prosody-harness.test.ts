/**
 * The development Prosody (dev/xmpp) itself, checked over raw sockets: what a client or
 * component sees on each port, restarts on the same port, and the TLS certificate.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { connect as connectTls } from 'node:tls';
import { PROSODY_MISSING, prosodyForTests, uniqueUser } from '../../support/prosody.ts';

const [plain, secure] = await Promise.all([prosodyForTests(), prosodyForTests({ tls: true })]);

const STREAMS = 'http://etherx.jabber.org/streams';
const clientHeader = `<?xml version='1.0'?><stream:stream to='localhost' xmlns='jabber:client' xmlns:stream='${STREAMS}' version='1.0'>`;
const FEATURES_END = /<\/stream:features>/;

function open(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port }, () => {
      resolve(socket);
    });
    socket.once('error', reject);
  });
}

/** Everything the server sends until `pattern` matches; rejects after 3 s with what came. */
function readUntil(socket: Socket, pattern: RegExp): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    const timer = setTimeout(() => {
      finish();
      reject(new Error(`expected ${String(pattern)} within 3 s, got: ${text}`));
    }, 3000);
    const onData = (chunk: Buffer): void => {
      text += chunk.toString();
      if (pattern.test(text)) {
        finish();
        resolve(text);
      }
    };
    const finish = (): void => {
      clearTimeout(timer);
      socket.off('data', onData);
    };
    socket.on('data', onData);
  });
}

async function streamFeatures(socket: Socket): Promise<string> {
  socket.write(clientHeader);
  const text = await readUntil(socket, FEATURES_END);
  socket.destroy();
  return text;
}

/** Where Prosody's internal storage keeps an account (util.datamanager escapes non-alphanumerics). */
function accountFile(dir: string, user: string): string {
  const escaped = user.replace(
    /[^A-Za-z0-9]/g,
    (c) => `%${c.charCodeAt(0).toString(16).padStart(2, '0')}`,
  );
  return join(dir, 'data', 'localhost', 'accounts', `${escaped}.dat`);
}

function mechanisms(features: string): string[] {
  return [...features.matchAll(/<mechanism>([^<]+)<\/mechanism>/g)].map((m) => m[1] ?? '');
}

describe(
  'dev/xmpp Prosody over raw sockets',
  { skip: plain && secure ? false : PROSODY_MISSING },
  () => {
    after(async () => {
      await Promise.all([plain?.stop(), secure?.stop()]);
    });

    it('registers an account into the server data', async () => {
      assert.ok(plain);
      const user = uniqueUser('harness');
      await plain.register(user, 'secret-1');
      assert.ok(existsSync(accountFile(plain.dir, user)));
      await plain.register(user, 'secret-2'); // a second register sets the password again
    });

    it('answers a client stream header and offers SCRAM-SHA-1 but not PLAIN or STARTTLS', async () => {
      assert.ok(plain);
      const features = await streamFeatures(await open(plain.c2sPort));
      assert.match(features, /<stream:stream [^>]*from=['"]localhost['"]/);
      assert.ok(mechanisms(features).includes('SCRAM-SHA-1'), features);
      assert.ok(!mechanisms(features).includes('PLAIN'), features);
      assert.doesNotMatch(features, /starttls/);
    });

    it('accepts the agent.localhost component with its secret (XEP-0114 handshake)', async () => {
      assert.ok(plain);
      const socket = await open(plain.componentPort);
      socket.write(
        `<stream:stream xmlns='jabber:component:accept' xmlns:stream='${STREAMS}' to='${plain.componentDomain}'>`,
      );
      const header = await readUntil(socket, /<stream:stream [^>]*id=['"][^'"]+['"]/);
      const id = /id=['"]([^'"]+)['"]/.exec(header)?.[1] ?? '';
      const digest = createHash('sha1')
        .update(id + plain.componentSecret)
        .digest('hex');
      socket.write(`<handshake>${digest}</handshake>`);
      assert.match(await readUntil(socket, /<handshake\s*\/>|<stream:error/), /<handshake\s*\/>/);
      socket.destroy();
    });

    it('serves uploads on the loopback HTTP port', () => {
      assert.ok(plain);
      const url = `http://127.0.0.1:${plain.httpPort}/file_share`;
      assert.ok(plain.log().includes(`Serving 'file_share' at ${url}`), plain.log());
    });

    it('restarts on the same port with the same accounts', async () => {
      assert.ok(plain);
      const user = uniqueUser('restart');
      await plain.register(user, 'secret');
      const port = plain.c2sPort;
      await plain.restart();
      assert.equal(plain.c2sPort, port);
      assert.ok(mechanisms(await streamFeatures(await open(port))).includes('SCRAM-SHA-1'));
      assert.ok(existsSync(accountFile(plain.dir, user)));
    });

    it('requires STARTTLS on the c2s port of a TLS server', async () => {
      assert.ok(secure);
      const features = await streamFeatures(await open(secure.c2sPort));
      assert.match(
        features,
        /<starttls xmlns=['"]urn:ietf:params:xml:ns:xmpp-tls['"]>\s*<required\/>/,
      );
    });

    it('verifies the direct TLS port against caFile for servername localhost', async () => {
      assert.ok(secure?.caFile !== undefined && secure.directTlsPort !== undefined);
      const socket = connectTls({
        host: secure.host,
        port: secure.directTlsPort,
        servername: 'localhost',
        ca: readFileSync(secure.caFile),
      });
      await new Promise<void>((resolve, reject) => {
        socket.once('secureConnect', resolve);
        socket.once('error', reject);
      });
      assert.equal(socket.authorized, true);
      const features = await streamFeatures(socket);
      assert.ok(mechanisms(features).includes('PLAIN'), features); // PLAIN is fine inside TLS
      assert.doesNotMatch(features, /starttls/);
    });
  },
);
