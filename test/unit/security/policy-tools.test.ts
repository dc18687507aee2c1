/**
 * Tools in policy.toml: `[tools.NAME]` tables read and checked like the rest of the policy, and
 * requests to use one decided — the inputs checked against their declarations and put into the
 * argument templates, the rule required to list the tool, its limits and env allowlist applied.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { evaluateToolCall, type ToolCall } from '../../../src/security/policy-tools.ts';
import { loadPolicy } from '../../../src/security/policy.ts';
import { policyFiles } from '../../support/policy-files.ts';

const root = realpathSync(mkdtempSync(join(tmpdir(), 'mx-policy-tools-')));
after(() => {
  rmSync(root, { recursive: true, force: true });
});
const repo = join(root, 'repo');
mkdirSync(repo);
const env = { PATH: '/usr/bin:/bin' };
const sh = realpathSync('/bin/sh');
const AGENT = 'agt-abcdefghijklmnop';
const { policyFile, rejects } = policyFiles(root, env);

const LINT = `[tools.lint]
description = "lint a path of the checkout"
command = "sh"
args = ["-c", "echo linting \\"$1\\" {{fix}}", "lint", "{path}", "--fix={fix}", "--jobs={jobs}"]
cwd = "${repo}"
[tools.lint.inputs.path]
type = "string"
pattern = "[A-Za-z0-9_./-]+"
required = true
description = "what to lint"
[tools.lint.inputs.fix]
type = "boolean"
[tools.lint.inputs.jobs]
type = "integer"
default = 2
`;

const policy = loadPolicy(
  policyFile(`[[allow]]
requester = "${AGENT}"
tools = ["lint"]
env = ["CI"]
timeout = "1m"

[[allow]]
requester = "agt-othersothersothe"
commands = ["sh"]
cwd = ["${repo}"]

${LINT}
[tools.unused]
command = "true"
cwd = "/"
`),
  { env, home: root },
);

function call(values: Record<string, unknown>, extra: Partial<ToolCall> = {}): ToolCall {
  return {
    requester: { agent: AGENT, fingerprint: 'SHA256:x', address: 'a@example.org' },
    tool: 'lint',
    with: values,
    env: {},
    ...extra,
  };
}

test('a [tools.NAME] table loads with its command and directory resolved', () => {
  assert.deepEqual(policy.warnings, []);
  assert.deepEqual(
    policy.tools.map((t) => t.name),
    ['lint', 'unused'],
  );
  const lint = policy.tools[0];
  assert.equal(lint?.command.real, sh);
  assert.equal(lint?.cwd.real, repo);
  assert.deepEqual(lint?.inputs.path, {
    type: 'string',
    pattern: '[A-Za-z0-9_./-]+',
    required: true,
    description: 'what to lint',
  });
  assert.deepEqual(lint?.inputs.jobs, { type: 'integer', required: false, default: 2 });
  // A rule for tools alone needs neither commands nor directories.
  assert.deepEqual(policy.rules[0]?.tools, ['lint']);
  assert.deepEqual(policy.rules[0]?.commands, []);
});

test('a tool request is allowed with its inputs put into the argument templates', () => {
  const decision = evaluateToolCall(policy, call({ path: 'src/a.ts', fix: 'true' }));
  assert.equal(decision.allowed, true, decision.reasons.join('\n'));
  assert.deepEqual(decision.reasons, [
    `allow[0] (line 1) admits ${AGENT} to use tool lint, which runs ${sh} in ${repo}`,
  ]);
  assert.deepEqual(decision.resolved, {
    command: sh,
    // One argument per template, spaces and all; {{ is a literal brace.
    args: ['-c', 'echo linting "$1" {fix}', 'lint', 'src/a.ts', '--fix=true', '--jobs=2'],
    cwd: repo,
    env: {},
  });
  assert.equal(decision.limits?.timeoutMs, 60_000);
});

test('an optional input not given leaves out the arguments that use it', () => {
  const decision = evaluateToolCall(policy, call({ path: 'src', jobs: '8' }, { env: { CI: '1' } }));
  assert.deepEqual(decision.resolved?.args, [
    '-c',
    'echo linting "$1" {fix}',
    'lint',
    'src',
    '--jobs=8',
  ]);
  assert.deepEqual(decision.resolved?.env, { CI: '1' });
});

test('bad inputs are refused, each with its reason, before any rule is tried', () => {
  const reasons = (values: Record<string, unknown>) =>
    evaluateToolCall(policy, call(values)).reasons;
  assert.deepEqual(reasons({ path: 'src; rm -rf /' }), [
    'tool lint: with.path: expected a value matching /[A-Za-z0-9_./-]+/, got "src; rm -rf /"',
  ]);
  assert.deepEqual(reasons({ path: 12, jobs: 'many', fix: 1 }), [
    'tool lint: with.path: expected a string, got 12',
    'tool lint: with.fix: expected true or false, got 1',
    'tool lint: with.jobs: expected a whole number, got "many"',
  ]);
  assert.deepEqual(reasons({ path: 'src', force: true }), [
    'tool lint: with.force: no such input (its inputs: path, fix, jobs)',
  ]);
  assert.deepEqual(reasons({}), ['tool lint: with.path: missing: the input is required']);
  assert.deepEqual(reasons({ path: 'a\0b' }), ['tool lint: with.path: contains a NUL character']);
  assert.match(reasons({ path: 'a'.repeat(5000) })[0] ?? '', /at most 4096 characters/);
  assert.deepEqual(reasons({ path: { nested: 'x' } }), [
    'tool lint: with.path: expected a string, got an object',
  ]);
});

test('a rule admits a tool only when it lists it; an unknown tool is refused', () => {
  const other = evaluateToolCall(
    policy,
    call(
      { path: 'src' },
      { requester: { agent: 'agt-othersothersothe', fingerprint: '', address: '' } },
    ),
  );
  assert.equal(other.allowed, false);
  assert.deepEqual(other.reasons, ['allow[1] (line 7): tool lint is not one of its tools (none)']);
  const unknown = evaluateToolCall(policy, call({}, { tool: 'deploy' }));
  assert.deepEqual(unknown.reasons, ['this worker offers no tool "deploy" (its tools: lint)']);
  const env = evaluateToolCall(policy, call({ path: 'src' }, { env: { SECRET: 'x' } }));
  assert.deepEqual(env.reasons, ['allow[0] (line 1): env SECRET not in its env allowlist (CI)']);
  const busy = evaluateToolCall(policy, call({ path: 'src' }), { running: 2 });
  assert.match(busy.reasons.join('\n'), /max_concurrent = 2/);
});

test('deny_args apply to the filled-in arguments of a tool', () => {
  const denying = loadPolicy(
    policyFile(
      `[defaults]\ndeny_args = ["^--"]\n[[allow]]\nrequester = "${AGENT}"\ntools = ["lint"]\n${LINT}`,
    ),
    { env, home: root },
  );
  const decision = evaluateToolCall(denying, call({ path: '--exec' }));
  assert.equal(decision.allowed, false);
  assert.match(decision.reasons.join('\n'), /argument 4 "--exec" matches deny_args/);
});

test('a tool whose command or directory does not resolve admits nothing, and says why', () => {
  const path = policyFile(
    `[[allow]]\nrequester = "${AGENT}"\ntools = ["gone"]\n[tools.gone]\ncommand = "no-such-program"\ncwd = "${repo}"\n`,
  );
  const loaded = loadPolicy(path, { env, home: root });
  assert.deepEqual(loaded.warnings, [
    "tools.gone.command: no-such-program is not an executable on this worker's PATH; it admits nothing",
  ]);
  assert.deepEqual(evaluateToolCall(loaded, call({}, { tool: 'gone' })).reasons, [
    `tool "gone" is not available on this worker: ${loaded.warnings[0] ?? ''}`,
  ]);
});

test('every mistake in a tool names file:line:column, the key, what was expected and what came', () => {
  const tool = (body: string) => `[tools.lint]\n${body}`;
  const cwd = `cwd = "${repo}"\n`;
  rejects(
    tool(cwd),
    'FILE:1:1: tools.lint: missing command: expected a command name like "npm" or an absolute path like "/usr/bin/make"',
  );
  rejects(
    tool(`command = "./lint"\n${cwd}`),
    'FILE:2:1: tools.lint.command: expected a command name like "npm" or an absolute path like "/usr/bin/make", got "./lint"',
  );
  rejects(
    tool('command = "sh"\n'),
    'FILE:1:1: tools.lint: missing cwd: expected an absolute directory like "/srv/build" or "~/src/app"',
  );
  rejects(
    tool(`command = "sh"\n${cwd}args = "-c"\n`),
    'FILE:4:1: tools.lint.args: expected a list of argument templates, got "-c"',
  );
  rejects(
    tool(`command = "sh"\n${cwd}args = ["{path}"]\n`),
    'FILE:4:1: tools.lint.args[0]: expected inputs declared in [tools.lint.inputs] (none), not {path}, got "{path}"',
  );
  rejects(
    tool(`command = "sh"\n${cwd}args = ["a{b"]\n`),
    'FILE:4:1: tools.lint.args[0]: expected an argument template ("{" at 2 opens no {input}: write {name} for an input, {{ for a literal {), got "a{b"',
  );
  rejects(
    tool(`comand = "sh"\n${cwd}`),
    'FILE:2:1: tools.lint.comand: unknown key; expected one of description, command, args, cwd, inputs',
  );
  const input = (body: string) => tool(`command = "sh"\n${cwd}[tools.lint.inputs.path]\n${body}`);
  rejects(
    input('required = true\n'),
    'FILE:4:1: tools.lint.inputs.path: missing type: expected "string", "integer" or "boolean"',
  );
  rejects(
    input('type = "float"\n'),
    'FILE:5:1: tools.lint.inputs.path.type: expected "string", "integer" or "boolean", got "float"',
  );
  rejects(
    input('type = "integer"\npattern = "[0-9]+"\n'),
    'FILE:6:1: tools.lint.inputs.path.pattern: expected a regular expression, for a string input, got "[0-9]+"',
  );
  rejects(
    input('type = "string"\npattern = "(["\n'),
    'FILE:6:1: tools.lint.inputs.path.pattern: expected a regular expression (Invalid regular expression: /([/: Unterminated character class), got "(["',
  );
  rejects(
    input('type = "string"\nrequired = true\ndefault = "x"\n'),
    'FILE:7:1: tools.lint.inputs.path.default: expected no default for a required input, got "x"',
  );
  rejects(
    input('type = "integer"\ndefault = "2"\n'),
    'FILE:6:1: tools.lint.inputs.path.default: expected a whole number, got "2"',
  );
  rejects(
    input('type = "string"\nmax = 3\n'),
    'FILE:6:1: tools.lint.inputs.path.max: unknown key; expected one of type, pattern, required, default, description',
  );
  rejects(
    '[tools."bad name"]\ncommand = "sh"\n',
    'FILE:1:1: tools.bad name: expected a tool name of letters, digits, _ . and - (at most 64), got "bad name"',
  );
  rejects(
    `[[allow]]\nrequester = "${AGENT}"\ntools = ["lnit"]\n${LINT}`,
    'FILE:3:1: allow[0].tools[0]: expected the name of a [tools.NAME] table (lint), got "lnit"',
  );
  rejects('tools = ["lint"]\n', 'FILE:1:1: tools: expected [tools.NAME] tables, got a list');
});
