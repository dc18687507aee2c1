import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { createGzip } from 'node:zlib';
import { describe, it } from 'node:test';
import type { ContextBundle, SharedFile } from '../../../src/context/bundle.ts';
import {
  decodeBundle,
  encodeBundle,
  MAX_UNPACKED_BYTES,
  packBundle,
  unpackBundle,
} from '../../../src/context/bundle-codec.ts';

/** A bundle on the wire: its hash checked first, then its shape, then each file. */

const sha = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

function file(path: string, bytes: Buffer, encoding: 'utf8' | 'base64', mode = 0o644): SharedFile {
  return {
    path,
    mode,
    size: bytes.length,
    sha256: sha(bytes),
    encoding,
    content: bytes.toString(encoding),
  };
}

const bundle: ContextBundle = {
  v: 1,
  id: 'ctx-abcdefgh2345',
  title: 'flaky test',
  created: 1_700_000_000_000,
  files: [
    file('README.md', Buffer.from('# hello\n'), 'utf8'),
    file('bin/tool', Buffer.from([0, 1, 2, 254, 255]), 'base64', 0o755),
    file('docs/ünïcode.md', Buffer.from('ünïcode\n'), 'utf8'),
  ],
  env: { vars: { LANG: 'C.UTF-8' }, system: { os: 'linux 6.1.0', arch: 'x64', node: 'v24.0.0' } },
  notes: 'see README',
  withheld: [
    {
      type: 'withheld',
      source: 'env',
      name: 'API_TOKEN',
      reason: 'secret-name',
      rule: { rule: 'word', word: 'TOKEN' },
    },
    {
      type: 'redacted',
      source: 'file',
      path: 'README.md',
      kind: 'github-token',
      line: 3,
      column: 7,
    },
  ],
};

/** `bundle` changed by `edit`, encoded with a correct outer hash. */
function encodedWith(edit: (copy: Record<string, unknown>) => void) {
  const copy = JSON.parse(JSON.stringify(bundle)) as Record<string, unknown>;
  edit(copy);
  const bytes = Buffer.from(JSON.stringify(copy));
  return { bytes, sha256: sha(bytes) };
}

/** The message decodeBundle throws for `bundle` changed by `edit`. */
function malformed(edit: (copy: Record<string, unknown>) => void): string {
  const { bytes, sha256 } = encodedWith(edit);
  try {
    decodeBundle(bytes, sha256);
  } catch (error) {
    assert.equal((error as Error).name, 'RemoteFailureError');
    return (error as Error).message;
  }
  assert.fail('decoded a malformed bundle');
}

const files = (copy: Record<string, unknown>) => copy.files as Record<string, unknown>[];

describe('bundle codec', () => {
  it('round-trips a bundle through bytes named by their sha256', () => {
    const { bytes, sha256 } = encodeBundle(bundle);
    assert.equal(sha256, sha(bytes));
    assert.deepEqual(decodeBundle(bytes, sha256.toUpperCase()), bundle);
  });

  it('refuses bytes that do not match the announced hash, before parsing them', () => {
    const { bytes, sha256 } = encodeBundle(bundle);
    const tampered = Buffer.from(bytes);
    const at = tampered.length - 2;
    tampered.writeUInt8(tampered.readUInt8(at) ^ 1, at);
    assert.throws(() => decodeBundle(tampered, sha256, bundle.id), {
      name: 'RemoteFailureError',
      message: `context share ctx-abcdefgh2345 failed its integrity check: expected sha256 ${sha256.slice(0, 12)}…, got ${sha(tampered).slice(0, 12)}… (the bundle was altered in transit or in storage)`,
    });
  });

  it('refuses a file whose content does not match its own hash or size', () => {
    const { bytes, sha256 } = encodedWith((copy) => {
      (files(copy)[1] as { content: string }).content = Buffer.from([9, 9, 9, 9, 9]).toString(
        'base64',
      );
    });
    assert.throws(() => decodeBundle(bytes, sha256), {
      message: `context share ctx-abcdefgh2345: bundle.files[1] (bin/tool) does not match its sha256: expected ${bundle.files[1]?.sha256.slice(0, 12) ?? ''}…, got ${sha(Buffer.from([9, 9, 9, 9, 9])).slice(0, 12)}… (the file was altered after the bundle was made)`,
    });
    assert.match(
      malformed((copy) => {
        (files(copy)[0] as { size: number }).size = 99;
      }),
      /^context share ctx-abcdefgh2345: bundle\.files\[0\] \(README\.md\) holds 8 bytes, but its size says 99$/,
    );
  });

  it('names the field that breaks the shape', () => {
    const cases: [(copy: Record<string, unknown>) => void, string][] = [
      [
        (c) => ((files(c)[2] as { sha256: string }).sha256 = 'zz'),
        'bundle.files[2].sha256: expected 64 lowercase hex characters, got "zz"',
      ],
      [
        (c) => (c.v = 2),
        'bundle.v: expected 1 (a newer mx-agent may have made it: update to read it), got 2',
      ],
      [(c) => (c.id = 'ctx-1'), 'bundle.id: expected an id like "ctx-abcdefgh2345", got "ctx-1"'],
      [(c) => delete c.withheld, 'bundle.withheld: expected an array, got nothing'],
      [(c) => (c.created = -1), 'bundle.created: expected an integer of at least 0, got -1'],
      [
        (c) => ((files(c)[0] as { path: string }).path = '../escape'),
        'bundle.files[0].path: expected a path without empty, "." or ".." parts, got "../escape"',
      ],
      [
        (c) => ((files(c)[0] as { path: string }).path = '/etc/passwd'),
        'bundle.files[0].path: expected a relative path, got "/etc/passwd"',
      ],
      [
        (c) => ((files(c)[2] as { path: string }).path = 'README.md'),
        'bundle.files[2].path: expected each path once, got "README.md"',
      ],
      [
        (c) => ((files(c)[0] as { mode: number }).mode = 0o4755),
        'bundle.files[0].mode: expected one of 420, 493, got 2541',
      ],
      [
        (c) => ((files(c)[1] as { content: string }).content = 'not base64!'),
        'bundle.files[1].content: expected base64 text, got "not base64!"',
      ],
      [
        (c) => (c.env = { vars: { A: 1 }, system: {} }),
        'bundle.env.vars.A: expected a string, got 1',
      ],
      [
        (c) =>
          ((c.withheld as object[])[1] = {
            type: 'redacted',
            source: 'file',
            path: 'x',
            kind: 'a-new-kind',
            line: 1,
            column: 1,
          }),
        'bundle.withheld[1].kind: expected a kind of secret this version knows, got "a-new-kind"',
      ],
      [
        (c) => (c.git = { head: 'HEAD' }),
        'bundle.git.head: expected a commit id (40 or 64 lowercase hex characters), got "HEAD"',
      ],
    ];
    for (const [edit, message] of cases)
      assert.equal(malformed(edit), `context bundle is malformed: ${message}`);
  });

  it('refuses bytes that are not UTF-8 JSON', () => {
    const bytes = Buffer.from('{"v":1,');
    assert.throws(() => decodeBundle(bytes, sha(bytes), 'ctx-abcdefgh2345'), {
      name: 'RemoteFailureError',
      message: /^context share ctx-abcdefgh2345 is not UTF-8 JSON: /,
    });
  });

  it('gzips and gunzips a bundle', async () => {
    const { bytes } = encodeBundle(bundle);
    const packed = await packBundle(bytes);
    assert.ok(packed.length < bytes.length);
    assert.deepEqual(Buffer.from(await unpackBundle(packed)), Buffer.from(bytes));
    await assert.rejects(unpackBundle(Buffer.from('not gzip')), {
      name: 'RemoteFailureError',
      message: /^context bundle is not gzip data: /,
    });
  });

  it('stops unpacking at the cap: a zip bomb is refused, not expanded', async () => {
    const small = await packBundle(Buffer.alloc(2 * 1024 * 1024));
    await assert.rejects(unpackBundle(small, 1024 * 1024), {
      name: 'RemoteFailureError',
      message:
        'context bundle unpacks to more than 1048576 bytes: refused (too large to take, or a zip bomb)',
    });
    // 257 MiB of zeros in about 260 KB of gzip, made chunk by chunk, against the default cap.
    const gzip = createGzip({ level: 9 });
    const chunks: Buffer[] = [];
    gzip.on('data', (chunk: Buffer) => chunks.push(chunk));
    const zeros = Buffer.alloc(1024 * 1024);
    for (let i = 0; i < 257; i++) gzip.write(zeros);
    await new Promise((resolve) => gzip.end(resolve));
    const bomb = Buffer.concat(chunks);
    assert.ok(bomb.length < 1024 * 1024);
    await assert.rejects(unpackBundle(bomb), {
      message: `context bundle unpacks to more than ${String(MAX_UNPACKED_BYTES)} bytes: refused (too large to take, or a zip bomb)`,
    });
  });
});
