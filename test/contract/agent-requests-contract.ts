/**
 * The part of the transport contract about agent protocol requests (urn:fluux:agent:0,
 * specs/protocol.md §11): one peer answers with a handler, another asks for its skills and runs
 * them, and errors, a missing handler and a hanging one look the same on every network.
 */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { NetworkError } from '../../src/errors.ts';
import type {
  AgentRequest,
  AgentRequestHandler,
  SkillDescription,
  Transport,
} from '../../src/transport/transport.ts';
import type { EventRecorder } from '../support/event-recorder.ts';

type Peer = () => Promise<{ t: Transport; events: EventRecorder }>;

const SKILLS: readonly SkillDescription[] = [
  {
    name: 'echo',
    description: 'Repeat <text> & "quote" it',
    inputSchema: {
      type: 'object',
      properties: {
        text: { type: 'string', description: 'what to repeat' },
        times: { type: 'integer' },
      },
      required: ['text'],
    },
    destructive: false,
  },
  {
    name: 'send_mail',
    description: 'Send an email',
    inputSchema: { type: 'object', properties: { to: { type: 'string' } }, required: ['to'] },
    destructive: true,
  },
];

/** A handler that knows SKILLS, fails on `boom`, and hangs on `hang` until aborted. */
function testHandler(seen: AgentRequest[], aborted: { value: boolean }): AgentRequestHandler {
  return async (request, signal) => {
    seen.push(request);
    if (request.kind === 'skills') return { kind: 'skills', skills: SKILLS };
    switch (request.skill) {
      case 'echo':
        return {
          kind: 'result',
          text: request.params.text?.repeat(Number(request.params.times ?? '1')) ?? '',
        };
      case 'boom':
        throw new Error('secret internal detail');
      case 'hang':
        await new Promise((resolve) => {
          signal.addEventListener('abort', resolve, { once: true });
        });
        aborted.value = true;
        return { kind: 'result', text: 'too late' };
      default:
        return {
          kind: 'error',
          condition: 'item-not-found',
          text: `no skill "${request.skill}"`,
        };
    }
  };
}

/**
 * Register the agent request cases inside a transport contract `describe`. `answering` makes a
 * peer that may answer (one that hosts its own connection).
 */
export function agentRequestCases(peer: Peer, answering: Peer): void {
  it('answers agent requests: lists skills, executes one, reports its errors', async () => {
    const a = await peer();
    const b = await answering();
    const seen: AgentRequest[] = [];
    b.t.answerAgentRequests(testHandler(seen, { value: false }));

    const skills = await a.t.askAgent(b.t.address, { kind: 'skills' });
    assert.deepEqual(skills, { kind: 'skills', skills: SKILLS });
    assert.deepEqual(seen[0], { kind: 'skills', from: a.t.address });

    const params = { text: 'héllo <b> & "c" ', times: '2' };
    const result = await a.t.askAgent(b.t.address, { kind: 'execute', skill: 'echo', params });
    assert.deepEqual(result, { kind: 'result', text: 'héllo <b> & "c" héllo <b> & "c" ' });
    assert.deepEqual(seen[1], { kind: 'execute', from: a.t.address, skill: 'echo', params });

    const unknown = await a.t.askAgent(b.t.address, { kind: 'execute', skill: 'nope', params: {} });
    assert.deepEqual(unknown, {
      kind: 'error',
      condition: 'item-not-found',
      text: 'no skill "nope"',
    });

    const failed = await a.t.askAgent(b.t.address, { kind: 'execute', skill: 'boom', params: {} });
    assert.equal(failed.kind === 'error' ? failed.condition : failed.kind, 'internal-server-error');
    assert.doesNotMatch(JSON.stringify(failed), /secret internal detail/);

    const isPayload = (e: { type: string }): boolean => e.type === 'payload';
    assert.equal(a.events.events.filter(isPayload).length, 0, 'answers are not inbound messages');
    assert.equal(b.events.events.filter(isPayload).length, 0, 'requests are not inbound messages');
  });

  it('answers service-unavailable while no handler is set', async () => {
    const a = await peer();
    const b = await answering();
    const unavailable = await a.t.askAgent(b.t.address, { kind: 'skills' });
    assert.equal(unavailable.kind === 'error' && unavailable.condition, 'service-unavailable');
    b.t.answerAgentRequests(testHandler([], { value: false }));
    assert.equal((await a.t.askAgent(b.t.address, { kind: 'skills' })).kind, 'skills');
    b.t.answerAgentRequests(undefined);
    const again = await a.t.askAgent(b.t.address, { kind: 'execute', skill: 'echo', params: {} });
    assert.equal(again.kind === 'error' && again.condition, 'service-unavailable');
  });

  it('gives up on a handler that hangs, which is aborted when its transport closes', async () => {
    const a = await peer();
    const b = await answering();
    const aborted = { value: false };
    b.t.answerAgentRequests(testHandler([], aborted));
    // A first exchange sets the conversation up (a Matrix direct room), so the timeout below
    // measures only the hanging handler.
    await a.t.askAgent(b.t.address, { kind: 'skills' });
    const started = Date.now();
    await assert.rejects(
      a.t.askAgent(
        b.t.address,
        { kind: 'execute', skill: 'hang', params: {} },
        { timeoutMs: 1500 },
      ),
      (e: unknown) => e instanceof NetworkError && /timed out after 1.5 s/.test(e.message),
    );
    assert.ok(Date.now() - started < 5000);
    assert.equal(aborted.value, false);
    await b.t.close();
    for (let waited = 0; !aborted.value && waited < 5000; waited += 20)
      await new Promise((r) => setTimeout(r, 20));
    assert.equal(aborted.value, true, 'the handler saw its signal abort');
  });
}
