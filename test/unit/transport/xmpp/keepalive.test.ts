import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { mock, test } from 'node:test';
import { KEEPALIVE, startKeepalive } from '../../../../src/transport/xmpp/keepalive.ts';
import type { XmppSession } from '../../../../src/transport/xmpp/session.ts';

/** A session whose server answers pings as `answer` says. */
function session(answer: () => Promise<unknown>): {
  s: XmppSession;
  pings: () => number;
  entity: EventEmitter;
} {
  let pings = 0;
  const entity = new EventEmitter();
  const s = {
    entity,
    iqCaller: {
      request: () => {
        pings += 1;
        return answer();
      },
    },
  } as unknown as XmppSession;
  return { s, pings: () => pings, entity };
}

const flush = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

test('pings on schedule while the server answers, even with an error reply', async () => {
  mock.timers.enable({ apis: ['setTimeout'] });
  try {
    let dead = false;
    const replies: (() => Promise<unknown>)[] = [
      () => Promise.resolve(),
      () => Promise.reject(Object.assign(new Error('x'), { condition: 'service-unavailable' })),
    ];
    const { s, pings } = session(() => (replies.shift() ?? (() => Promise.resolve()))());
    startKeepalive(s, 'example.org', () => (dead = true));
    for (let i = 0; i < 3; i++) {
      mock.timers.tick(KEEPALIVE.intervalMs);
      await flush();
    }
    assert.equal(pings(), 3);
    assert.equal(dead, false);
  } finally {
    mock.timers.reset();
  }
});

test('declares the stream dead when a ping gets no answer, and stops after a disconnect', async () => {
  mock.timers.enable({ apis: ['setTimeout'] });
  try {
    let dead = 0;
    const timeout = session(() => Promise.reject(new Error('timeout')));
    startKeepalive(timeout.s, 'example.org', () => (dead += 1));
    mock.timers.tick(KEEPALIVE.intervalMs);
    await flush();
    assert.equal(dead, 1);

    const quiet = session(() => Promise.resolve());
    startKeepalive(quiet.s, 'example.org', () => undefined);
    quiet.entity.emit('disconnect');
    mock.timers.tick(KEEPALIVE.intervalMs * 3);
    await flush();
    assert.equal(quiet.pings(), 0);
  } finally {
    mock.timers.reset();
  }
});
