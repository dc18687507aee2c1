/**
 * Loading policy.toml: a missing file denies everything; every mistake in the file is a
 * ConfigError naming file:line:column, the key, what was expected and what was found.
 */
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { evaluatePolicy } from '../../../src/security/policy-evaluate.ts';
import { BUILT_IN_DEFAULTS } from '../../../src/security/policy-schema.ts';
import { loadPolicy } from '../../../src/security/policy.ts';
import { policyFiles } from '../../support/policy-files.ts';

const root = mkdtempSync(join(tmpdir(), 'mx-policy-load-'));
after(() => {
  rmSync(root, { recursive: true, force: true });
});
const build = join(root, 'build');
mkdirSync(build);
const env = { PATH: '/usr/bin:/bin' };
const { policyFile, rejects } = policyFiles(root, env);

const RULE = `requester = "agt-abcdefghijklmnop"\ncommands = ["sh"]\ncwd = ["${build}"]\n`;

test('a missing policy file is a policy that denies everything', () => {
  const path = join(root, 'absent.toml');
  const policy = loadPolicy(path, { env });
  assert.equal(policy.missing, true);
  assert.deepEqual(policy.rules, []);
  const decision = evaluatePolicy(policy, {
    requester: { agent: 'agt-abcdefghijklmnop', fingerprint: 'SHA256:x', address: 'a@b.org' },
    command: 'sh',
    args: [],
    cwd: build,
    env: {},
  });
  assert.equal(decision.allowed, false);
  assert.deepEqual(decision.reasons, [
    `there is no policy file at ${path}, so every request is denied`,
  ]);
});

test('an empty policy file loads and admits nothing', () => {
  const policy = loadPolicy(policyFile('# nothing yet\n'), { env });
  assert.equal(policy.missing, false);
  assert.deepEqual(policy.rules, []);
});

test('malformed TOML names the file, line and column', () => {
  rejects('[defaults]\ntimeout = = "5m"\n', 'FILE:2:11: invalid TOML: invalid value');
  rejects('[[allow]\n', 'FILE:1:9: invalid TOML: expected end of table array declaration');
});

test('a bad value names file:line:column, the key, what was expected and what was found', () => {
  const text = [
    '# line 1',
    '[defaults]',
    'timeout = "10m"',
    '',
    '[[allow]]',
    RULE.trimEnd(),
    '',
    '[[allow]]',
    '  requester = "bob@example.org"',
    '  commands = ["sh"]',
    `  cwd = "${build}"`,
    '  timeout = "forever"',
  ].join('\n');
  rejects(
    text,
    'FILE:14:3: allow[1].timeout: expected a duration like "5m" or "30s", got "forever"',
  );
});

test('each kind of value is checked', () => {
  rejects(
    '[defaults]\nmax_output = "lots"\n',
    'FILE:2:1: defaults.max_output: expected a size like "10MiB" or "512KB", got "lots"',
  );
  rejects(
    '[defaults]\nmax_concurrent = 0\n',
    'FILE:2:1: defaults.max_concurrent: expected a whole number of at least 1, got 0',
  );
  rejects(
    '[defaults]\nnetwork = "no"\n',
    'FILE:2:1: defaults.network: expected true or false, got "no"',
  );
  rejects(
    '[defaults]\ntimeout = 300\n',
    'FILE:2:1: defaults.timeout: expected a duration like "5m" or "30s", got 300',
  );
  rejects(
    `[[allow]]\n${RULE}deny_args = ["ok", "(unclosed"]\n`,
    'FILE:5:1: allow[0].deny_args[1]: expected a regular expression (Invalid regular expression: /(unclosed/: Unterminated group), got "(unclosed"',
  );
  rejects(
    `[[allow]]\nrequester = ["agt-abcdefghijklmnop", "bob"]\ncommands = ["sh"]\ncwd = "/"\n`,
    'FILE:2:1: allow[0].requester[1]: expected an agent id like "agt-abcdefghijklmnop", a key fingerprint like "SHA256:…" or an address like "@bob:example.org" or "bob@example.org", got "bob"',
  );
  rejects(
    `[[allow]]\nrequester = "agt-abcdefghijklmnop"\ncommands = ["sh"]\ncwd = ["src"]\n`,
    'FILE:4:1: allow[0].cwd[0]: expected an absolute directory like "/srv/build" or "~/src/app", got "src"',
  );
  rejects(
    `[[allow]]\n${RULE}commands = ["./build.sh"]\n`.replace('commands = ["sh"]\n', ''),
    'FILE:4:1: allow[0].commands[0]: expected a command name like "npm" or an absolute path like "/usr/bin/make", got "./build.sh"',
  );
  rejects(
    `[[allow]]\n${RULE}env = ["NODE-ENV"]\n`,
    'FILE:5:1: allow[0].env[0]: expected a variable name like "CI" or a prefix like "npm_config_*", got "NODE-ENV"',
  );
  rejects(
    `[[allow]]\n${RULE}workspace = []\n`,
    'FILE:5:1: allow[0].workspace: expected a workspace like "#ci:example.org", "!room:example.org" or "ci@conference.example.org", or a non-empty list of them, got an empty list',
  );
});

test('unknown keys are errors, wherever they are', () => {
  rejects(
    '[defaults]\ntimout = "5m"\n',
    'FILE:2:1: defaults.timout: unknown key; expected one of timeout, max_output, max_concurrent, require_sandbox, requires_approval, network, artifacts, deny_args',
  );
  rejects(
    `[[allow]]\n${RULE}  comands = ["git"]\n`,
    'FILE:5:3: allow[0].comands: unknown key; expected one of requester, workspace, commands, deny_args, cwd, env, tools, timeout, max_output, max_concurrent, require_sandbox, requires_approval, network, artifacts',
  );
  rejects('[deny]\nx = 1\n', 'FILE:1:1: deny: unknown key; expected one of defaults, allow, tools');
  rejects(
    `[allow]\n${RULE}`,
    'FILE:1:1: allow: expected [[allow]] tables (a list of rules), got a table',
  );
});

test('a rule without requester, commands or cwd is an error', () => {
  rejects(
    '[[allow]]\ncommands = ["sh"]\ncwd = "/"\n',
    'FILE:1:1: allow[0]: missing requester: expected an agent id like "agt-abcdefghijklmnop", a key fingerprint like "SHA256:…" or an address like "@bob:example.org" or "bob@example.org", or a list of them',
  );
  rejects(
    '[[allow]]\nrequester = "agt-abcdefghijklmnop"\ncwd = "/"\n',
    'FILE:1:1: allow[0]: missing commands: expected a command name like "npm" or an absolute path like "/usr/bin/make", or a list of them',
  );
});

test('positions skip over multi-line arrays and strings', () => {
  const text = [
    '[[allow]]',
    'requester = [',
    '  "agt-abcdefghijklmnop",',
    '  "x = 1",',
    ']',
    'commands = ["sh"]',
    `cwd = "${build}"`,
    "deny_args = '''",
    'timeout = "not a key"',
    "'''",
    'max_output = "huge"',
  ].join('\n');
  rejects(
    text,
    'FILE:2:1: allow[0].requester[1]: expected an agent id like "agt-abcdefghijklmnop", a key fingerprint like "SHA256:…" or an address like "@bob:example.org" or "bob@example.org", got "x = 1"',
  );
  rejects(
    text.replace('  "x = 1",\n', ''),
    'FILE:10:1: allow[0].max_output: expected a size like "10MiB" or "512KB", got "huge"',
  );
});

test('a policy others can write is refused', () => {
  const path = policyFile(`[[allow]]\n${RULE}`);
  chmodSync(path, 0o664);
  assert.throws(() => loadPolicy(path, { env }), {
    name: 'ConfigError',
    message: `${path}: the policy is writable by group or others (mode 664): anyone who can edit it could run commands here; run chmod go-w ${path}`,
  });
});

test('defaults fill every rule that does not say otherwise; deny_args add up', () => {
  const policy = loadPolicy(
    policyFile(
      `[defaults]\ntimeout = "1h30m"\nmax_output = "1.5KiB"\nnetwork = true\ndeny_args = ["^--inspect"]\n\n` +
        `[[allow]]\n${RULE}timeout = "90s"\ndeny_args = "publish"\n\n[[allow]]\n${RULE}`,
    ),
    { env },
  );
  const [first, second] = policy.rules;
  assert.deepEqual(first?.limits, {
    ...BUILT_IN_DEFAULTS,
    timeoutMs: 90_000,
    maxOutputBytes: 1536,
    network: true,
  });
  assert.deepEqual(second?.limits, {
    ...BUILT_IN_DEFAULTS,
    timeoutMs: 5_400_000,
    maxOutputBytes: 1536,
    network: true,
  });
  assert.deepEqual(first?.denyArgs.map(String), ['/^--inspect/', '/publish/']);
  assert.deepEqual(second?.denyArgs.map(String), ['/^--inspect/']);
  assert.equal(first?.line, 7);
  assert.equal(policy.maxConcurrent, BUILT_IN_DEFAULTS.maxConcurrent);
});

test('the built-in defaults are safe: sandbox required, no network, 10m, 10MiB', () => {
  assert.deepEqual(BUILT_IN_DEFAULTS, {
    timeoutMs: 600_000,
    maxOutputBytes: 10 * 1024 * 1024,
    network: false,
    requireSandbox: true,
    requiresApproval: false,
    artifacts: false,
    maxConcurrent: 2,
  });
});

test('commands and directories resolve on this worker; what does not resolve is a warning', () => {
  mkdirSync(join(root, 'home', 'src'), { recursive: true });
  const policy = loadPolicy(
    policyFile(
      `[[allow]]\nrequester = "agt-abcdefghijklmnop"\ncommands = ["sh", "no-such-tool-here", "/usr/bin/env"]\n` +
        `cwd = ["~/src", "${join(root, 'nope')}"]\nenv = ["CI", "LD_PRELOAD"]\n`,
    ),
    { env, home: join(root, 'home') },
  );
  const rule = policy.rules[0];
  assert.deepEqual(
    rule?.commands.map((c) => c.written),
    ['sh', '/usr/bin/env'],
  );
  assert.equal(rule?.commands[0]?.path, '/usr/bin/sh');
  assert.deepEqual(rule?.cwds, [{ written: '~/src', real: join(root, 'home', 'src') }]);
  assert.deepEqual(policy.warnings, [
    'allow[0].env: LD_PRELOAD is never passed to a job, whatever the policy says',
    "allow[0].commands: no-such-tool-here is not an executable on this worker's PATH; it admits nothing",
    `allow[0].cwd: ${join(root, 'nope')}: it does not exist; it admits nothing`,
  ]);
});
