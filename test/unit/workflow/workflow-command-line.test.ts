import assert from 'node:assert/strict';
import { test } from 'node:test';
import { UsageError } from '../../../src/errors.ts';
import { commandArgv, splitCommandLine } from '../../../src/workflow/workflow-command-line.ts';

function words(line: string): readonly string[] {
  const split = splitCommandLine(line);
  assert.ok(split.ok, `${line}: ${split.ok ? '' : split.message}`);
  return split.words;
}

function refused(line: string): string {
  const split = splitCommandLine(line);
  assert.ok(!split.ok, `${line} should be refused`);
  return `${split.column}: ${split.message}`;
}

test('run is split into words like a POSIX shell splits them', () => {
  assert.deepEqual(words('cargo build --release'), ['cargo', 'build', '--release']);
  assert.deepEqual(words('  a \t b  '), ['a', 'b']);
  assert.deepEqual(words(`echo 'it is' "a \\"b\\"" c\\ d '' x'y'"z"`), [
    'echo',
    'it is',
    'a "b"',
    'c d',
    '',
    'xyz',
  ]);
  // In double quotes a backslash only escapes $ ` " \ and a newline.
  assert.deepEqual(words(`"a\\nb" "\\$" '\\n'`), ['a\\nb', '$', '\\n']);
  // A backslash-newline joins lines; the newline of a YAML block scalar is dropped.
  assert.deepEqual(words('make \\\n  all\n'), ['make', 'all']);
  // No globbing and no expansion of a lone $: passed as written.
  assert.deepEqual(words('ls *.rs a?b [x] 5$ a=$'), ['ls', '*.rs', 'a?b', '[x]', '5$', 'a=$']);
  assert.deepEqual(words("sh -c 'grep x | wc -l > out'"), ['sh', '-c', 'grep x | wc -l > out']);
});

test('${{ }} stays inside its word, whatever quotes or spaces it holds', () => {
  assert.deepEqual(
    words("./test.sh ${{ jobs.build.outputs.artifact }} --ref=${{ inputs.ref == 'a b' }}"),
    ['./test.sh', '${{ jobs.build.outputs.artifact }}', "--ref=${{ inputs.ref == 'a b' }}"],
  );
  assert.deepEqual(words(`"x \${{ 'q"q' }}" '\${{ '}}' }}'`), [`x \${{ 'q"q' }}`, "${{ '}}' }}"]);
});

test('shell syntax that would mean something else is refused, with its column', () => {
  const hint =
    'run is not given to a shell; for that, write run: sh -c "…" (if the agent\'s policy allows sh)';
  assert.equal(refused('make | tee log'), `6: "|" is shell syntax, but ${hint}`);
  assert.equal(refused('a && b'), `3: "&" is shell syntax, but ${hint}`);
  assert.equal(refused('a; b'), `2: ";" is shell syntax, but ${hint}`);
  assert.equal(refused('a > out'), `3: ">" is shell syntax, but ${hint}`);
  assert.equal(refused('echo `id`'), `6: "\`" is shell syntax, but ${hint}`);
  assert.equal(refused('echo "`id`"'), `7: "\`" is shell syntax, but ${hint}`);
  assert.match(
    refused('echo $HOME'),
    /^6: "\$HOME" would be expanded by a shell, but run is not given to one/,
  );
  assert.match(refused('echo "${X}"'), /^7: "\$\{X\}" would be expanded/);
  assert.match(refused('echo $(id)'), /^6: "\$\(" would be expanded/);
  assert.equal(
    refused('make # all'),
    `6: "#" would be a comment in a shell, but ${hint}; quote it to keep it`,
  );
  assert.equal(
    refused('ls ~/x'),
    `4: "~" would be the home directory in a shell, but ${hint}; quote it to keep it`,
  );
  assert.equal(
    refused('make\nmake test'),
    '5: run holds one command, and a new line would start another in a shell; use one step per command, or sh -c',
  );
  assert.equal(refused("echo 'open"), "6: unterminated ' quote");
  assert.equal(refused('echo "open'), '6: unterminated " quote');
  assert.equal(refused('echo ${{ inputs.x'), '6: unterminated ${{ (expected }})');
  assert.equal(refused('echo \\'), '6: a backslash at the end of run escapes nothing');
  assert.equal(refused('   '), '1: run is empty');
});

test('the argv: split first, then each word interpolated, so values cannot add arguments', () => {
  const context = {
    inputs: { ref: 'main; rm -rf / --force' },
    jobs: { build: { result: 'success', outputs: { artifact: 'dist/my app.tar' } } },
  };
  assert.deepEqual(
    commandArgv(
      './test.sh ${{ jobs.build.outputs.artifact }} --ref=${{ inputs.ref }} ${{ inputs.none }}',
      context,
    ),
    ['./test.sh', 'dist/my app.tar', '--ref=main; rm -rf / --force', ''],
  );
  assert.throws(
    () => commandArgv('a | b', context),
    (e: unknown) =>
      e instanceof UsageError && e.message.startsWith('run: column 3: "|" is shell syntax'),
  );
});
