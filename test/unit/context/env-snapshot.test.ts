import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { snapshotEnvironment, systemInfo } from '../../../src/context/env-snapshot.ts';
import { fakeSecrets } from './fake-secrets.ts';

/** The environment part: a default list of harmless names, or the user's, always scrubbed. */

const system = { os: 'linux 6.1.0', arch: 'x64', node: 'v24.0.0', shell: 'zsh' };
const keys = fakeSecrets(5);
const env = {
  LANG: 'en_US.UTF-8',
  LC_ALL: 'C',
  TERM: 'xterm-256color',
  SHELL: '/usr/bin/zsh',
  NODE_ENV: 'test',
  PATH: '/home/dev/bin:/usr/bin',
  HOME: '/home/dev',
  PWD: '/home/dev/work',
  USER: 'dev',
  GITHUB_TOKEN: keys.githubClassic,
  DB_PASSWORD: 'hunter22',
  DATABASE_URL: 'postgres://app:s3cretPass@db:5432/app',
};

describe('snapshotEnvironment', () => {
  it('shares only the default harmless names when none are given', () => {
    const { env: part, withheld } = snapshotEnvironment(env, undefined, system);
    assert.deepEqual(part, {
      vars: {
        LANG: 'en_US.UTF-8',
        LC_ALL: 'C',
        NODE_ENV: 'test',
        SHELL: '/usr/bin/zsh',
        TERM: 'xterm-256color',
      },
      system,
    });
    assert.deepEqual(withheld, []);
  });

  it('withholds secrets the user allowed, and says so', () => {
    const { env: part, withheld } = snapshotEnvironment(
      env,
      ['DB_PASSWORD', 'DATABASE_URL', 'GITHUB_TOKEN', 'USER'],
      system,
    );
    assert.deepEqual(part.vars, { USER: 'dev' });
    assert.deepEqual(
      withheld.map((w) => [w.source, w.name, w.reason]),
      [
        ['env', 'DATABASE_URL', 'secret-value'],
        ['env', 'DB_PASSWORD', 'secret-name'],
        ['env', 'GITHUB_TOKEN', 'secret-name'],
      ],
    );
  });

  it('describes this machine coarsely', () => {
    const info = systemInfo({ SHELL: '/bin/bash' });
    assert.equal(info.shell, 'bash');
    assert.equal(info.node, process.version);
    assert.match(info.os, /^[a-z0-9]+ \S+$/);
    assert.equal(systemInfo({}).shell, undefined);
  });
});
