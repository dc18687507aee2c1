/**
 * The agent protocol as payloads (src/transport/agent-requests.ts): what a peer may send us and
 * how each malformed or out-of-place request and answer is handled, driven through the module's
 * own `take` with a recording `send`.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { NetworkError } from '../../../src/errors.ts';
import { AgentRequests } from '../../../src/transport/agent-requests.ts';
import { FakeNetwork } from '../../../src/transport/fake.ts';
import type {
  AgentRequestHandler,
  InboundMessage,
  JsonObject,
  Payload,
  Target,
} from '../../../src/transport/transport.ts';
import { EventRecorder } from '../../support/event-recorder.ts';

const PEER = 'fake:peer';

/** The module with a recording send and rejection list; `self` is fake:self. */
function harness(handler?: AgentRequestHandler) {
  const sent: { to: string; payload: Payload }[] = [];
  const rejected: string[] = [];
  const agent = new AgentRequests({
    self: () => 'fake:self',
    send: (to, payload) => {
      sent.push({ to, payload });
      return Promise.resolve();
    },
    reject: (_from, reason) => {
      rejected.push(reason);
    },
  });
  if (handler) agent.answer(handler);
  return { agent, sent, rejected };
}

function inbound(
  kind: string,
  body: JsonObject,
  extra: { from?: string; target?: Target; version?: number } = {},
): InboundMessage {
  const from = extra.from ?? PEER;
  return {
    id: 'm1',
    from,
    target: extra.target ?? { kind: 'direct', address: from },
    timestamp: Date.now(),
    delayed: false,
    type: 'payload',
    payload: { kind, version: extra.version ?? 1, body },
  };
}

const tick = (): Promise<void> => new Promise((r) => setTimeout(r, 5));

const echo: AgentRequestHandler = (request) =>
  Promise.resolve(
    request.kind === 'skills'
      ? { kind: 'skills', skills: [] }
      : { kind: 'result', text: JSON.stringify(request.params) },
  );

describe('agent requests as payloads: answering', () => {
  it('answers a well-formed request with the handler, to the sender, by id', async () => {
    const { agent, sent } = harness(echo);
    const body = { id: 'r1', op: 'execute', skill: 's', params: { a: '1' }, future: true };
    assert.equal(agent.take(inbound('agent.request', body)), true);
    await tick();
    assert.deepEqual(sent, [
      {
        to: PEER,
        payload: {
          kind: 'agent.response',
          version: 1,
          body: { id: 'r1', kind: 'result', text: '{"a":"1"}' },
        },
      },
    ]);
  });

  it('answers malformed requests that carry an id with bad-request naming the problem', async () => {
    const { agent, sent, rejected } = harness(echo);
    const cases: [JsonObject, number | undefined, string][] = [
      [
        { id: 'a', op: 'run' },
        undefined,
        'expected "op" to be "skills" or "execute", got a string "run"',
      ],
      [
        { id: 'b', op: 'execute' },
        undefined,
        'expected the name of the skill to execute, got nothing',
      ],
      [
        { id: 'c', op: 'execute', skill: 's', params: { n: 1 } },
        undefined,
        'expected every param to be a string, got n: 1',
      ],
      [
        { id: 'd', op: 'execute', skill: 's', params: ['x'] },
        undefined,
        'expected params as an object, got a list ["x"]',
      ],
      [
        { id: 'e', op: 'skills', expires: 'soon' },
        undefined,
        'expected "expires" to be milliseconds since the epoch, got a string "soon"',
      ],
      [{ id: 'f', op: 'skills' }, 2, 'agent.request version 2 is not supported; send version 1'],
    ];
    for (const [body, version] of cases)
      agent.take(inbound('agent.request', body, version ? { version } : {}));
    await tick();
    assert.deepEqual(
      sent.map((s) => s.payload.body),
      cases.map(([body, , text]) => ({
        id: body.id,
        kind: 'error',
        condition: 'bad-request',
        text,
      })),
    );
    assert.equal(rejected.length, cases.length, 'each is also reported');
  });

  it('drops a request without a usable id, reporting it, and answers nothing', async () => {
    const { agent, sent, rejected } = harness(echo);
    assert.equal(agent.take(inbound('agent.request', { op: 'skills' })), true);
    assert.equal(agent.take(inbound('agent.request', { id: 'x'.repeat(129), op: 'skills' })), true);
    await tick();
    assert.deepEqual(sent, []);
    assert.match(
      rejected[0] ?? '',
      /^malformed agent\.request from fake:peer: expected "id" to be a string of 1 to 128 characters, got nothing$/,
    );
    assert.equal(rejected.length, 2);
  });

  it('ignores our own requests, drops those in a workspace and those already expired', async () => {
    let runs = 0;
    const { agent, sent, rejected } = harness(() => {
      runs++;
      return Promise.resolve({ kind: 'skills', skills: [] });
    });
    assert.equal(
      agent.take(inbound('agent.request', { id: 'o', op: 'skills' }, { from: 'fake:self' })),
      true,
    );
    assert.equal(
      agent.take(
        inbound(
          'agent.request',
          { id: 'w', op: 'skills' },
          { target: { kind: 'workspace', workspace: '#room' } },
        ),
      ),
      true,
    );
    assert.equal(
      agent.take(inbound('agent.request', { id: 'x', op: 'skills', expires: Date.now() - 1 })),
      true,
    );
    await tick();
    assert.equal(runs, 0);
    assert.deepEqual(sent, []);
    assert.deepEqual(rejected, [
      'dropped an agent.request in #room: agent requests go in the direct conversation',
      'dropped agent.request x from fake:peer: it expired before it arrived',
    ]);
  });

  it('answers service-unavailable without a handler', async () => {
    const { agent, sent } = harness();
    agent.take(inbound('agent.request', { id: 'n', op: 'skills' }));
    await tick();
    assert.deepEqual(sent[0]?.payload.body, {
      id: 'n',
      kind: 'error',
      condition: 'service-unavailable',
      text: 'this agent answers no agent requests',
    });
  });

  it('leaves other payloads and text to the listeners', () => {
    const { agent } = harness(echo);
    assert.equal(agent.take(inbound('agent.card', { id: 'c' })), false);
    assert.equal(agent.take({ type: 'presence', from: PEER, availability: 'away' }), false);
  });
});

describe('agent requests as payloads: asking', () => {
  /** Ask, and return the request id the module sent. */
  async function asked(h: ReturnType<typeof harness>, timeoutMs = 2000) {
    const answer = h.agent.ask(PEER, { kind: 'skills' }, { timeoutMs });
    await tick();
    const body = h.sent.at(-1)?.payload.body ?? {};
    assert.equal(body.op, 'skills');
    assert.ok(typeof body.expires === 'number' && body.expires > Date.now());
    assert.ok(typeof body.id === 'string');
    return { answer, id: body.id };
  }

  it('settles by id, only from the peer asked; strays are reported', async () => {
    const h = harness();
    const { answer, id } = await asked(h);
    const response = { id, kind: 'skills', skills: [] };
    h.agent.take(inbound('agent.response', response, { from: 'fake:other' }));
    h.agent.take(inbound('agent.response', { ...response, id: 'unknown' }));
    h.agent.take(inbound('agent.response', response));
    assert.deepEqual(await answer, { kind: 'skills', skills: [] });
    assert.deepEqual(h.rejected, [
      'dropped an agent.response from fake:other: an unknown or expired request',
      'dropped an agent.response from fake:peer: an unknown or expired request',
    ]);
  });

  it('rejects a malformed answer with a NetworkError naming what was wrong', async () => {
    const cases: [JsonObject, RegExp][] = [
      [
        { kind: 'result' },
        /malformed agent\.response: expected a result with a string "text", got nothing$/,
      ],
      [
        { kind: 'result', text: 'x' },
        /malformed agent\.response: a skills request was answered with a result$/,
      ],
      [
        { kind: 'error', condition: 'teapot', text: '' },
        /expected an error condition among bad-request, .*got a string "teapot"$/,
      ],
      [
        { kind: 'skills', skills: [{ name: 'a', description: 'd', inputSchema: {} }] },
        /expected skill "a" to say destructive true or false, got nothing$/,
      ],
    ];
    for (const [body, message] of cases) {
      const h = harness();
      const { answer, id } = await asked(h);
      h.agent.take(inbound('agent.response', { id, ...body }));
      await assert.rejects(
        answer,
        (e: unknown) => e instanceof NetworkError && message.test(e.message),
      );
    }
  });

  it('times out, and fails what is waiting when closed', async () => {
    const h = harness();
    const { answer } = await asked(h, 50);
    await assert.rejects(
      answer,
      /timed out after 50 ms waiting for the answer of fake:peer to an agent skills request/,
    );
    const second = await asked(h);
    h.agent.close();
    await assert.rejects(second.answer, /the transport was closed before fake:peer answered/);
  });
});

describe('agent requests as payloads: answers too large for one payload', () => {
  it('cuts a long result, and turns a skills list that cannot be sent into an error', async () => {
    const net = new FakeNetwork();
    const a = net.transport('a');
    const b = net.transport('b');
    await a.connect();
    await b.connect();
    const events = new EventRecorder(b);
    const big = { type: 'object', description: 'x'.repeat(1000) };
    b.answerAgentRequests((request) =>
      Promise.resolve(
        request.kind === 'skills'
          ? {
              kind: 'skills',
              skills: Array.from({ length: 40 }, (_, i) => ({
                name: `s${String(i)}`,
                description: 'd',
                inputSchema: big,
                destructive: false,
              })),
            }
          : { kind: 'result', text: 'é'.repeat(100_000) },
      ),
    );
    const result = await a.askAgent(b.address, { kind: 'execute', skill: 's', params: {} });
    assert.equal(result.kind, 'result');
    const text = result.kind === 'result' ? result.text : '';
    assert.match(text, /\n\[… \d+ more characters cut\]$/);
    assert.ok(Buffer.byteLength(JSON.stringify(text)) <= 24 * 1024);
    const skills = await a.askAgent(b.address, { kind: 'skills' });
    assert.equal(skills.kind === 'error' && skills.condition, 'internal-server-error');
    assert.match(
      skills.kind === 'error' ? skills.text : '',
      /^the answer could not be sent: payload body is \d+ bytes/,
    );
    assert.deepEqual(
      events.events.filter((e) => e.type === 'payload'),
      [],
    );
    await a.close();
    await b.close();
  });
});
