/**
 * The network cut for 30 s, then restored: clients recover on their own. No root here, so a
 * TCP proxy (test/support/tcp-proxy.ts) stands between the clients and the server and is cut
 * in two ways: `reset` (connections destroyed, new ones refused: a stopped server) and
 * `blackhole` (every byte dropped, nobody told: a pulled cable). Both cuts on both networks
 * (Prosody, the Matrix dev homeserver), the four at the same time.
 */
import assert from 'node:assert/strict';
import { connect, createServer, type Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { createXmppTransport } from '../../src/transport/xmpp/index.ts';
import { createMatrixTransport } from '../../src/transport/matrix/index.ts';
import { loginMatrix, loginXmpp, tempHome } from '../support/cli.ts';
import { CUT_MS, echoScript, runCut, type CutNetwork } from '../support/cut-scenario.ts';
import { MatrixTestbed } from '../support/matrix-peers.ts';
import { PROSODY_MISSING, prosodyForTests, uniqueUser } from '../support/prosody.ts';
import { startScriptedLlm, type ScriptedLlm } from '../support/scripted-llm.ts';
import { startTcpProxy, type CutMode, type TcpProxy } from '../support/tcp-proxy.ts';

const prosody = await prosodyForTests();

describe('the tcp proxy cuts as it says', () => {
  let echo: ReturnType<typeof createServer>;
  let proxy: TcpProxy;
  before(async () => {
    echo = createServer((socket) => {
      socket.on('error', () => undefined); // the reset cut's RST
      socket.pipe(socket);
    });
    await new Promise<void>((resolve) => echo.listen(0, '127.0.0.1', resolve));
    const address = echo.address();
    assert.ok(address !== null && typeof address === 'object');
    proxy = await startTcpProxy({ host: '127.0.0.1', port: address.port });
  });
  after(async () => {
    await proxy.close();
    echo.close();
  });

  const open = (): Promise<Socket> =>
    new Promise((resolve, reject) => {
      const socket = connect({ host: '127.0.0.1', port: proxy.port }, () => {
        resolve(socket);
      });
      socket.once('error', reject);
    });
  const roundTrip = (socket: Socket, text: string, timeoutMs = 1000): Promise<string | undefined> =>
    new Promise((resolve) => {
      const timer = setTimeout(() => {
        socket.off('data', onData);
        resolve(undefined);
      }, timeoutMs);
      const onData = (d: Buffer): void => {
        clearTimeout(timer);
        resolve(d.toString());
      };
      socket.once('data', onData);
      socket.write(text);
    });

  it('forwards, resets and refuses, then forwards again', async () => {
    const first = await open();
    assert.equal(await roundTrip(first, 'a'), 'a');
    const closed = new Promise((resolve) => first.once('close', resolve));
    first.on('error', () => undefined);
    await proxy.cut({ mode: 'reset' });
    await closed;
    await assert.rejects(open(), /ECONNREFUSED/);
    await proxy.restore();
    const again = await open();
    assert.equal(await roundTrip(again, 'b'), 'b');
    again.destroy();
  });

  it('swallows bytes and connections in a blackhole, and cut connections stay dead', async () => {
    const old = await open();
    assert.equal(await roundTrip(old, 'c'), 'c');
    await proxy.cut({ mode: 'blackhole' });
    assert.equal(await roundTrip(old, 'd', 300), undefined);
    const during = await open(); // accepted…
    assert.equal(await roundTrip(during, 'e', 300), undefined); // …and never answered
    await proxy.restore();
    assert.equal(await roundTrip(old, 'f', 300), undefined);
    assert.equal(old.destroyed, false, 'nobody told the client');
    const fresh = await open();
    assert.equal(await roundTrip(fresh, 'g'), 'g');
    for (const socket of [old, during, fresh]) socket.destroy();
    assert.ok(proxy.counts().droppedBytes >= 3);
  });
});

const MODES: readonly CutMode[] = ['reset', 'blackhole'];

describe(
  `a ${String(CUT_MS / 1000)} s network cut: clients recover on their own`,
  { timeout: 300_000, concurrency: true },
  () => {
    let llm: ScriptedLlm;
    let bed: MatrixTestbed;
    const proxies: TcpProxy[] = [];
    before(async () => {
      llm = await startScriptedLlm(echoScript);
      bed = await MatrixTestbed.start();
    });
    after(async () => {
      await Promise.allSettled(proxies.map((p) => p.close()));
      await bed.dispose();
      await llm.close();
    });

    const xmpp: CutNetwork | undefined = prosody && {
      person: async (proxy) => {
        const user = uniqueUser('person');
        await prosody.register(user, `pw-${user}`);
        // What `login xmpp --host 127.0.0.1 --port PORT --tls off` stores, as the CLI uses it.
        const transport = createXmppTransport({
          mode: 'client',
          jid: `${user}@${prosody.domain}`,
          password: `pw-${user}`,
          host: '127.0.0.1',
          port: proxy?.port ?? prosody.c2sPort,
          tls: 'off',
          connectTimeoutMs: 10_000,
        });
        await transport.connect();
        return transport;
      },
      agent: async (proxy) => {
        const user = uniqueUser('agent');
        const env = tempHome();
        const jid = `${user}@${prosody.domain}`;
        await prosody.register(user, `pw-${user}`);
        const via = { host: '127.0.0.1', c2sPort: proxy.port };
        await loginXmpp(env, 'bot', via, { jid, password: `pw-${user}` });
        return { toml: '', env, args: ['--profile', 'bot'], address: jid };
      },
    };
    const matrix: CutNetwork = {
      person: async (proxy) => {
        const account = await bed.account('person');
        // The options the CLI uses (30 s long polls, the default backoff).
        const transport = createMatrixTransport({
          ...bed.options(account),
          homeserver: proxy ? `http://127.0.0.1:${String(proxy.port)}` : bed.url,
          connectTimeoutMs: 30_000,
          pollTimeoutMs: undefined,
          backoff: undefined,
        });
        await transport.connect();
        return transport;
      },
      agent: async (proxy) => {
        const account = await bed.account('agent');
        const env = tempHome();
        await loginMatrix(env, 'bot', `http://127.0.0.1:${String(proxy.port)}`, account);
        return { toml: '[matrix]\nprofile = "bot"\n', env, args: [], address: account.userId };
      },
    };

    const cases: [string, CutNetwork | undefined, () => { host: string; port: number }][] = [
      ['Prosody', xmpp, () => ({ host: prosody?.host ?? '', port: prosody?.c2sPort ?? 0 })],
      ['Matrix', matrix, () => ({ host: '127.0.0.1', port: bed.port })],
    ];
    for (const [network, net, target] of cases)
      for (const mode of MODES)
        it(
          `${network}, ${mode}: every message answered once and in order`,
          { skip: net === undefined ? PROSODY_MISSING : false, timeout: 240_000 },
          async (t) => {
            assert.ok(net);
            const proxy = await startTcpProxy(target());
            proxies.push(proxy);
            const f = await runCut(net, proxy, llm, mode, `${network}-${mode}`);
            t.diagnostic(JSON.stringify(f));
            // Recovery within a minute of the restore, however the path died.
            assert.ok(
              f.firstAnswerMs < 60_000,
              `first answer ${String(f.firstAnswerMs)} ms after the restore`,
            );
          },
        );
  },
);
