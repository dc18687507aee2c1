/**
 * Deciding requests: who asks, through which workspace, which program (as the worker resolves
 * it), which arguments, where, with which environment, and how many jobs already run.
 */
import assert from 'node:assert/strict';
import {
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  realpathSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { evaluatePolicy } from '../../../src/security/policy-evaluate.ts';
import type { JobRequest, Policy } from '../../../src/security/policy-types.ts';
import { loadPolicy } from '../../../src/security/policy.ts';

const root = mkdtempSync(join(tmpdir(), 'mx-policy-eval-'));
after(() => {
  rmSync(root, { recursive: true, force: true });
});

// The worker's tools: a real program in real/, reached from bin/ (on the worker's PATH) by a link.
const dirs = {
  real: join(root, 'real'),
  bin: join(root, 'bin'),
  elsewhere: join(root, 'elsewhere'),
  build: join(root, 'srv', 'build'),
  outside: join(root, 'srv', 'etc'),
};
for (const dir of Object.values(dirs)) mkdirSync(dir, { recursive: true });
mkdirSync(join(dirs.build, 'app'));
const tool = join(dirs.real, 'tool');
writeFileSync(tool, '#!/bin/sh\necho tool\n', { mode: 0o755 });
symlinkSync(tool, join(dirs.bin, 'tool'));
symlinkSync(tool, join(dirs.elsewhere, 'tool'));
copyFileSync(tool, join(dirs.elsewhere, 'tool-copy'));
symlinkSync('/usr/bin/sh', join(dirs.elsewhere, 'sh'));
symlinkSync(dirs.outside, join(dirs.build, 'escape'));
symlinkSync(dirs.build, join(root, 'build-link'));
const workerEnv = { PATH: `${dirs.bin}:/usr/bin:/bin` };

const sh = realpathSync('/usr/bin/sh');
const AGENT = 'agt-abcdefghijklmnop';
const KEY = 'SHA256:abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQ';

let files = 0;
function policy(text: string): Policy {
  const path = join(root, `policy-${String(++files)}.toml`);
  writeFileSync(path, text, { mode: 0o600 });
  return loadPolicy(path, { env: workerEnv, home: root });
}

/** A request from AGENT for `tool` in the build directory, with `changes`. */
function request(changes: Partial<JobRequest> = {}): JobRequest {
  return {
    requester: { agent: AGENT, fingerprint: KEY, address: '@bob:example.org' },
    command: 'tool',
    args: [],
    cwd: dirs.build,
    env: {},
    ...changes,
  };
}

const basic = policy(`
[[allow]]
requester = "${AGENT}"
commands = ["tool", "sh"]
deny_args = ["^--unsafe-perm", "publish"]
cwd = ["${dirs.build}"]
env = ["NODE_ENV", "CI", "npm_config_*", "LD_PRELOAD"]
`);

test('a request the rule covers is allowed, resolved on the worker', () => {
  const decision = evaluatePolicy(
    basic,
    request({ args: ['run', 'build'], cwd: join(dirs.build, 'app'), env: { CI: '1' } }),
  );
  assert.deepEqual(decision, {
    allowed: true,
    rule: 0,
    reasons: [`allow[0] (line 2) admits ${AGENT} to run ${tool} in ${join(dirs.build, 'app')}`],
    limits: basic.rules[0]?.limits,
    resolved: {
      command: tool,
      args: ['run', 'build'],
      cwd: join(dirs.build, 'app'),
      env: { CI: '1' },
    },
  });
});

test('a command is the program the worker finds, not whatever carries its name', () => {
  // Found on the worker's PATH through the worker's own link: allowed.
  assert.equal(evaluatePolicy(basic, request({ command: 'tool' })).allowed, true);
  // The same file named where the worker keeps it: in a PATH directory, or its real path.
  assert.equal(evaluatePolicy(basic, request({ command: join(dirs.bin, 'tool') })).allowed, true);
  assert.equal(evaluatePolicy(basic, request({ command: tool })).allowed, true);
  assert.equal(evaluatePolicy(basic, request({ command: '/bin/sh' })).allowed, true);
  // A link a requester could have planted elsewhere: denied, though it leads to the program.
  assert.deepEqual(
    evaluatePolicy(basic, request({ command: join(dirs.elsewhere, 'sh') })).reasons,
    [
      `allow[0] (line 2): command ${join(dirs.elsewhere, 'sh')} leads to ${sh} but is not where this worker keeps it; name it sh`,
    ],
  );
  assert.equal(
    evaluatePolicy(basic, request({ command: join(dirs.elsewhere, 'tool') })).allowed,
    false,
  );
  // A copy is another file.
  assert.deepEqual(
    evaluatePolicy(basic, request({ command: join(dirs.elsewhere, 'tool-copy') })).reasons,
    [
      `allow[0] (line 2): command ${join(dirs.elsewhere, 'tool-copy')} (${join(dirs.elsewhere, 'tool-copy')}) is not one of its commands (tool → ${tool}, sh → ${sh})`,
    ],
  );
});

test('commands that are relative, unknown or off the worker PATH are denied', () => {
  assert.deepEqual(evaluatePolicy(basic, request({ command: './tool' })).reasons, [
    'command: ./tool is a relative path; name a command or an absolute path',
  ]);
  assert.deepEqual(evaluatePolicy(basic, request({ command: 'tool-copy' })).reasons, [
    "command: tool-copy is not an executable on this worker's PATH",
  ]);
  assert.equal(evaluatePolicy(basic, request({ command: 'env' })).allowed, false);
});

test('an argument matching deny_args is denied', () => {
  const decision = evaluatePolicy(
    basic,
    request({ args: ['install', '--unsafe-perm=true', 'x', 'publish'] }),
  );
  assert.deepEqual(decision.reasons, [
    'allow[0] (line 2): argument 2 "--unsafe-perm=true" matches deny_args /^--unsafe-perm/',
    'allow[0] (line 2): argument 4 "publish" matches deny_args /publish/',
  ]);
  assert.equal(evaluatePolicy(basic, request({ args: ['--safe', 'unsafe-perm'] })).allowed, true);
});

test('working directories cannot escape the allowed ones', () => {
  const cases: [string, string][] = [
    [
      join(dirs.build, '..', 'etc'),
      `allow[0] (line 2): cwd ${dirs.outside} is not inside its directories (${dirs.build})`,
    ],
    [
      join(dirs.build, 'escape'),
      `allow[0] (line 2): cwd ${dirs.outside} is not inside its directories (${dirs.build})`,
    ],
    ['srv/build', 'cwd "srv/build" is relative: a request must name an absolute directory'],
    [
      join(dirs.build, 'missing'),
      `cwd ${join(dirs.build, 'missing')}: it does not exist on this worker`,
    ],
    [tool, `cwd ${tool}: it is not a directory on this worker`],
  ];
  for (const [cwd, reason] of cases) {
    const decision = evaluatePolicy(basic, request({ cwd }));
    assert.equal(decision.allowed, false, cwd);
    assert.deepEqual(decision.reasons, [reason], cwd);
  }
  // A link that leads inside is fine, and the job runs in the real directory.
  const viaLink = evaluatePolicy(basic, request({ cwd: join(root, 'build-link', 'app') }));
  assert.equal(viaLink.resolved?.cwd, join(dirs.build, 'app'));
});

test('the environment is an allowlist with prefixes; some names no policy can allow', () => {
  const ok = evaluatePolicy(
    basic,
    request({ env: { NODE_ENV: 'production', npm_config_cache: '/tmp/c' } }),
  );
  assert.deepEqual(ok.resolved?.env, { NODE_ENV: 'production', npm_config_cache: '/tmp/c' });
  assert.deepEqual(
    evaluatePolicy(basic, request({ env: { CI: '1', SECRET: 'x', npm_confi: 'y' } })).reasons,
    [
      'allow[0] (line 2): env SECRET, npm_confi not in its env allowlist (NODE_ENV, CI, npm_config_*, LD_PRELOAD)',
    ],
  );
  // The rule lists LD_PRELOAD, and still.
  assert.deepEqual(
    evaluatePolicy(basic, request({ env: { LD_PRELOAD: '/tmp/evil.so' } })).reasons,
    ['env: LD_PRELOAD can never be set by a request, whatever the policy says'],
  );
  for (const name of [
    'PATH',
    'HOME',
    'NODE_OPTIONS',
    'GIT_SSH_COMMAND',
    'GIT_CONFIG_COUNT',
    'BASH_ENV',
    'DYLD_INSERT_LIBRARIES',
  ]) {
    assert.equal(evaluatePolicy(basic, request({ env: { [name]: 'x' } })).allowed, false, name);
  }
  assert.deepEqual(evaluatePolicy(basic, request({ env: { 'A=B': 'x' } })).reasons, [
    'env: "A=B" is not a variable name',
  ]);
});

test('a requester is matched by agent id, key fingerprint or address', () => {
  const byIdentity = policy(`
[[allow]]
requester = ["${KEY}=", "@carol:Example.ORG", "Dave@Example.org"]
commands = "tool"
cwd = "${dirs.build}"
`);
  const who = (agent: string, fingerprint: string, address: string) =>
    evaluatePolicy(byIdentity, request({ requester: { agent, fingerprint, address } })).allowed;
  assert.equal(who('agt-zzzzzzzzzzzzzzzz', KEY, '@x:example.org'), true);
  assert.equal(who('agt-zzzzzzzzzzzzzzzz', 'SHA256:other', '@carol:example.org'), true);
  assert.equal(who('agt-zzzzzzzzzzzzzzzz', 'SHA256:other', 'dave@example.org/laptop'), true);
  assert.equal(who('agt-zzzzzzzzzzzzzzzz', 'SHA256:other', '@Carol:example.org'), false);
  assert.equal(
    evaluatePolicy(basic, request({ requester: { agent: AGENT, fingerprint: '', address: '' } }))
      .allowed,
    true,
  );
  assert.deepEqual(
    evaluatePolicy(
      basic,
      request({
        requester: { agent: 'agt-zzzzzzzzzzzzzzzz', fingerprint: KEY, address: '@x:e.org' },
      }),
    ).reasons,
    [
      `no rule in ${join(root, 'policy-1.toml')} is for agt-zzzzzzzzzzzzzzzz (key ${KEY}, address @x:e.org)`,
    ],
  );
});

test('a workspace restriction admits only requests arriving through it', () => {
  const ws = policy(`
[[allow]]
requester = "${AGENT}"
workspace = ["#ci:example.org", "ci@conference.example.org"]
commands = "tool"
cwd = "${dirs.build}"
`);
  assert.equal(evaluatePolicy(ws, request({ workspace: '#ci:Example.org' })).allowed, true);
  assert.equal(
    evaluatePolicy(ws, request({ workspace: 'CI@conference.example.org' })).allowed,
    true,
  );
  assert.deepEqual(evaluatePolicy(ws, request()).reasons, [
    'allow[0] (line 2): it admits this requester only through #ci:example.org, ci@conference.example.org, and the request came directly',
  ]);
  assert.deepEqual(evaluatePolicy(ws, request({ workspace: '#dev:example.org' })).reasons, [
    'allow[0] (line 2): it admits this requester only through #ci:example.org, ci@conference.example.org, and the request came through #dev:example.org',
  ]);
});

test('the first rule that admits the whole request decides; each rule is a grant of its own', () => {
  const two = policy(`
[[allow]]
requester = "${AGENT}"
commands = "tool"
deny_args = "publish"
cwd = "${dirs.build}"
timeout = "1m"

[[allow]]
requester = "${AGENT}"
commands = ["tool", "sh"]
cwd = "${dirs.outside}"
timeout = "2m"
`);
  // Both could admit: the first does, and its limits apply.
  const first = evaluatePolicy(two, request({ cwd: dirs.build }));
  assert.equal(first.rule, 0);
  assert.equal(first.limits?.timeoutMs, 60_000);
  // Only the second admits sh in the other directory.
  const second = evaluatePolicy(two, request({ command: 'sh', cwd: dirs.outside }));
  assert.equal(second.rule, 1);
  assert.equal(second.limits?.timeoutMs, 120_000);
  // The second rule has no deny_args but not the first's directory: publish stays denied there.
  assert.deepEqual(evaluatePolicy(two, request({ args: ['publish'] })).reasons, [
    'allow[0] (line 2): argument 1 "publish" matches deny_args /publish/',
    `allow[1] (line 9): cwd ${dirs.build} is not inside its directories (${dirs.outside})`,
  ]);
});

test('max_concurrent: per rule and for the whole worker', () => {
  const capped = policy(`
[defaults]
max_concurrent = 3

[[allow]]
requester = "${AGENT}"
commands = "tool"
cwd = "${dirs.build}"
max_concurrent = 1
`);
  assert.equal(evaluatePolicy(capped, request(), { running: 2, runningByRule: [0] }).allowed, true);
  assert.deepEqual(evaluatePolicy(capped, request(), { running: 1, runningByRule: [1] }).reasons, [
    'allow[0] (line 5): 1 job it admitted is running (max_concurrent = 1); try again when one finishes',
  ]);
  // Without a per-rule count the total stands in for it: the cap is never exceeded.
  assert.equal(evaluatePolicy(capped, request(), { running: 1 }).allowed, false);
  assert.deepEqual(evaluatePolicy(capped, request(), { running: 3, runningByRule: [0] }).reasons, [
    '3 jobs are running on this worker (max_concurrent = 3 in [defaults]); try again when one finishes',
  ]);
});

test('a request with several faults gets every reason', () => {
  const decision = evaluatePolicy(
    basic,
    request({
      command: 'env',
      args: ['publish'],
      cwd: dirs.outside,
      env: { LD_PRELOAD: 'x', SECRET: 'y' },
    }),
  );
  assert.deepEqual(decision.reasons, [
    'env: LD_PRELOAD can never be set by a request, whatever the policy says',
    `allow[0] (line 2): command env (/usr/bin/env) is not one of its commands (tool → ${tool}, sh → ${sh})`,
    'allow[0] (line 2): argument 1 "publish" matches deny_args /publish/',
    `allow[0] (line 2): cwd ${dirs.outside} is not inside its directories (${dirs.build})`,
    'allow[0] (line 2): env SECRET not in its env allowlist (NODE_ENV, CI, npm_config_*, LD_PRELOAD)',
  ]);
});
