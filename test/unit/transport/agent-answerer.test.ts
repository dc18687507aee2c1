/**
 * How a transport's handler answers agent requests (src/transport/agent-answerer.ts): its
 * deadline, its signal, and what a broken handler's answer becomes.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AgentAnswerer, fitText } from '../../../src/transport/agent-answerer.ts';
import type { AgentRequest, AgentResponse } from '../../../src/transport/transport.ts';

const skills: AgentRequest = { kind: 'skills', from: 'fake:a' };
const execute: AgentRequest = { kind: 'execute', from: 'fake:a', skill: 's', params: {} };

describe('agent answerer', () => {
  it('stops a handler at the deadline (aborting its signal) and answers with an error', async () => {
    const answerer = new AgentAnswerer({ deadlineMs: 50 });
    let signal: AbortSignal | undefined;
    answerer.set((_request, s) => {
      signal = s;
      return new Promise(() => undefined);
    });
    assert.deepEqual(await answerer.answer(execute), {
      kind: 'error',
      condition: 'internal-server-error',
      text: 'the agent did not finish within 50 ms; it was stopped',
    });
    assert.equal(signal?.aborted, true);
  });

  it('answers a closing transport’s pending and later requests with service-unavailable', async () => {
    const answerer = new AgentAnswerer();
    answerer.set(() => new Promise(() => undefined));
    const pending = answerer.answer(skills);
    answerer.close();
    const shutting = {
      kind: 'error',
      condition: 'service-unavailable',
      text: 'the agent is shutting down',
    };
    assert.deepEqual(await pending, shutting);
    assert.deepEqual(await answerer.answer(skills), shutting);
  });

  it('keeps what a handler threw or answered wrongly in the log, and tells the peer only that it failed', async () => {
    const logged: string[] = [];
    const answerer = new AgentAnswerer({ log: (m) => logged.push(m) });
    const answers: unknown[] = [
      new Error('db password wrong'),
      { kind: 'result', text: 'a result for a skills request' },
      { kind: 'error', condition: 'teapot', text: '' },
      { kind: 'skills', skills: [{ name: 'x' }] },
    ];
    for (const answer of answers) {
      answerer.set(() =>
        answer instanceof Error ? Promise.reject(answer) : Promise.resolve(answer as AgentResponse),
      );
      const response = await answerer.answer(skills);
      assert.equal(response.kind === 'error' && response.condition, 'internal-server-error');
      assert.doesNotMatch(JSON.stringify(response), /password|teapot/);
    }
    assert.deepEqual(logged, [
      'the agent request handler failed on a skills request from fake:a: db password wrong',
      'the agent request handler answered a skills request from fake:a wrongly: a skills request was answered with a result',
      'the agent request handler answered a skills request from fake:a wrongly: expected an error condition among bad-request, forbidden, item-not-found, not-authorized, internal-server-error, service-unavailable, got a string "teapot"',
      'the agent request handler answered a skills request from fake:a wrongly: expected skill "x" to have a string description, got nothing',
    ]);
  });

  it('cuts text to fit, never inside a surrogate pair', () => {
    assert.equal(fitText('short'), 'short');
    const cut = fitText('😀'.repeat(100), 120);
    assert.ok(Buffer.byteLength(JSON.stringify(cut)) <= 120);
    assert.match(cut, /^(😀)+\n\[… \d+ more characters cut\]$/u);
    const quoted = fitText('"'.repeat(1000), 200);
    assert.ok(Buffer.byteLength(JSON.stringify(quoted)) <= 200, 'escapes count');
  });
});
