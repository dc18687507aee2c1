import assert from 'node:assert/strict';
import { test } from 'node:test';
import { UsageError } from '../../../src/errors.ts';
import { parseExpression, type Ast } from '../../../src/workflow/expressions.ts';
import {
  evaluate,
  type ExpressionContext,
  type Value,
} from '../../../src/workflow/expressions-eval.ts';
import {
  evaluateCondition,
  interpolate,
  parseTemplate,
} from '../../../src/workflow/expressions-template.ts';

const context: ExpressionContext = {
  inputs: { ref: 'main', count: '3', empty: '', flag: true },
  jobs: { build: { result: 'success', outputs: { artifact: 'dist/app.tar', list: 'a,b' } } },
  steps: { compile: { outputs: { path: '/out' } } },
  env: { CI: '1' },
};

function parse(text: string): Ast {
  const parsed = parseExpression(text);
  assert.ok(parsed.ok, `${text}: ${parsed.ok ? '' : parsed.message}`);
  return parsed.ast;
}

const value = (text: string, ctx: ExpressionContext = context): Value => evaluate(parse(text), ctx);

function syntaxError(text: string): string {
  const parsed = parseExpression(text);
  assert.ok(!parsed.ok, `${text} should not parse`);
  return `${parsed.column}: ${parsed.message}`;
}

test('literals and contexts', () => {
  assert.equal(value("'it''s'"), "it's");
  assert.equal(value('42'), 42);
  assert.equal(value('-1.5'), -1.5);
  assert.equal(value('true'), true);
  assert.equal(value('null'), null);
  assert.equal(value('inputs.ref'), 'main');
  assert.equal(value('jobs.build.outputs.artifact'), 'dist/app.tar');
  assert.equal(value('jobs.build.result'), 'success');
  assert.equal(value('steps.compile.outputs.path'), '/out');
  assert.equal(value('env.CI'), '1');
  assert.deepEqual(value('jobs.build.outputs'), { artifact: 'dist/app.tar', list: 'a,b' });
  // Missing values are null, not errors (as in GitHub Actions).
  assert.equal(value('inputs.nope'), null);
  assert.equal(value('jobs.test.outputs.x'), null);
  assert.equal(value('inputs.ref', {}), null);
});

test('precedence: ! binds tightest, then == and !=, then &&, then ||', () => {
  assert.equal(value('true || false && false'), true);
  assert.equal(value('(true || false) && false'), false);
  assert.equal(value('!true == false'), true);
  assert.equal(value("!(inputs.ref == 'main')"), false);
  assert.equal(value("inputs.ref == 'main' && env.CI == '1' || false"), true);
  assert.equal(value('!!inputs.empty'), false);
  // && and || give an operand, not a boolean.
  assert.equal(value("inputs.empty || 'fallback'"), 'fallback');
  assert.equal(value("inputs.ref && 'yes'"), 'yes');
  assert.equal(value('inputs.empty && true'), '');
});

test('comparisons: strings exactly, mixed types as numbers', () => {
  assert.equal(value("inputs.ref == 'main'"), true);
  assert.equal(value("inputs.ref == 'Main'"), false);
  assert.equal(value("inputs.ref != 'dev'"), true);
  assert.equal(value('inputs.count == 3'), true);
  assert.equal(value("'' == 0"), true);
  assert.equal(value('null == 0'), true);
  assert.equal(value("'abc' == 0"), false);
  assert.equal(value('inputs.flag == 1'), true);
  assert.equal(value('null == null'), true);
  assert.equal(value("jobs.build.outputs == 'x'"), false);
});

test('contains and startsWith', () => {
  assert.equal(value("contains(jobs.build.outputs.list, 'b')"), true);
  assert.equal(value("contains(jobs.build.outputs.list, 'c')"), false);
  assert.equal(value("contains(inputs.ref, 'AI')"), false);
  assert.equal(value("startsWith(jobs.build.outputs.artifact, 'dist/')"), true);
  assert.equal(value("startsWith(inputs.ref, 'ain')"), false);
  assert.equal(value('contains(inputs.list, 2)', { inputs: { list: ['1', 2] } }), true);
  assert.equal(value("contains(inputs.list, '3')", { inputs: { list: ['1', 2] } }), false);
});

test('status functions read the status the scheduler passes; success() by default', () => {
  assert.equal(value('success()'), true);
  assert.equal(value('failure()'), false);
  assert.equal(value('always()'), true);
  const failed = { status: { success: false, failure: true, cancelled: false } };
  assert.equal(value('success()', failed), false);
  assert.equal(value('failure() && !cancelled()', failed), true);
});

test('syntax errors say what and at which column', () => {
  assert.equal(syntaxError(''), '1: empty expression');
  assert.equal(
    syntaxError('inputs.ref =='),
    '14: expected a value, found the end of the expression',
  );
  assert.equal(
    syntaxError("(inputs.ref == 'a'"),
    '19: expected ")", found the end of the expression',
  );
  assert.equal(syntaxError("inputs.ref = 'a'"), '12: unexpected "=", did you mean "=="?');
  assert.equal(syntaxError('inputs.ref == "a"'), '15: unexpected "\\"", did you mean "\'"?');
  assert.equal(syntaxError("'open"), '1: unterminated string');
  assert.equal(
    syntaxError('inputs.'),
    '8: expected a name after ".", found the end of the expression',
  );
  assert.equal(syntaxError('true false'), '6: unexpected "false" after the expression');
  assert.equal(syntaxError('contains(inputs.ref)'), '1: contains() takes 2 arguments, got 1');
  assert.equal(syntaxError('success(1)'), '1: success() takes no arguments, got 1');
  assert.equal(
    syntaxError('format(inputs.ref)'),
    '1: unknown function "format" (functions: success, failure, always, cancelled, contains, startsWith)',
  );
  assert.equal(syntaxError('1 + 2'), '3: unexpected character "+"');
  assert.equal(
    syntaxError(`${'('.repeat(40)}1${')'.repeat(40)}`),
    '34: expression nested too deeply',
  );
});

test('an unknown context is an error, with its column', () => {
  assert.equal(
    syntaxError('inputs.ref == secrets.TOKEN'),
    '15: unknown context "secrets" (contexts: inputs, jobs, steps, env; strings are in single quotes)',
  );
  assert.equal(
    syntaxError('main'),
    '1: unknown context "main" (contexts: inputs, jobs, steps, env; strings are in single quotes)',
  );
});

test('no way to reach JavaScript objects or run code', () => {
  // Property names that exist on every JavaScript object read as null.
  for (const name of ['constructor', '__proto__', 'toString', 'hasOwnProperty', 'prototype']) {
    assert.equal(value(`inputs.${name}`), null, name);
    assert.equal(value(`env.${name}.constructor`), null, name);
    assert.equal(value(`jobs.build.${name}`), null, name);
  }
  assert.equal(value('inputs.ref.length'), null);
  // Non-data in a context never comes out.
  const hostile = { inputs: { fn: () => 'ran', date: new Date(0), map: new Map([['a', 1]]) } };
  assert.equal(value('inputs.fn', hostile as unknown as ExpressionContext), null);
  assert.equal(value('inputs.date', hostile as unknown as ExpressionContext), null);
  assert.equal(value('inputs.map.a', hostile as unknown as ExpressionContext), null);
  // There is no syntax for calls on values, indexing or arbitrary names.
  assert.match(
    syntaxError("constructor.constructor('return process')()"),
    /unknown context "constructor"/,
  );
  assert.match(syntaxError("inputs['ref']"), /unexpected character "\["/);
  assert.match(syntaxError('inputs.ref()'), /unexpected "\(" after the expression/);
  assert.match(syntaxError('this'), /unknown context "this"/);
});

test('templates interpolate every ${{ }}; null is empty, objects are JSON', () => {
  assert.equal(
    interpolate('ref=${{ inputs.ref }} art=${{jobs.build.outputs.artifact}}!', context),
    'ref=main art=dist/app.tar!',
  );
  assert.equal(interpolate('[${{ inputs.none }}]', context), '[]');
  assert.equal(interpolate("${{ '}}' }}", context), '}}');
  assert.equal(interpolate('${{ inputs.flag }} ${{ 1 == 1 }}', context), 'true true');
  assert.equal(interpolate('no expressions', context), 'no expressions');
  assert.throws(
    () => interpolate('a ${{ inputs.ref', context),
    (e: unknown) =>
      e instanceof UsageError &&
      e.message === '"a ${{ inputs.ref": column 3: unterminated ${{ (expected }})',
  );
  const bad = parseTemplate('ab ${{ inputs.ref == }}');
  assert.deepEqual(bad, {
    ok: false,
    column: 22,
    message: 'expected a value, found the end of the expression',
  });
});

test('conditions may be written with or without ${{ }}', () => {
  assert.equal(evaluateCondition("inputs.ref == 'main'", context), true);
  assert.equal(evaluateCondition("${{ inputs.ref == 'dev' }}", context), false);
  assert.equal(evaluateCondition(' ${{ always() }} ', context), true);
  assert.throws(
    () => evaluateCondition('${{ inputs.ref }} == main', context),
    (e: unknown) =>
      e instanceof UsageError &&
      e.message ===
        'if: "${{ inputs.ref }} == main": write the whole condition inside one ${{ }}, or leave ${{ }} out',
  );
});
