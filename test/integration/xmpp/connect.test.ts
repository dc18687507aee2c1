import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { after, describe, it } from 'node:test';
import { AuthError, InterruptedError, NetworkError } from '../../../src/errors.ts';
import { createXmppTransport } from '../../../src/transport/xmpp/index.ts';
import { EventRecorder } from '../../support/event-recorder.ts';
import { freePort } from '../../../src/devserver/xmpp/prosody.ts';
import { prosodyForTests } from '../../support/prosody.ts';
import { newAccount } from '../../support/xmpp-peers.ts';

const plain = await prosodyForTests();
const secure = plain ? await prosodyForTests({ tls: true }) : undefined;
/** A client transport aimed at a loopback port where no real XMPP server is. */
const towards = (port: number) =>
  createXmppTransport({
    mode: 'client',
    jid: 'a@localhost',
    password: 'x',
    host: '127.0.0.1',
    port,
    tls: 'off',
  });

const skip = plain && secure ? false : 'prosody not installed: apt-get install prosody';

describe('xmpp connecting: credentials, TLS policy, components', { skip }, () => {
  after(async () => {
    await plain?.stop();
    await secure?.stop();
  });

  it('refuses a wrong password with AuthError not-authorized', async () => {
    if (!plain) return;
    const account = await newAccount(plain);
    const t = createXmppTransport({ ...account, password: 'wrong' });
    await assert.rejects(
      t.connect(),
      (e: unknown) =>
        e instanceof AuthError &&
        e.detail.condition === 'not-authorized' &&
        /refused the password/.test(e.message),
    );
    assert.equal(t.state, 'offline');
  });

  it('fails fast with NetworkError when nothing listens', async () => {
    const t = towards(await freePort());
    const started = Date.now();
    await assert.rejects(
      t.connect({ timeoutMs: 3000 }),
      (e: unknown) => e instanceof NetworkError && /connection refused/.test(e.message),
    );
    assert.ok(Date.now() - started < 3000);
  });

  it('stops waiting when the caller aborts, against a server that never answers', async () => {
    const silent = createServer(() => undefined).listen(0, '127.0.0.1');
    await new Promise((resolve) => silent.once('listening', resolve));
    const t = towards((silent.address() as { port: number }).port);
    const started = Date.now();
    await assert.rejects(
      t.connect({ signal: AbortSignal.timeout(200), timeoutMs: 5000 }),
      InterruptedError,
    );
    assert.ok(Date.now() - started < 2000);
    assert.equal(t.state, 'offline');
    silent.close();
  });

  it('refuses to continue unencrypted when STARTTLS is expected but not offered', async () => {
    if (!plain) return;
    const t = createXmppTransport({ ...(await newAccount(plain)), tls: 'starttls' });
    await assert.rejects(
      t.connect(),
      (e: unknown) => e instanceof NetworkError && /does not offer STARTTLS/.test(e.message),
    );
  });

  it('upgrades with STARTTLS, verifying the certificate against the given CA', async () => {
    if (!secure?.caFile) return;
    const account = await newAccount(secure);
    const ok = createXmppTransport({
      ...account,
      tls: 'starttls',
      ca: readFileSync(secure.caFile, 'utf8'),
    });
    await ok.connect();
    assert.equal(ok.state, 'online');
    await ok.close();
    const untrusted = createXmppTransport({ ...account, tls: 'starttls' });
    await assert.rejects(
      untrusted.connect(),
      (e: unknown) => e instanceof NetworkError && /certificate did not verify/.test(e.message),
    );
    const optedOut = createXmppTransport({ ...account, tls: 'starttls', tlsInsecure: true });
    await optedOut.connect();
    await optedOut.close();
  });

  it('connects with direct TLS (XEP-0368) when tls is required', async () => {
    if (!secure?.caFile || !secure.directTlsPort) return;
    const t = createXmppTransport({
      ...(await newAccount(secure)),
      tls: 'required',
      port: secure.directTlsPort,
      ca: readFileSync(secure.caFile, 'utf8'),
    });
    await t.connect();
    assert.equal(t.state, 'online');
    await t.close();
  });

  it('fails a queued send loudly when the server stays away past its deadline, then recovers', async () => {
    if (!plain) return;
    const t = createXmppTransport(await newAccount(plain));
    const events = new EventRecorder(t);
    await t.connect();
    await plain.stop();
    await events.waitFor((e) => e.type === 'connection' && e.state === 'reconnecting');
    await assert.rejects(
      t.send(
        { kind: 'direct', address: t.address },
        { type: 'text', text: 'lost' },
        { timeoutMs: 300 },
      ),
      (e: unknown) => e instanceof NetworkError && /not delivered within 300 ms/.test(e.message),
    );
    await plain.start();
    await events.waitForCount((e) => e.type === 'connection' && e.state === 'online', 2, 15_000);
    await t.send({ kind: 'direct', address: t.address }, { type: 'text', text: 'back' });
    await t.close();
  });

  it('runs as an XEP-0114 component and talks to a client', async () => {
    if (!plain) return;
    const component = createXmppTransport({
      mode: 'component',
      domain: plain.componentDomain,
      secret: plain.componentSecret,
      host: plain.host,
      port: plain.componentPort,
    });
    const client = createXmppTransport(await newAccount(plain));
    const componentEvents = new EventRecorder(component);
    const clientEvents = new EventRecorder(client);
    await component.connect();
    await client.connect();
    assert.equal(component.address, plain.componentDomain);
    await client.send(
      { kind: 'direct', address: `bot@${plain.componentDomain}` },
      { type: 'text', text: 'hi component' },
    );
    const got = await componentEvents.waitFor((e) => e.type === 'text');
    assert.equal(got.type === 'text' ? got.text : '', 'hi component');
    await component.send(
      { kind: 'direct', address: client.address },
      { type: 'payload', payload: { kind: 'test.reply', version: 1, body: { ok: true } } },
    );
    const reply = await clientEvents.waitFor((e) => e.type === 'payload');
    assert.equal(reply.type === 'payload' ? reply.from : '', plain.componentDomain);
    await component.close();
    await client.close();
    const wrong = createXmppTransport({
      mode: 'component',
      domain: plain.componentDomain,
      secret: 'wrong',
      host: plain.host,
      port: plain.componentPort,
    });
    await assert.rejects(
      wrong.connect(),
      (e: unknown) => e instanceof AuthError && /refused the secret/.test(e.message),
    );
  });
});
