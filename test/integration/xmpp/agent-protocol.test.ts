/**
 * urn:fluux:agent:0 on the wire (specs/protocol.md §11.2), checked from a second, raw XMPP
 * client against a client-mode and a component-mode agent on a real Prosody: Fluux's own example
 * IQs (with ids), our XML answers and stanza errors, malformed requests, disco#info features and
 * the caps hash that changes with them.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { xml, type Element } from '@xmpp/xml';
import parse from '@xmpp/xml/lib/parse.js';
import { NetworkError, RefusedError } from '../../../src/errors.ts';
import { createXmppTransport } from '../../../src/transport/xmpp/index.ts';
import { openClientSession } from '../../../src/transport/xmpp/session.ts';
import type { XmppTransportOptions } from '../../../src/transport/xmpp/options.ts';
import type {
  AgentRequest,
  AgentRequestHandler,
  Transport,
} from '../../../src/transport/transport.ts';
import { PROSODY_MISSING, prosodyForTests, uniqueUser } from '../../support/prosody.ts';
import { componentPeer, newAccount } from '../../support/xmpp-peers.ts';
import { openProbe, type Probe } from '../../support/xmpp-probe.ts';

const server = await prosodyForTests();

const NS_STANZAS = 'urn:ietf:params:xml:ns:xmpp-stanzas';
const NS_DISCO_INFO = 'http://jabber.org/protocol/disco#info';
const FEATURES = [
  'urn:fluux:agent:0#confirm',
  'urn:fluux:agent:0#execute',
  'urn:fluux:agent:0#skills',
];

const handler =
  (seen: AgentRequest[]): AgentRequestHandler =>
  async (request, signal) => {
    seen.push(request);
    if (request.kind === 'skills')
      return {
        kind: 'skills',
        skills: [
          {
            name: 'email-summary',
            description: 'Summarize recent emails',
            inputSchema: {
              type: 'object',
              properties: { max_emails: { type: 'integer' } },
              required: ['max_emails'],
            },
            destructive: false,
          },
        ],
      };
    if (request.skill === 'email-summary')
      return { kind: 'result', text: `${request.params.max_emails ?? '?'} emails: all quiet` };
    if (request.skill === 'hang') {
      await new Promise((resolve) => {
        signal.addEventListener('abort', resolve, { once: true });
      });
      return { kind: 'result', text: 'too late' };
    }
    return { kind: 'error', condition: 'item-not-found', text: `no skill ${request.skill}` };
  };

/** Send a stanza written as text (`AGENT` replaced by `to`) and wait for the IQ reply with its id. */
async function rawIq(probe: Probe, to: string, text: string): Promise<Element> {
  const stanza = parse(text.replaceAll('AGENT', to));
  const id = stanza.attrs.id ?? '';
  const reply = new Promise<Element>((resolve) => {
    const onStanza = (s: Element): void => {
      if (s.name === 'iq' && s.attrs.id === id) {
        probe.session.entity.off('stanza', onStanza);
        resolve(s);
      }
    };
    probe.session.entity.on('stanza', onStanza);
  });
  await probe.send(stanza);
  return reply;
}

/** The stanza error of a reply: [type, condition, text]. */
function errorOf(reply: Element): [string | undefined, string | undefined, string | null] {
  assert.equal(reply.attrs.type, 'error', reply.toString());
  const error = reply.getChild('error');
  const condition = error
    ?.getChildElements()
    .find((c) => c.getNS() === NS_STANZAS && c.name !== 'text');
  return [error?.attrs.type, condition?.name, error?.getChildText('text', NS_STANZAS) ?? null];
}

/** XEP-0115 §5.1, computed independently of the code under test. */
function capsVer(query: Element): string {
  const identities = query
    .getChildren('identity')
    .map((i) => `${i.attrs.category ?? ''}/${i.attrs.type ?? ''}//${i.attrs.name ?? ''}<`);
  const features = query.getChildren('feature').map((f) => `${f.attrs.var ?? ''}<`);
  return createHash('sha1')
    .update([...identities.sort(), ...features.sort()].join(''))
    .digest('base64');
}

async function waitFor(probe: Probe, match: (s: Element) => boolean): Promise<Element> {
  for (let waited = 0; waited < 5000; waited += 20) {
    const found = probe.received.findLast(match);
    if (found) return found;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error('the probe did not receive the expected stanza');
}

const modes: [string, () => Promise<XmppTransportOptions>][] = [
  ['a client account', async () => newAccount(server ?? never(), 'agent')],
  [
    'a component',
    () => {
      const s = server ?? never();
      return Promise.resolve({
        mode: 'component',
        domain: s.componentDomain,
        secret: s.componentSecret,
        host: s.host,
        port: s.componentPort,
      });
    },
  ],
];

function never(): never {
  throw new Error('unreachable: skipped without Prosody');
}

for (const [mode, options] of modes) {
  describe(
    `urn:fluux:agent:0 answered by ${mode}, seen from a raw client`,
    { skip: server ? false : PROSODY_MISSING },
    () => {
      let agent: Transport;
      let probe: Probe;
      let to: string;
      let workspace: string;
      const seen: AgentRequest[] = [];

      before(async () => {
        if (!server) return;
        agent = createXmppTransport({ ...(await options()), agentDeadlineMs: 300 });
        await agent.connect();
        // IQs go to a client's full JID (its server would answer for the bare one); to a component's domain.
        to = agent.address;
        probe = await openProbe(await newAccount(server, 'probe'));
        workspace = `${uniqueUser('agentproto')}@${server.mucDomain}`;
        await agent.createWorkspace(workspace, { public: true });
        await probe.send(
          xml(
            'presence',
            { to: `${workspace}/probe` },
            xml('x', { xmlns: 'http://jabber.org/protocol/muc' }),
          ),
        );
        await waitFor(probe, (s) => s.name === 'presence' && s.attrs.from === `${workspace}/probe`);
      });
      after(async () => {
        await probe.close();
        await agent.close();
      });

      it('answers service-unavailable and lists no agent features while no handler is set', async () => {
        const reply = await rawIq(
          probe,
          to,
          `<iq type='get' to='AGENT' id='fluux-1'><query xmlns='urn:fluux:agent:0#skills'/></iq>`,
        );
        assert.deepEqual(errorOf(reply).slice(0, 2), ['cancel', 'service-unavailable']);
        const disco = await probe.iq(to, 'get', xml('query', { xmlns: NS_DISCO_INFO }));
        const features =
          disco
            .getChild('query')
            ?.getChildren('feature')
            .map((f) => f.attrs.var) ?? [];
        for (const f of FEATURES) assert.ok(!features.includes(f), f);
      });

      it('lists the agent features in disco#info once answering, with a new caps hash in presence', async () => {
        agent.answerAgentRequests(handler(seen));
        const disco = await probe.iq(to, 'get', xml('query', { xmlns: NS_DISCO_INFO }));
        const query = disco.getChild('query');
        assert.ok(query);
        const features = query.getChildren('feature').map((f) => f.attrs.var);
        for (const f of FEATURES) assert.ok(features.includes(f), f);
        const ver = capsVer(query);
        const presence = await waitFor(
          probe,
          (s) =>
            s.name === 'presence' &&
            s.attrs.from?.startsWith(`${workspace}/`) === true &&
            s.getChild('c', 'http://jabber.org/protocol/caps')?.attrs.ver === ver,
        );
        const node = presence.getChild('c', 'http://jabber.org/protocol/caps')?.attrs.node ?? '';
        const atNode = await probe.iq(
          to,
          'get',
          xml('query', { xmlns: NS_DISCO_INFO, node: `${node}#${ver}` }),
        );
        assert.equal(atNode.attrs.type, 'result', 'the new caps node answers');
      });

      it("answers Fluux's skill discovery example with skills, schema and param hints", async () => {
        const reply = await rawIq(
          probe,
          to,
          `<iq type='get' to='AGENT' id='fluux-skills'>\n  <query xmlns='urn:fluux:agent:0#skills'/>\n</iq>`,
        );
        assert.equal(reply.attrs.type, 'result', reply.toString());
        assert.equal(reply.attrs.id, 'fluux-skills');
        const skill = reply.getChild('query', 'urn:fluux:agent:0#skills')?.getChild('skill');
        assert.deepEqual(skill?.attrs, { name: 'email-summary', destructive: 'false' });
        assert.equal(skill.getChildText('description'), 'Summarize recent emails');
        const schema = skill.getChild('schema');
        assert.equal(schema?.attrs.type, 'application/schema+json');
        assert.deepEqual(JSON.parse(schema.text()), {
          type: 'object',
          properties: { max_emails: { type: 'integer' } },
          required: ['max_emails'],
        });
        assert.deepEqual(skill.getChild('param')?.attrs, {
          name: 'max_emails',
          type: 'integer',
          required: 'true',
        });
        assert.equal(seen.at(-1)?.from, probe.session.jid);
      });

      it("answers Fluux's execution example with the result", async () => {
        const reply = await rawIq(
          probe,
          to,
          `<iq type='set' to='AGENT' id='fluux-exec'>\n  <execute xmlns='urn:fluux:agent:0#execute' skill='email-summary'>\n    <param name='max_emails'>20</param>\n  </execute>\n</iq>`,
        );
        assert.equal(reply.attrs.type, 'result', reply.toString());
        const execute = reply.getChild('execute', 'urn:fluux:agent:0#execute');
        assert.equal(execute?.attrs.skill, 'email-summary');
        assert.equal(execute.getChildText('result'), '20 emails: all quiet');
        assert.deepEqual(seen.at(-1), {
          kind: 'execute',
          from: probe.session.jid,
          skill: 'email-summary',
          params: { max_emails: '20' },
        });
      });

      it("answers the handler's errors, and its deadline, as stanza errors with a text", async () => {
        const unknown = await rawIq(
          probe,
          to,
          `<iq type='set' to='AGENT' id='e1'><execute xmlns='urn:fluux:agent:0#execute' skill='nope'/></iq>`,
        );
        assert.deepEqual(errorOf(unknown), ['cancel', 'item-not-found', 'no skill nope']);
        const hung = await rawIq(
          probe,
          to,
          `<iq type='set' to='AGENT' id='e2'><execute xmlns='urn:fluux:agent:0#execute' skill='hang'/></iq>`,
        );
        assert.deepEqual(errorOf(hung), [
          'cancel',
          'internal-server-error',
          'the agent did not finish within 300 ms; it was stopped',
        ]);
      });

      it('answers malformed requests with bad-request and stays up', async () => {
        const exec = (id: string, inner: string, attrs = " skill='s'"): string =>
          `<iq type='set' to='AGENT' id='${id}'><execute xmlns='urn:fluux:agent:0#execute'${attrs}>${inner}</execute></iq>`;
        const cases: [string, string | null][] = [
          [exec('m1', '', ''), "expected a 'skill' attribute naming the skill to execute"],
          [
            exec('m2', "<param name='a'>1</param><param name='a'>2</param>"),
            'param "a" is given twice',
          ],
          [exec('m3', "stray text<param name='a'>1</param>"), 'unexpected text "stray text"'],
          [exec('m4', '<param>1</param>'), "a <param/> without a 'name'"],
          [
            `<iq type='get' to='AGENT' id='m5'><query xmlns='urn:fluux:agent:0#skills'/><query xmlns='urn:fluux:agent:0#skills'/></iq>`,
            null,
          ],
        ];
        for (const [text, why] of cases) {
          const [type, condition, said] = errorOf(await rawIq(probe, to, text));
          assert.deepEqual([type, condition], ['modify', 'bad-request'], text);
          if (why !== null) assert.equal(said, why);
        }
        const ping = await probe.iq(to, 'get', xml('ping', { xmlns: 'urn:xmpp:ping' }));
        assert.equal(ping.attrs.type, 'result', 'still alive');
      });

      it('is asked by an agent of the other mode, which reads an IQ error as the answer', async () => {
        if (!server) return;
        // A client agent is asked by the component, the component by a client.
        const asker =
          mode === 'a component'
            ? createXmppTransport(await newAccount(server, 'asker'))
            : componentPeer(server);
        await asker.connect();
        try {
          const skills = await asker.askAgent(to, { kind: 'skills' });
          assert.equal(
            skills.kind === 'skills' ? skills.skills[0]?.name : skills.kind,
            'email-summary',
          );
          assert.deepEqual(
            await asker.askAgent(to, {
              kind: 'execute',
              skill: 'email-summary',
              params: { max_emails: '3' },
            }),
            { kind: 'result', text: '3 emails: all quiet' },
          );
          assert.deepEqual(await asker.askAgent(to, { kind: 'execute', skill: 'x', params: {} }), {
            kind: 'error',
            condition: 'item-not-found',
            text: 'no skill x',
          });
        } finally {
          await asker.close();
        }
      });
    },
  );
}

describe(
  'askAgent over XMPP against a peer that answers badly',
  { skip: server ? false : PROSODY_MISSING },
  () => {
    it('names a malformed answer in a NetworkError, and keeps other IQ errors as errors', async () => {
      if (!server) return;
      // A raw peer whose IQ callee answers our questions with junk and odd errors.
      const peer = await openClientSession(
        await newAccount(server, 'badpeer'),
        (parts) => {
          parts.iqCallee.get('urn:fluux:agent:0#skills', 'query', () =>
            xml(
              'query',
              { xmlns: 'urn:fluux:agent:0#skills' },
              xml('skill', { name: 's', destructive: 'maybe' }),
            ),
          );
          parts.iqCallee.set('urn:fluux:agent:0#execute', 'execute', (ctx) =>
            ctx.element.attrs.skill === 'empty'
              ? undefined // the callee's service-unavailable
              : ctx.element.attrs.skill === 'wrong'
                ? xml('query', { xmlns: 'urn:example' })
                : xml(
                    'error',
                    { type: 'cancel' },
                    xml('feature-not-implemented', { xmlns: NS_STANZAS }),
                  ),
          );
        },
        5000,
      );
      await peer.entity.send(xml('presence'));
      const asker = createXmppTransport(await newAccount(server, 'asker'));
      await asker.connect();
      try {
        await assert.rejects(
          asker.askAgent(peer.jid, { kind: 'skills' }),
          (e: unknown) =>
            e instanceof NetworkError &&
            e.message ===
              `${peer.jid} gave a malformed answer to the agent skills request to ${peer.jid}: skill "s": destructive must be true or false, got "maybe"`,
        );
        await assert.rejects(
          asker.askAgent(peer.jid, { kind: 'execute', skill: 'wrong', params: {} }),
          (e: unknown) =>
            e instanceof NetworkError &&
            /malformed answer .*: expected <execute xmlns='urn:fluux:agent:0#execute'>, got <query xmlns='urn:example'>$/.test(
              e.message,
            ),
        );
        await assert.rejects(
          asker.askAgent(peer.jid, { kind: 'execute', skill: 'x', params: {} }),
          (e: unknown) =>
            e instanceof RefusedError &&
            e.detail.condition === 'feature-not-implemented' &&
            /^the agent execute request to .* failed: feature-not-implemented$/.test(e.message),
        );
        const empty = await asker.askAgent(peer.jid, {
          kind: 'execute',
          skill: 'empty',
          params: {},
        });
        assert.equal(empty.kind === 'error' && empty.condition, 'service-unavailable');
        // An absent resource: its server answers for it (RFC 6121 §8.5.3.2.1), as for no handler.
        const gone = await asker.askAgent(`${peer.jid}-gone`, { kind: 'skills' });
        assert.equal(gone.kind === 'error' && gone.condition, 'service-unavailable');
      } finally {
        await asker.close();
        await peer.entity.stop().catch(() => undefined);
      }
    });
  },
);
