import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, statSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { ContextBundle, SharedFile } from '../../../src/context/bundle.ts';
import { writeBundle } from '../../../src/context/write-bundle.ts';
import { removeTemp, tempDir } from './git-fixture.ts';

/** A received bundle written out as files, never outside the directory it was given. */

function file(path: string, text: string, mode = 0o644): SharedFile {
  const bytes = Buffer.from(text);
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  return { path, mode, size: bytes.length, sha256, encoding: 'utf8', content: text };
}

const bundle: ContextBundle = {
  v: 1,
  id: 'ctx-abcdefgh2345',
  created: 1,
  files: [file('README.md', '# hi\n'), file('bin/run', '#!/bin/sh\n', 0o755)],
  env: {
    vars: { LANG: 'C', MULTI: 'a\nb' },
    system: { os: 'linux 6.1.0', arch: 'x64', node: 'v24.0.0', shell: 'zsh' },
  },
  notes: 'look at bin/run\n',
  withheld: [],
};

describe('writeBundle', () => {
  let tmp = '';
  before(() => {
    tmp = tempDir();
  });
  after(() => {
    removeTemp(tmp);
  });

  it('writes metadata, files with their modes, env and notes', async () => {
    const dir = join(tmp, 'out');
    const { written } = await writeBundle(bundle, dir);
    assert.deepEqual(written, [
      'bundle.json',
      'files/README.md',
      'files/bin/run',
      'env.txt',
      'notes.md',
    ]);
    assert.equal(statSync(dir).mode & 0o777, 0o700);
    assert.equal(statSync(join(dir, 'files/bin/run')).mode & 0o777, 0o755);
    assert.equal(statSync(join(dir, 'files/README.md')).mode & 0o777, 0o644);
    assert.equal(readFileSync(join(dir, 'files/README.md'), 'utf8'), '# hi\n');
    assert.equal(
      readFileSync(join(dir, 'env.txt'), 'utf8'),
      '# system: linux 6.1.0 x64, node v24.0.0, shell zsh\nLANG=C\nMULTI="a\\nb"\n',
    );
    assert.equal(readFileSync(join(dir, 'notes.md'), 'utf8'), 'look at bin/run\n');
    const meta = JSON.parse(readFileSync(join(dir, 'bundle.json'), 'utf8')) as {
      files: Record<string, unknown>[];
    };
    assert.deepEqual(meta.files[0], {
      path: 'README.md',
      mode: 0o644,
      size: 5,
      sha256: bundle.files[0]?.sha256,
      encoding: 'utf8',
      file: 'files/README.md',
    });
  });

  it('refuses a path that leaves files/, even in a bundle that skipped decoding', async () => {
    const crafted = { ...bundle, files: [file('../escape.txt', 'x')] };
    await assert.rejects(writeBundle(crafted, join(tmp, 'crafted')), {
      name: 'RemoteFailureError',
      message:
        'context bundle names a file it may not write: expected a path without empty, "." or ".." parts, got "../escape.txt"',
    });
    assert.equal(existsSync(join(tmp, 'escape.txt')), false);
  });

  it('does not write through a link left in a directory it overwrites', async () => {
    const dir = join(tmp, 'linked');
    const outside = join(tmp, 'outside');
    mkdirSync(join(dir, 'files'), { recursive: true });
    mkdirSync(outside);
    symlinkSync(outside, join(dir, 'files', 'bin'));
    await assert.rejects(writeBundle(bundle, dir, { overwrite: true }), {
      name: 'UsageError',
      message: `"${join(dir, 'files', 'bin')}" leads outside "${join(dir, 'files')}": not writing there`,
    });
    assert.equal(existsSync(join(outside, 'run')), false);
  });
});
