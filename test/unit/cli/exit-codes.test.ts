import assert from 'node:assert/strict';
import { test } from 'node:test';
import { EXIT_CODE_HELP, EXIT_CODES, exitCodeFor } from '../../../src/cli/exit-codes.ts';
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
});

test('the help table documents every code once', () => {
  assert.deepEqual(EXIT_CODE_HELP.map(([code]) => code), [...new Set(Object.values(EXIT_CODES))].sort((a, b) => a - b));
});
