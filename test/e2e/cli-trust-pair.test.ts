import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { loginNewXmppAccount, runCli, stopHosts, tempHome } from '../support/cli.ts';
import { PROSODY_MISSING, prosodyForTests, uniqueUser } from '../support/prosody.ts';
import { startCliInPty, type PtyCli } from '../support/pty-cli.ts';

const server = await prosodyForTests();

interface Card {
  id: string;
  signing_key: string;
  public_key: string;
}

interface Entry {
  agent: string;
  key: string;
  fingerprint: string;
  via: string;
}

async function cardOf(env: NodeJS.ProcessEnv): Promise<Card> {
  const r = await runCli(['--json', 'card', 'show'], env);
  assert.equal(r.code, 0, r.stderr);
  return JSON.parse(r.stdout) as Card;
}

async function trusted(env: NodeJS.ProcessEnv): Promise<Entry[]> {
  const r = await runCli(['--json', 'trust', 'list'], env);
  assert.equal(r.code, 0, r.stderr);
  return JSON.parse(r.stdout) as Entry[];
}

/** Wait until the terminal shows `pattern`; the screen so far in the failure message. */
async function shows(cli: PtyCli, pattern: RegExp, timeoutMs = 30_000): Promise<RegExpExecArray> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = pattern.exec(cli.screen());
    if (found) return found;
    if (Date.now() > deadline)
      assert.fail(
        `no ${String(pattern)} on the terminal within ${String(timeoutMs)} ms:\n${cli.screen()}`,
      );
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

const CODE = /\n {4}(\d{3} \d{3} \d{3} \d{3})\r?\n[^]*Do the codes match\? \[y\/N\] /;

describe(
  'trust pair between two agents on Prosody',
  { skip: server ? false : PROSODY_MISSING },
  () => {
    describe('trust pair: two agents compare a code in their terminals (Prosody)', () => {
      const alice = tempHome();
      const bob = tempHome();
      let bobJid = '';

      before(async () => {
        if (!server) return;
        await loginNewXmppAccount(alice, 'a', server, uniqueUser('pair-a'));
        bobJid = await loginNewXmppAccount(bob, 'b', server, uniqueUser('pair-b'));
      });
      after(async () => {
        await Promise.allSettled([stopHosts(alice), stopHosts(bob)]);
      });

      it('refuses without a terminal: a person must compare the codes', async () => {
        const r = await runCli(['trust', 'pair', bobJid], alice);
        assert.equal(r.code, 2);
        assert.match(r.stderr, /trust pair needs a person at a terminal to compare the codes/);
      });

      it('trusts nothing on either side when one person says no', async () => {
        const waiting = await startCliInPty(['trust', 'pair', '--wait'], bob);
        await shows(waiting, /waiting for a pairing request to /);
        const starting = await startCliInPty(['trust', 'pair', bobJid], alice);
        await shows(starting, CODE);
        await shows(waiting, CODE);
        waiting.term.write('n\r');
        assert.equal(await waiting.exited, 6, waiting.screen());
        assert.equal(await starting.exited, 6, starting.screen());
        assert.match(waiting.screen(), /the codes do not match/);
        assert.match(starting.screen(), /cancelled the pairing: .*nothing was trusted/);
        assert.deepEqual(await trusted(alice), []);
        assert.deepEqual(await trusted(bob), []);
      });

      it('shows the same code on both screens; after y on both each trusts the other via pairing', async () => {
        const [aliceCard, bobCard] = await Promise.all([cardOf(alice), cardOf(bob)]);
        const waiting = await startCliInPty(['trust', 'pair', '--wait'], bob);
        await shows(waiting, /waiting for a pairing request to /);
        const starting = await startCliInPty(
          ['trust', 'pair', bobJid, '--label', 'bob laptop'],
          alice,
        );
        const [, aliceCode] = await shows(starting, CODE);
        const [, bobCode] = await shows(waiting, CODE);
        assert.equal(aliceCode, bobCode);
        assert.match(
          starting.screen(),
          new RegExp(`Pairing with ${bobCard.id} \\(${bobJid}[^)]*\\), key ${bobCard.signing_key}`),
        );
        assert.match(
          waiting.screen(),
          new RegExp(`Pairing with ${aliceCard.id} \\(.*\\), key ${aliceCard.signing_key}`),
        );
        starting.term.write('y\r');
        await shows(starting, /waiting for .* to confirm too/);
        waiting.term.write('y\r');
        assert.equal(await starting.exited, 0, starting.screen());
        assert.equal(await waiting.exited, 0, waiting.screen());
        assert.match(
          starting.screen(),
          new RegExp(
            `trusted ${bobCard.id}  ${bobCard.signing_key}  \\(pairing, .*\\)  bob laptop`,
          ),
        );
        assert.match(
          waiting.screen(),
          new RegExp(`trusted ${aliceCard.id}  ${aliceCard.signing_key}  \\(pairing, `),
        );
        const strip = (list: Entry[]) =>
          list.map(({ agent, key, fingerprint, via }) => ({ agent, key, fingerprint, via }));
        assert.deepEqual(strip(await trusted(alice)), [
          {
            agent: bobCard.id,
            key: bobCard.public_key,
            fingerprint: bobCard.signing_key,
            via: 'pairing',
          },
        ]);
        assert.deepEqual(strip(await trusted(bob)), [
          {
            agent: aliceCard.id,
            key: aliceCard.public_key,
            fingerprint: aliceCard.signing_key,
            via: 'pairing',
          },
        ]);
        const text = await runCli(['trust', 'list'], alice);
        assert.match(
          text.stdout,
          new RegExp(`^${bobCard.id}  ${bobCard.signing_key}  \\(pairing, `),
        );
      });
    });

    describe('trust pair by agent id: found through discovery, its card key checked (Prosody)', () => {
      const alice = tempHome();
      const bob = tempHome();
      after(async () => {
        await Promise.allSettled([stopHosts(alice), stopHosts(bob)]);
        // Stopped after the last suite: in the outer suite's after() it stopped before this one ran.
        await server?.stop();
      });

      it('pairs with an agent named by its id in a shared workspace', async () => {
        assert.ok(server);
        await loginNewXmppAccount(alice, 'a', server, uniqueUser('pair-c'));
        const bobJid = await loginNewXmppAccount(bob, 'b', server, uniqueUser('pair-d'));
        const ws = `pair${String(process.pid)}@${server.mucDomain}`;
        for (const [env, args] of [
          [alice, ['workspace', 'create', ws]],
          [alice, ['workspace', 'invite', ws, bobJid]],
          [bob, ['workspace', 'join', ws]],
        ] as const) {
          const r = await runCli([...args], env);
          assert.equal(r.code, 0, r.stderr);
        }
        const bobCard = await cardOf(bob);
        let seen = '';
        for (let i = 0; i < 60 && !seen.includes(bobCard.id); i++) {
          seen = (await runCli(['--json', 'discover'], alice)).stdout;
          if (!seen.includes(bobCard.id)) await new Promise((resolve) => setTimeout(resolve, 500));
        }
        assert.ok(seen.includes(bobCard.id), `alice never discovered bob: ${seen}`);
        const waiting = await startCliInPty(['trust', 'pair', '--wait'], bob);
        await shows(waiting, /waiting for a pairing request to /);
        const starting = await startCliInPty(['trust', 'pair', bobCard.id], alice);
        const [, aliceCode] = await shows(starting, CODE);
        const [, bobCode] = await shows(waiting, CODE);
        assert.equal(aliceCode, bobCode);
        starting.term.write('y\r');
        waiting.term.write('y\r');
        assert.equal(await starting.exited, 0, starting.screen());
        assert.equal(await waiting.exited, 0, waiting.screen());
        const entries = await trusted(alice);
        assert.deepEqual(
          entries.map((e) => [e.agent, e.key, e.via]),
          [[bobCard.id, bobCard.public_key, 'pairing']],
        );
      });
    });
  },
);
