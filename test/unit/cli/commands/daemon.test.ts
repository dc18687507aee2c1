import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  DEFAULT_IDLE_MS,
  formatStatus,
  idleTimeout,
  type StatusRow,
} from '../../../../src/cli/commands/daemon-action.ts';
import { ConfigError } from '../../../../src/errors.ts';

const running: StatusRow = {
  running: true,
  pid: 4242,
  profile: 'alice@example.org',
  network: 'xmpp',
  version: '0.1.0',
  protocol: 1,
  address: 'alice@example.org/laptop',
  state: 'online',
  clients: 1,
  clientPids: [77],
  workspaces: [],
  startedAt: '2030-01-01T00:00:00.000Z',
  uptimeMs: 185_000,
  socket: '/run/user/1000/mx-agent/alice.sock',
  idleExitMs: 300_000,
  undelivered: 0,
};

test('daemon status: one line per profile, running or not', () => {
  assert.equal(
    formatStatus([
      running,
      { ...running, profile: 'work', state: 'reconnecting', clients: 0, idleExitMs: null },
      { profile: 'b', running: false },
    ]),
    [
      'alice@example.org  online        alice@example.org/laptop  pid 4242, 1 command, up 3 min, exits after 5 min idle',
      'work               reconnecting  alice@example.org/laptop  pid 4242, 0 commands, up 3 min',
      'b                  not running',
    ].join('\n'),
  );
  assert.match(formatStatus([]), /^no profiles yet; log in with/);
});

test('MX_AGENT_HOST_IDLE_MS is a positive whole number of milliseconds', () => {
  assert.equal(idleTimeout(undefined), DEFAULT_IDLE_MS);
  assert.equal(idleTimeout(''), DEFAULT_IDLE_MS);
  assert.equal(idleTimeout('1500'), 1500);
  for (const bad of ['0', '-5', '1.5', '5m', ' 10'])
    assert.throws(
      () => idleTimeout(bad),
      (e: unknown) =>
        e instanceof ConfigError &&
        e.message.startsWith(
          'expected MX_AGENT_HOST_IDLE_MS to be a positive number of milliseconds, got ',
        ),
      bad,
    );
});
