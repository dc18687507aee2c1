/**
 * A burst of 1,000 chat messages from 20 people to one serve agent (the built CLI, a scripted
 * model) on Prosody: every message answered, each person's answers in the order they asked.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createXmppTransport } from '../../src/transport/xmpp/index.ts';
import type { Transport } from '../../src/transport/transport.ts';
import { prosodyForTests, uniqueUser } from '../support/prosody.ts';
import { startScriptedLlm, type ScriptedLlm } from '../support/scripted-llm.ts';
import { startServe, type ServeAgentProcess } from '../support/serve-harness.ts';
import { newAccount } from '../support/xmpp-peers.ts';

const PEOPLE = 20;
const EACH = 50;
const server = await prosodyForTests();

if (server)
  describe('serve under a burst of 1,000 messages from 20 people', { timeout: 300_000 }, () => {
    let llm: ScriptedLlm;
    let agent: ServeAgentProcess;
    let jid: string;
    const people: Transport[] = [];
    before(async () => {
      llm = await startScriptedLlm(
        (request) => ({
          text: `echo: ${request.lastUserText.slice(request.lastUserText.lastIndexOf('\n') + 1)}`,
        }),
        { keepRequests: false },
      );
      const user = uniqueUser('burst');
      await server.register(user, `pw-${user}`);
      jid = `${user}@${server.domain}`;
      agent = await startServe(`[server]
mode = "client"
host = "${server.host}"
port = ${String(server.c2sPort)}
jid = "${jid}"
password = "pw-${user}"
tls = "off"

[llm]
provider = "anthropic"
model = "scripted-model"
base_url = "${llm.url}"

[agent]
name = "burst"
allowed_jids = ["*"]
`);
      for (let i = 0; i < PEOPLE; i++) {
        const t = createXmppTransport(await newAccount(server, `p${String(i)}`));
        await t.connect();
        people.push(t);
      }
    });
    after(async () => {
      await agent.stop();
      await Promise.allSettled(people.map((t) => t.close()));
      await llm.close();
    });

    it('answers every message, in order for each person', async () => {
      const answers = people.map(() => [] as string[]);
      const done = people.map(
        (person, p) =>
          new Promise<void>((resolve) => {
            person.subscribe((event) => {
              if (event.type !== 'text' || event.from.split('/')[0] !== jid) return;
              const list = answers[p] as string[];
              if (event.replaces !== undefined) return; // a streamed reply's edits
              list.push(event.text);
              if (list.length === EACH) resolve();
            });
          }),
      );
      const sends = people.map(async (person, p) => {
        for (let i = 0; i < EACH; i++)
          await person.send(
            { kind: 'direct', address: jid },
            { type: 'text', text: `p${String(p)} m${String(i)}` },
          );
      });
      await Promise.all(sends);
      let timer: NodeJS.Timeout | undefined;
      try {
        await Promise.race([
          Promise.all(done),
          new Promise((_, reject) => {
            timer = setTimeout(() => {
              reject(new Error(`answers so far: ${answers.map((a) => a.length).join(' ')}`));
            }, 240_000);
          }),
        ]);
      } finally {
        clearTimeout(timer);
      }
      for (const [p, list] of answers.entries())
        assert.deepEqual(
          list.map((text) => text.replace(/ …$/, '')),
          Array.from({ length: EACH }, (_, i) => `echo: p${String(p)} m${String(i)}`),
        );
    });
  });
