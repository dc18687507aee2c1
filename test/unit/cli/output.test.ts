import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { test } from 'node:test';
import { colorAllowed, Output, type OutputOptions, type Stdio } from '../../../src/cli/output.ts';

/** An Output writing into strings; `tty` makes both streams look like terminals. */
function capture(options: Partial<OutputOptions> = {}, tty = false) {
  const seen = { stdout: '', stderr: '' };
  const stdio: Stdio = {
    stdin: Readable.from([]),
    stdout: { isTTY: tty, write: (t: string) => (seen.stdout += t) },
    stderr: { isTTY: tty, write: (t: string) => (seen.stderr += t) },
  };
  const output = new Output(
    { json: false, quiet: false, verbose: 0, color: true, ...options },
    stdio,
  );
  return { output, seen };
}

test('result prints text, or pretty JSON with --json; line prints JSON Lines', () => {
  const text = capture();
  text.output.result({ n: 1 }, (d) => `n is ${String(d.n)}`);
  assert.equal(text.seen.stdout, 'n is 1\n');
  const json = capture({ json: true });
  json.output.result({ n: 1 }, () => 'unused');
  json.output.line({ a: [1] }, () => 'unused');
  json.output.line({ b: 'x' }, () => 'unused');
  assert.equal(json.seen.stdout, '{\n  "n": 1\n}\n{"a":[1]}\n{"b":"x"}\n');
});

test('-q silences info; debug needs -v; warnings and errors always go to stderr', () => {
  const quiet = capture({ quiet: true });
  quiet.output.info('progress');
  quiet.output.debug('detail');
  quiet.output.warn('careful');
  quiet.output.error('failed');
  assert.deepEqual(quiet.seen, { stdout: '', stderr: 'warning: careful\nmx-agent: failed\n' });
  const verbose = capture({ verbose: 1 });
  verbose.output.info('progress');
  verbose.output.debug('detail');
  assert.equal(verbose.seen.stderr, 'progress\ndetail\n');
});

test('colors only on a terminal, and never when the user opted out', () => {
  const tty = capture({}, true);
  tty.output.error('x');
  assert.equal(tty.seen.stderr, '\u001b[31mmx-agent:\u001b[39m x\n');
  assert.equal(tty.output.style('bold', 'b'), '\u001b[1mb\u001b[22m');
  const pipe = capture({}, false);
  pipe.output.error('x');
  assert.equal(pipe.seen.stderr, 'mx-agent: x\n');
  const off = capture({ color: false }, true);
  assert.equal(off.output.style('bold', 'b'), 'b');
  assert.equal(colorAllowed(true, {}), true);
  assert.equal(colorAllowed(false, {}), false, '--no-color');
  assert.equal(colorAllowed(true, { NO_COLOR: '1' }), false);
  assert.equal(colorAllowed(true, { NO_COLOR: '' }), true, 'no-color.org: only a non-empty value');
  assert.equal(colorAllowed(true, { TERM: 'dumb' }), false);
});
