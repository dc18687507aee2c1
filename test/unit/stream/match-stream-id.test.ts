import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { UsageError } from '../../../src/errors.ts';
import { matchStreamId } from '../../../src/stream/stream-id.ts';

const IDS = ['3f2a9c01b7de', '3f2a11aa22bb', '9c0ffee00001'];

describe('matchStreamId', () => {
  it('takes a whole id as it is', () => {
    assert.equal(matchStreamId('3f2a9c01b7de', IDS), '3f2a9c01b7de');
  });

  it('prefers an exact id over a longer one it begins', () => {
    assert.equal(matchStreamId('abcd', ['abcdef', 'abcd']), 'abcd');
  });

  it('completes a unique prefix', () => {
    assert.equal(matchStreamId('3f2a9', IDS), '3f2a9c01b7de');
    assert.equal(matchStreamId('9', IDS), '9c0ffee00001');
  });

  it('refuses an ambiguous prefix, naming the candidates', () => {
    assert.throws(
      () => matchStreamId('3f2a', IDS),
      new UsageError('stream id "3f2a" is ambiguous: it starts 3f2a9c01b7de, 3f2a11aa22bb'),
    );
  });

  it('refuses an unknown id, listing a few known ones', () => {
    assert.throws(
      () => matchStreamId('zz', IDS),
      new UsageError('no stream "zz" here; streams: 3f2a9c01b7de, 3f2a11aa22bb, 9c0ffee00001'),
    );
    const many = Array.from({ length: 8 }, (_, i) => `stream-${String(i)}`);
    assert.throws(
      () => matchStreamId('zz', many),
      new UsageError(
        'no stream "zz" here; streams: stream-0, stream-1, stream-2, stream-3, stream-4',
      ),
    );
    assert.throws(() => matchStreamId('zz', []), new UsageError('no stream "zz" here'));
  });

  it('accepts a whole id nobody listed: it may lie beyond the history scanned', () => {
    assert.equal(matchStreamId('0123456789ab', IDS), '0123456789ab');
    assert.throws(() => matchStreamId('0123456789a', IDS), UsageError);
  });
});
