import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { test } from 'node:test';
import type { Stdio } from '../../../src/cli/output.ts';
import { promptSecret, readStdinText } from '../../../src/cli/prompt.ts';
import { UsageError } from '../../../src/errors.ts';

test('stdin text loses exactly one trailing newline', async () => {
  assert.equal(await readStdinText('password', Readable.from(['hunter2\n'])), 'hunter2');
  assert.equal(await readStdinText('password', Readable.from(['a\r\n'])), 'a');
  assert.equal(
    await readStdinText('message', Readable.from(['two\n', 'lines\n\n'])),
    'two\nlines\n',
  );
  assert.equal(await readStdinText('password', Readable.from([' spaces kept '])), ' spaces kept ');
});

test('empty stdin is a usage error naming what was expected', async () => {
  await assert.rejects(readStdinText('password', Readable.from([])), {
    name: 'UsageError',
    message: 'expected the password on stdin, got nothing',
  });
  await assert.rejects(readStdinText('password', Readable.from(['\n'])), UsageError);
});

test('without a terminal the prompt names the flag to use instead of hanging', async () => {
  const stdio: Stdio = {
    stdin: Readable.from([]),
    stdout: { write: () => true },
    stderr: { write: () => true },
  };
  await assert.rejects(
    promptSecret({ question: 'password for a@example.org', stdinFlag: '--password-stdin' }, stdio),
    {
      name: 'UsageError',
      message:
        'cannot ask for the password for a@example.org: stdin is not a terminal; pipe it in with --password-stdin',
    },
  );
});
