import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { UsageError } from '../../../src/errors.ts';
import { canonicalBytes, canonicalJson } from '../../../src/protocol/canonical-json.ts';

const refused = (value: unknown, message: string): void => {
  assert.throws(
    () => canonicalJson(value),
    (error: unknown) => error instanceof UsageError && error.message === message,
  );
};

describe('canonicalJson', () => {
  it('sorts keys by UTF-16 code units, as in the RFC 8785 §3.2.3 example', () => {
    const value = {
      '\u20ac': 'Euro Sign',
      '\r': 'Carriage Return',
      '\ufb33': 'Hebrew Letter Dalet With Dagesh',
      '1': 'One',
      '\ud83d\ude00': 'Emoji: Grinning Face',
      '\u0080': 'Control',
      '\u00f6': 'Latin Small Letter O With Diaeresis',
    };
    // Object.keys would put the integer-like key first, so read the order from the text.
    const order = [...canonicalJson(value).matchAll(/"([^"]+)":/g)].map((m) => m[1]);
    assert.deepEqual(order, ['\\r', '1', '\u0080', '\u00f6', '\u20ac', '\ud83d\ude00', '\ufb33']);
  });

  it('writes no whitespace, sorts nested objects, and keeps arrays in order', () => {
    const value = { z: [3, 1, { b: true, a: null }], a: { y: 'x', x: -7 }, m: [] };
    assert.equal(
      canonicalJson(value),
      '{"a":{"x":-7,"y":"x"},"m":[],"z":[3,1,{"a":null,"b":true}]}',
    );
  });

  it('writes strings as JSON.stringify does', () => {
    const text = 'quote " backslash \\ tab \t nul \u0000 line-sep \u2028 é 😀';
    assert.equal(canonicalJson({ text }), `{"text":${JSON.stringify(text)}}`);
  });

  it('gives the same bytes whatever order the keys were written in', () => {
    const one = canonicalBytes({ b: { d: 1, c: 'ü' }, a: [1, 2] });
    const two = canonicalBytes({ a: [1, 2], b: { c: 'ü', d: 1 } });
    assert.deepEqual(one, two);
    assert.equal(
      Buffer.from(one).toString('hex'),
      Buffer.from('{"a":[1,2],"b":{"c":"ü","d":1}}').toString('hex'),
    );
    assert.equal(one.length, 32, 'ü is two bytes of UTF-8');
  });

  it('writes -0 as 0 and accepts objects without a prototype', () => {
    const bare = Object.assign(Object.create(null) as object, { n: -0 });
    assert.equal(canonicalJson(bare), '{"n":0}');
  });

  it('refuses fractions, NaN, infinities and unsafe integers, naming the path', () => {
    refused({ body: { limits: { cpu: 1.5 } } }, 'body.limits.cpu: expected an integer, got 1.5');
    refused({ list: [1, NaN] }, 'list[1]: expected an integer, got NaN');
    refused([Infinity], '[0]: expected an integer, got Infinity');
    refused({ big: 2 ** 53 }, 'big: expected an integer, got 9007199254740992, beyond ±2^53-1');
    refused(0.1, 'value: expected an integer, got 0.1');
  });

  it('refuses undefined, functions, bigints, symbols and holes', () => {
    refused({ a: { b: undefined } }, 'a.b: expected a JSON value, got undefined');
    refused({ 'odd key': () => 1 }, '["odd key"]: expected a JSON value, got function');
    refused({ n: 1n }, 'n: expected a JSON value, got a bigint');
    refused({ s: Symbol('x') }, 's: expected a JSON value, got symbol');
    // eslint-disable-next-line no-sparse-arrays
    refused({ holes: [1, , 3] }, 'holes[1]: expected a JSON value, got undefined');
  });

  it('refuses objects that are not plain: Date, Map, class instances', () => {
    class Point {
      x = 1;
    }
    refused({ when: new Date(0) }, 'when: expected a plain object, got a Date');
    refused({ m: new Map() }, 'm: expected a plain object, got a Map');
    refused({ p: new Point() }, 'p: expected a plain object, got a Point');
    refused({ [Symbol('k')]: 1 }, 'value: expected string keys only, got a symbol key');
  });

  it('refuses cycles and absurd nesting instead of overflowing the stack', () => {
    const loop: Record<string, unknown> = {};
    loop.self = loop;
    refused(loop, 'self: expected a tree, got a reference to an enclosing value');
    let deep: unknown = 1;
    for (let i = 0; i < 10_000; i += 1) deep = [deep];
    assert.throws(() => canonicalJson(deep), /expected at most 64 levels of nesting/);
    const shared = { x: 1 };
    assert.equal(canonicalJson({ a: shared, b: shared }), '{"a":{"x":1},"b":{"x":1}}');
  });
});
