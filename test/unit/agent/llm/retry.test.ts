import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { retryAfterMs } from '../../../../src/agent/llm/errors.ts';
import {
  backoffMs,
  completeWithRetries,
  type RetryNotice,
} from '../../../../src/agent/llm/retry.ts';
import {
  ModelError,
  type ChatModel,
  type ModelRequest,
  type ModelResponse,
} from '../../../../src/agent/llm/types.ts';

const OK: ModelResponse = {
  text: 'ok',
  toolCalls: [],
  usage: { inputTokens: 1, outputTokens: 1 },
  stop: 'end',
};

const REQUEST: ModelRequest = {
  system: '',
  messages: [{ role: 'user', content: 'hi' }],
  maxTokens: 10,
};

/** A model that plays `outcomes` in order (an Error is thrown, a response returned). */
function scriptedModel(
  outcomes: readonly (
    ModelResponse | Error | ((request: ModelRequest) => Promise<ModelResponse>)
  )[],
) {
  let calls = 0;
  const model: ChatModel = {
    provider: 'fake',
    model: 'fake',
    accepts: { images: false, pdf: false },
    complete: async (request) => {
      const next = outcomes[calls++];
      if (next === undefined) throw new Error('no more outcomes');
      if (typeof next === 'function') return next(request);
      if (next instanceof Error) throw next;
      return next;
    },
  };
  return { model, calls: () => calls };
}

const busy = (retryAfter?: number): ModelError =>
  new ModelError('fake: HTTP 529 overloaded_error', {
    transient: true,
    status: 529,
    ...(retryAfter === undefined ? {} : { retryAfterMs: retryAfter }),
  });

/** A sleep that records what it was asked and returns at once. */
function recordingSleep() {
  const slept: number[] = [];
  return {
    slept,
    sleep: (ms: number) => {
      slept.push(ms);
      return Promise.resolve();
    },
  };
}

describe('completeWithRetries', () => {
  it('retries transient failures with exponential backoff and jitter, then answers', async () => {
    const { model, calls } = scriptedModel([busy(), busy(), busy(), OK]);
    const { slept, sleep } = recordingSleep();
    const notices: RetryNotice[] = [];
    const answer = await completeWithRetries(model, REQUEST, {
      attempts: 4,
      baseDelayMs: 100,
      maxDelayMs: 1000,
      sleep,
      random: () => 0.5,
      onRetry: (notice) => notices.push(notice),
    });
    assert.equal(answer, OK);
    assert.equal(calls(), 4);
    assert.deepEqual(slept, [75, 150, 300]);
    assert.deepEqual(
      notices.map((n) => [n.attempt, n.delayMs, n.error.status]),
      [
        [1, 75, 529],
        [2, 150, 529],
        [3, 300, 529],
      ],
    );
  });

  it('gives up after the last attempt with the last error', async () => {
    const last = busy();
    const { model, calls } = scriptedModel([busy(), busy(), last]);
    const { sleep } = recordingSleep();
    const policy = { attempts: 3, baseDelayMs: 10, maxDelayMs: 100, sleep };
    await assert.rejects(completeWithRetries(model, REQUEST, policy), (error) => error === last);
    assert.equal(calls(), 3);
  });

  it('does not retry a permanent failure, nor anything that is not a ModelError', async () => {
    const denied = new ModelError('fake: HTTP 401 authentication_error', {
      transient: false,
      status: 401,
    });
    for (const failure of [denied, new TypeError('a bug')]) {
      const { model, calls } = scriptedModel([failure, OK]);
      const { slept, sleep } = recordingSleep();
      const policy = { attempts: 5, baseDelayMs: 10, maxDelayMs: 100, sleep };
      await assert.rejects(
        completeWithRetries(model, REQUEST, policy),
        (error) => error === failure,
      );
      assert.equal(calls(), 1);
      assert.deepEqual(slept, []);
    }
  });

  it('waits as long as Retry-After says, up to maxDelayMs', async () => {
    const { model } = scriptedModel([busy(2500), busy(60_000), OK]);
    const { slept, sleep } = recordingSleep();
    await completeWithRetries(model, REQUEST, {
      attempts: 3,
      baseDelayMs: 10,
      maxDelayMs: 30_000,
      sleep,
    });
    assert.deepEqual(slept, [2500, 30_000]);
  });

  it('stops at once with an AbortError when aborted while waiting', async () => {
    const { model, calls } = scriptedModel([busy(), OK]);
    const controller = new AbortController();
    const sleep = (_ms: number, signal: AbortSignal | undefined): Promise<void> =>
      new Promise((_resolve, reject) => {
        signal?.addEventListener('abort', () => {
          reject(new Error('woken'));
        });
        controller.abort(new Error('/stop'));
      });
    const request = { ...REQUEST, signal: controller.signal };
    const policy = { attempts: 5, baseDelayMs: 10_000, maxDelayMs: 10_000, sleep };
    await assert.rejects(completeWithRetries(model, request, policy), { name: 'AbortError' });
    assert.equal(calls(), 1);
  });

  it('does not start when already aborted, and never retries an AbortError', async () => {
    const aborted = scriptedModel([OK]);
    const signal = AbortSignal.abort();
    const policy = { attempts: 3, baseDelayMs: 1, maxDelayMs: 1, sleep: recordingSleep().sleep };
    await assert.rejects(completeWithRetries(aborted.model, { ...REQUEST, signal }, policy), {
      name: 'AbortError',
    });
    assert.equal(aborted.calls(), 0);
    const stop = new DOMException('stopped', 'AbortError');
    const stopped = scriptedModel([stop, OK]);
    await assert.rejects(completeWithRetries(stopped.model, REQUEST, policy), (e) => e === stop);
    assert.equal(stopped.calls(), 1);
  });

  it('does not retry once text has been streamed to the reader', async () => {
    const failure = busy();
    const { model, calls } = scriptedModel([
      (request) => {
        request.onText?.('Half an ans');
        return Promise.reject(failure);
      },
      OK,
    ]);
    const pieces: string[] = [];
    const policy = { attempts: 3, baseDelayMs: 1, maxDelayMs: 1, sleep: recordingSleep().sleep };
    const request = { ...REQUEST, onText: (piece: string) => pieces.push(piece) };
    await assert.rejects(completeWithRetries(model, request, policy), (e) => e === failure);
    assert.equal(calls(), 1);
    assert.deepEqual(pieces, ['Half an ans']);
  });

  it('sleeps on a real timer by default, and wakes on abort', async () => {
    const { model } = scriptedModel([busy(), OK]);
    assert.equal(
      await completeWithRetries(model, REQUEST, { attempts: 2, baseDelayMs: 5, maxDelayMs: 5 }),
      OK,
    );
    const slow = scriptedModel([busy(), OK]);
    const controller = new AbortController();
    setTimeout(() => {
      controller.abort();
    }, 20);
    const started = Date.now();
    const policy = { attempts: 2, baseDelayMs: 60_000, maxDelayMs: 60_000 };
    await assert.rejects(
      completeWithRetries(slow.model, { ...REQUEST, signal: controller.signal }, policy),
      {
        name: 'AbortError',
      },
    );
    assert.ok(Date.now() - started < 1000);
  });
});

describe('backoffMs', () => {
  it('doubles from the base, stays in the upper half of each step, and never passes the cap', () => {
    const policy = { baseDelayMs: 100, maxDelayMs: 1000 };
    assert.equal(
      backoffMs(1, undefined, policy, () => 0),
      50,
    );
    assert.equal(
      backoffMs(1, undefined, policy, () => 0.999),
      100,
    );
    assert.equal(
      backoffMs(3, undefined, policy, () => 0),
      200,
    );
    assert.equal(
      backoffMs(10, undefined, policy, () => 0.999),
      1000,
    );
    assert.equal(
      backoffMs(10, undefined, policy, () => 0),
      500,
    );
  });
});

describe('retryAfterMs', () => {
  const headers = (entries: Record<string, string>) => new Headers(entries);
  it('reads retry-after-ms, then retry-after in seconds or as an HTTP date', () => {
    assert.equal(retryAfterMs(headers({ 'retry-after-ms': '250.4', 'retry-after': '9' })), 250);
    assert.equal(retryAfterMs(headers({ 'retry-after': '3' })), 3000);
    assert.equal(retryAfterMs(headers({ 'retry-after': '1.5' })), 1500);
    const now = Date.parse('2025-01-01T00:00:00Z');
    assert.equal(
      retryAfterMs(headers({ 'retry-after': 'Wed, 01 Jan 2025 00:00:12 GMT' }), now),
      12_000,
    );
    assert.equal(retryAfterMs(headers({ 'retry-after': 'Tue, 31 Dec 2024 00:00:00 GMT' }), now), 0);
  });
  it('ignores what it cannot read', () => {
    assert.equal(retryAfterMs(headers({ 'retry-after': 'soon' })), undefined);
    assert.equal(retryAfterMs(headers({ 'retry-after-ms': '-5' })), undefined);
    assert.equal(retryAfterMs(headers({})), undefined);
    assert.equal(retryAfterMs(undefined), undefined);
  });
});
