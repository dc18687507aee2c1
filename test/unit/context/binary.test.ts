import assert from 'node:assert/strict';
import { deflateSync } from 'node:zlib';
import { test } from 'node:test';
import { looksBinary } from '../../../src/context/scrub.ts';

const utf8 = (text: string) => new TextEncoder().encode(text);

test('text in UTF-8 is text, whatever the script, and so is nothing at all', () => {
  assert.equal(looksBinary(utf8('const x = 1;\n')), false);
  assert.equal(looksBinary(utf8('naïve café — 日本語 🚀\r\n')), false);
  assert.equal(looksBinary(utf8('\uFEFFwith a BOM')), false);
  assert.equal(looksBinary(new Uint8Array()), false);
});

test('a NUL byte in the first 8 KiB makes content binary, as git decides', () => {
  assert.equal(looksBinary(utf8('PNG\0\0\0')), true);
  // UTF-16 text has NULs between ASCII letters: the scrubber cannot read it as text.
  assert.equal(looksBinary(new Uint8Array(Buffer.from('hello', 'utf16le'))), true);
  const late = new Uint8Array(9000).fill(0x61);
  late[8500] = 0;
  // Past 8 KiB a NUL is still valid UTF-8: text, as git would say.
  assert.equal(looksBinary(late), false);
});

test('invalid UTF-8 anywhere makes content binary', () => {
  assert.equal(looksBinary(new Uint8Array([0x61, 0xff, 0x62])), true);
  assert.equal(looksBinary(new Uint8Array([0xe2, 0x82])), true);
  const compressed = deflateSync(Buffer.from('x'.repeat(1000) + 'secret'.repeat(50)));
  assert.equal(looksBinary(new Uint8Array(compressed)), true);
  const lateInvalid = new Uint8Array(20_000).fill(0x61);
  lateInvalid[19_999] = 0xc3;
  assert.equal(looksBinary(lateInvalid), true);
});
