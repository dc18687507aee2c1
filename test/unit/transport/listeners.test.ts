import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Listeners } from '../../../src/transport/listeners.ts';
import type { TransportEvent } from '../../../src/transport/transport.ts';

const text = (id: string): TransportEvent => ({
  type: 'text',
  id,
  from: 'fake:alice',
  target: { kind: 'direct', address: 'fake:bot' },
  timestamp: 0,
  delayed: false,
  text: id,
});
const names = (events: TransportEvent[]): string[] =>
  events.map((e) => (e.type === 'text' ? e.id : e.type));

describe('transport listeners', () => {
  it('keep what arrives before anyone listens for every listener added in that turn, in order', async () => {
    const listeners = new Listeners();
    listeners.emit(text('1'));
    listeners.emit({ type: 'connection', state: 'online' });
    listeners.emit(text('2'));
    const first: TransportEvent[] = [];
    const second: TransportEvent[] = [];
    listeners.add((e) => first.push(e));
    listeners.emit(text('3'));
    listeners.add((e) => second.push(e));
    assert.deepEqual(names(first), []);
    await Promise.resolve();
    // The connection state is news only when it happens; what people sent is not lost.
    assert.deepEqual(names(first), ['1', '2', '3']);
    assert.deepEqual(names(second), ['1', '2', '3']);
    listeners.emit(text('4'));
    assert.deepEqual(names(second), ['1', '2', '3', '4']);
  });

  it('deliver at once once a listener was added, and survive a listener that throws', async () => {
    const errors: unknown[] = [];
    const listeners = new Listeners((error) => errors.push(error));
    const got: TransportEvent[] = [];
    listeners.add(() => {
      throw new Error('boom');
    });
    const remove = listeners.add((e) => got.push(e));
    await Promise.resolve();
    listeners.emit(text('1'));
    remove();
    listeners.emit(text('2'));
    assert.deepEqual(names(got), ['1']);
    assert.equal(errors.length, 2);
  });
});
