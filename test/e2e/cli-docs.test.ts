import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { CLI_DOC, COMMANDS, cliReference, helpOf } from '../../dev/gen-cli-docs.ts';
import { runCli, tempHome } from '../support/cli.ts';

test('docs/cli.md equals the --help of every command (run `npm run docs:cli` after changing them)', () => {
  assert.equal(readFileSync(CLI_DOC, 'utf8'), cliReference());
});

test('every command in the root help is in the reference', () => {
  const commands = helpOf('').split('Commands:\n')[1]?.split('\n\n')[0] ?? '';
  const listed = [...commands.matchAll(/^ {2}([a-z-]+)/gm)]
    .map((m) => m[1])
    .filter((c) => c !== 'help');
  assert.ok(listed.length >= 6);
  for (const command of listed)
    assert.ok(
      COMMANDS.includes(command ?? ''),
      `${command ?? ''} is missing from dev/gen-cli-docs.ts`,
    );
});

test('the build-time copy of --help is identical to what commander prints', async () => {
  const cached = await runCli(['--help'], tempHome());
  assert.equal(cached.stdout, helpOf(''));
});
