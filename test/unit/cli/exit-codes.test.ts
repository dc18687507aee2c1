import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CommanderError } from 'commander';
import {
  EXIT_CODE_HELP,
  EXIT_CODES,
  exitCodeFor,
  formatExitCodes,
} from '../../../src/cli/exit-codes.ts';
import * as errors from '../../../src/errors.ts';

test('each error class maps to its documented exit code', () => {
  const cases: [Error, number][] = [
    [new errors.InternalError('x'), 1],
    [new errors.UsageError('x'), 2],
    [new errors.ConfigError('x'), 3],
    [new errors.AuthError('x'), 4],
    [new errors.NetworkError('x'), 5],
    [new errors.RefusedError('x'), 6],
    [new errors.RemoteFailureError('x'), 7],
    [new errors.InterruptedError('x'), 130],
    [new Error('a bug'), 1],
  ];
  for (const [error, code] of cases) assert.equal(exitCodeFor(error), code, error.constructor.name);
  assert.equal(exitCodeFor('a thrown string'), 1);
});

test("commander's usage errors exit 2; its help and --version exit 0", () => {
  assert.equal(exitCodeFor(new CommanderError(1, 'commander.unknownCommand', 'x')), 2);
  assert.equal(exitCodeFor(new CommanderError(1, 'commander.missingArgument', 'x')), 2);
  assert.equal(exitCodeFor(new CommanderError(0, 'commander.helpDisplayed', '(outputHelp)')), 0);
  assert.equal(exitCodeFor(new CommanderError(0, 'commander.version', '0.1.0')), 0);
});

test('the help table documents every code once, in order', () => {
  assert.deepEqual(
    EXIT_CODE_HELP.map(([code]) => code),
    [...new Set(Object.values(EXIT_CODES))].sort((a, b) => a - b),
  );
  assert.match(formatExitCodes(), /^ {4}0 {2}success\n/);
  assert.match(formatExitCodes(), /\n {2}130 {2}interrupted \(Ctrl-C\)$/);
});
