import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decodeStreamEvent } from '../../../src/stream/protocol-decode.ts';
import { STREAM_KINDS, encodeStreamEvent } from '../../../src/stream/protocol.ts';
import type { JsonObject, JsonValue } from '../../../src/transport/transport.ts';
import { BLOB, HASH, ID, VALID, overTheWire } from './payload-samples.ts';
import { seededRandom } from './stream-fixtures.ts';

/** Random JSON values, biased towards the edges a decoder must survive. */
function jsonFuzzer(random: () => number): (depth?: number) => JsonValue {
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
  const edgeNumbers = [0, -0, 1, -1, 0.5, 2 ** 53, 2 ** 53 - 1, -(2 ** 31), 1e308, 10_000, 10_001];
  const edgeStrings = [
    '',
    ID,
    'YWJj',
    'YQ==',
    '===',
    'A',
    HASH,
    'A'.repeat(64),
    'pty',
    'pipe',
    'é',
    '\u0000',
  ];
  const value = (depth = 0): JsonValue => {
    switch (Math.floor(random() * (depth > 2 ? 5 : 7))) {
      case 0:
        return null;
      case 1:
        return random() < 0.5;
      case 2:
        return random() < 0.5 ? pick(edgeNumbers) : Math.floor((random() - 0.3) * 100_000);
      case 3:
        return pick(edgeStrings);
      case 4:
        return random()
          .toString(36)
          .slice(2, 2 + Math.floor(random() * 12));
      case 5:
        return Array.from({ length: Math.floor(random() * 4) }, () => value(depth + 1));
      default: {
        const out: JsonObject = {};
        // Own properties, `__proto__` included, as JSON.parse makes them.
        for (let i = Math.floor(random() * 4); i > 0; i--)
          Object.defineProperty(out, pick(['uri', 'size', 'sha256', 'extra', 'x', '__proto__']), {
            value: value(depth + 1),
            enumerable: true,
            writable: true,
            configurable: true,
          });
        return out;
      }
    }
  };
  return value;
}

describe('decoding random bodies', () => {
  const ROUNDS = 3_000;
  for (const kind of STREAM_KINDS) {
    it(`never throws on ${String(ROUNDS)} random ${kind} bodies (seeded)`, (t) => {
      const random = seededRandom(0x5eed + kind.length * 7919 + kind.charCodeAt(7));
      const value = jsonFuzzer(random);
      const fields = [...Object.keys(VALID[kind]), 'blob', 'signal', 'extra'];
      let accepted = 0;
      for (let round = 0; round < ROUNDS; round++) {
        // Start from a valid body and break a few fields, so the fuzz reaches deep checks.
        const body: JsonObject = random() < 0.1 ? {} : { ...VALID[kind] };
        for (let n = 1 + Math.floor(random() * 3); n > 0; n--) {
          const field = fields[Math.floor(random() * fields.length)] ?? 'stream';
          if (random() < 0.2) Reflect.deleteProperty(body, field);
          else body[field] = value();
        }
        if ('data' in VALID[kind] && random() < 0.2) {
          // A blob reference, sometimes with one field broken.
          Reflect.deleteProperty(body, 'data');
          const ref: JsonObject = { ...BLOB };
          if (random() < 0.7) ref[['uri', 'size', 'sha256', 'extra'][round % 4] ?? 'uri'] = value();
          body.blob = ref;
        }
        const payload = overTheWire({ kind, version: random() < 0.05 ? 2 : 1, body });
        let decoded;
        try {
          decoded = decodeStreamEvent(payload);
        } catch (error) {
          assert.fail(
            `round ${String(round)} threw on ${JSON.stringify(payload)}: ${String(error)}`,
          );
        }
        assert.ok(decoded, `round ${String(round)}: not recognised as a stream payload`);
        if (decoded.ok) {
          accepted += 1;
          assert.equal(`stream.${decoded.event.type}`, kind);
          // What was accepted survives our own encoding unchanged.
          assert.deepEqual(
            decodeStreamEvent(overTheWire(encodeStreamEvent(decoded.event))),
            decoded,
          );
        } else {
          assert.equal(typeof decoded.reason, 'string');
          assert.match(
            decoded.reason,
            /^(malformed stream\.[a-z]+: expected [a-z_0-9]+ to be |stream\.[a-z]+ version \d+ is not supported)/,
          );
        }
      }
      t.diagnostic(`accepted ${String(accepted)} of ${String(ROUNDS)}`);
      // Both outcomes were exercised (a fuzz that never gets past the first check tests little).
      assert.ok(
        accepted > 0 && accepted < ROUNDS,
        `accepted ${String(accepted)} of ${String(ROUNDS)}`,
      );
    });
  }
});
