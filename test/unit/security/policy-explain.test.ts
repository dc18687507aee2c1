/** What `mx-agent policy check` prints for a decision. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { describeLimits, explainDecision } from '../../../src/security/policy-explain.ts';
import {
  formatDuration,
  formatSize,
  parseDuration,
  parseSize,
} from '../../../src/security/policy-values.ts';

const limits = {
  timeoutMs: 300_000,
  maxOutputBytes: 1024 * 1024,
  network: false,
  requireSandbox: true,
  requiresApproval: true,
  artifacts: false,
  maxConcurrent: 1,
};

test('an allowed decision says which rule, what runs, where, with what and under which limits', () => {
  const text = explainDecision({
    allowed: true,
    rule: 1,
    reasons: [
      'allow[1] (line 9) admits agt-abcdefghijklmnop to run /usr/bin/git in /srv/build/app',
    ],
    limits,
    resolved: {
      command: '/usr/bin/git',
      args: [],
      cwd: '/srv/build/app',
      env: { CI: '1', NODE_ENV: 'test' },
    },
  });
  assert.equal(
    text,
    [
      'allowed by allow[1]',
      '  - allow[1] (line 9) admits agt-abcdefghijklmnop to run /usr/bin/git in /srv/build/app',
      '  runs: /usr/bin/git',
      '  in: /srv/build/app',
      '  env: CI, NODE_ENV',
      '  limits: timeout 5m, output 1 MiB, 1 at once, sandbox required, no network, approval required, no artifacts',
    ].join('\n'),
  );
});

test('a denied decision lists every reason', () => {
  const text = explainDecision({
    allowed: false,
    reasons: [
      'env: LD_PRELOAD can never be set by a request, whatever the policy says',
      'allow[0] (line 2): argument 1 "publish" matches deny_args /publish/',
    ],
  });
  assert.equal(
    text,
    [
      'denied',
      '  - env: LD_PRELOAD can never be set by a request, whatever the policy says',
      '  - allow[0] (line 2): argument 1 "publish" matches deny_args /publish/',
    ].join('\n'),
  );
});

test('limits read the way the policy writes them', () => {
  assert.equal(
    describeLimits({
      ...limits,
      timeoutMs: 5_400_000,
      maxOutputBytes: 1500,
      network: true,
      requireSandbox: false,
      requiresApproval: false,
      artifacts: true,
      maxConcurrent: 2,
    }),
    'timeout 1h30m, output 1500 B, 2 at once, sandbox if available, network, no approval, artifacts',
  );
});

test('durations and sizes parse and print', () => {
  assert.equal(parseDuration('1h30m'), 5_400_000);
  assert.equal(parseDuration('500ms'), 500);
  assert.equal(parseDuration('90s'), 90_000);
  for (const bad of ['forever', '5', '0s', '-1m', '5 m', '1d', ''])
    assert.equal(parseDuration(bad), undefined, bad);
  assert.equal(parseSize('10MiB'), 10 * 1024 * 1024);
  assert.equal(parseSize('512KB'), 512_000);
  assert.equal(parseSize('4096'), 4096);
  for (const bad of ['lots', '0', '10 mb', '-1KiB', ''])
    assert.equal(parseSize(bad), undefined, bad);
  assert.equal(formatDuration(90_000), '1m30s');
  assert.equal(formatDuration(1500), '1500ms');
  assert.equal(formatSize(10 * 1024 * 1024), '10 MiB');
  assert.equal(formatSize(512_000), '500 KiB');
});

test('a duration longer than a timer can wait is not a duration', () => {
  assert.equal(parseDuration('596h'), 596 * 3_600_000);
  assert.equal(parseDuration('597h'), undefined);
});
