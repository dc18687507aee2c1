import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { ConfigError, UsageError } from '../../../src/errors.ts';
import { resolvePaths } from '../../../src/config/paths.ts';
import { parseProfileName, type Profile } from '../../../src/config/profile.ts';
import { ProfileStore } from '../../../src/config/profiles.ts';

const profile = (name: string, jid = `${name}@example.org`): Profile => ({
  name,
  network: 'xmpp',
  account: { mode: 'client', jid, tls: 'starttls' },
  createdAt: '2026-11-24T00:00:00.000Z',
});

const store = (): { profiles: ProfileStore; dir: string } => {
  const dir = join(mkdtempSync(join(tmpdir(), 'mx-agent-cfg-')), 'nested', 'mx-agent');
  return { profiles: new ProfileStore({ config: dir }), dir };
};

test('config and data dirs honour the override, then XDG, then HOME', () => {
  assert.deepEqual(
    resolvePaths({ HOME: '/h', MX_AGENT_CONFIG_DIR: '/c', MX_AGENT_DATA_DIR: '/d' }),
    { config: '/c', data: '/d' },
  );
  assert.deepEqual(resolvePaths({ HOME: '/h', XDG_CONFIG_HOME: '/x', XDG_DATA_HOME: '/y' }), {
    config: '/x/mx-agent',
    data: '/y/mx-agent',
  });
  assert.deepEqual(resolvePaths({ HOME: '/h' }), {
    config: '/h/.config/mx-agent',
    data: '/h/.local/share/mx-agent',
  });
  // XDG Base Directory spec: empty or relative values are ignored.
  assert.deepEqual(resolvePaths({ HOME: '/h', XDG_CONFIG_HOME: '', XDG_DATA_HOME: 'rel' }), {
    config: '/h/.config/mx-agent',
    data: '/h/.local/share/mx-agent',
  });
});

test('save, list, get by name or default, remove; the first profile is the default', () => {
  const { profiles } = store();
  assert.deepEqual(profiles.list(), []);
  assert.throws(
    () => profiles.get(),
    (e: unknown) => e instanceof ConfigError && /login xmpp --jid/.test(e.message),
  );
  assert.deepEqual(profiles.save(profile('alice'), 'pw-a'), { isDefault: true });
  assert.deepEqual(profiles.save(profile('bob'), 'pw-b'), { isDefault: false });
  assert.equal(profiles.get().name, 'alice');
  assert.equal(profiles.get('bob').name, 'bob');
  assert.equal(profiles.readSecret('bob'), 'pw-b');
  profiles.setDefault('bob');
  assert.equal(profiles.get().name, 'bob');
  assert.deepEqual(profiles.save(profile('carol'), 'pw-c', { makeDefault: true }), {
    isDefault: true,
  });
  assert.deepEqual(
    profiles.list().map((p) => p.name),
    ['alice', 'bob', 'carol'],
  );
  profiles.remove('carol');
  assert.equal(profiles.defaultName(), 'alice', 'the default moves to a remaining profile');
  profiles.remove('bob');
  assert.throws(
    () => profiles.get('bob'),
    (e: unknown) =>
      e instanceof ConfigError &&
      e.message === 'no profile named "bob"; `mx-agent profiles` lists them',
  );
  assert.throws(() => profiles.readSecret('bob'), ConfigError);
  profiles.remove('alice');
  assert.equal(profiles.defaultName(), undefined);
  assert.throws(() => profiles.setDefault('alice'), ConfigError);
});

test('saving again replaces the profile and its secret atomically, leaving no temp files', () => {
  const { profiles, dir } = store();
  profiles.save(profile('alice'), 'old');
  profiles.save(profile('alice', 'alice@other.example'), 'new');
  assert.equal(profiles.readSecret('alice'), 'new');
  assert.deepEqual(profiles.get('alice').account, profile('alice', 'alice@other.example').account);
  assert.deepEqual(readdirSync(join(dir, 'secrets')), ['alice.json']);
  assert.equal(profiles.list().length, 1);
});

test('a profile is stored without its secret, and the secret survives a new store instance', () => {
  const { profiles, dir } = store();
  profiles.save(profile('alice'), 'hunter2');
  assert.ok(!readFileSync(join(dir, 'profiles.json'), 'utf8').includes('hunter2'));
  const again = new ProfileStore({ config: dir });
  assert.equal(again.get().name, 'alice');
  assert.equal(again.readSecret('alice'), 'hunter2');
});

test('a missing or damaged secret file is a config error that names the fix, not the content', () => {
  const { profiles, dir } = store();
  profiles.save(profile('alice'), 'hunter2');
  writeFileSync(join(dir, 'secrets', 'alice.json'), 'hunter2 but not JSON');
  assert.throws(
    () => profiles.readSecret('alice'),
    (e: unknown) =>
      e instanceof ConfigError && /log in again/.test(e.message) && !e.message.includes('hunter2'),
  );
  rmSync(join(dir, 'secrets', 'alice.json'));
  assert.throws(() => profiles.readSecret('alice'), /secret of profile "alice" is missing/);
});

test('secrets are files of mode 0600 in a 0700 directory; the profile list is 0600 and holds no secret', () => {
  const { profiles, dir } = store();
  profiles.save(profile('alice'), 'hunter2');
  assert.equal(statSync(join(dir, 'secrets', 'alice.json')).mode & 0o777, 0o600);
  assert.equal(statSync(join(dir, 'secrets')).mode & 0o777, 0o700);
  assert.equal(statSync(join(dir, 'profiles.json')).mode & 0o777, 0o600);
  assert.equal(statSync(dir).mode & 0o777, 0o700);
});

test('profile names are safe file names', () => {
  assert.equal(parseProfileName('alice@example.org'), 'alice@example.org');
  for (const bad of ['../x', '.hidden', 'a/b', '', 'a b', 'a..b']) {
    assert.throws(() => parseProfileName(bad), UsageError, bad);
  }
});

test('logins in several processes at once keep every profile', async () => {
  const { dir } = store();
  const module = new URL('../../../src/config/profiles.ts', import.meta.url).href;
  // Each process saves 15 profiles of its own as fast as it can, all into one profiles.json.
  const script = (n: number) =>
    `import { ProfileStore } from ${JSON.stringify(module)};
     const s = new ProfileStore({ config: ${JSON.stringify(dir)} });
     for (let i = 0; i < 15; i++)
       s.save({ name: 'p${String(n)}-' + i, network: 'xmpp', createdAt: '2026-11-26T00:00:00.000Z',
         account: { mode: 'client', jid: 'p${String(n)}-' + i + '@example.org', tls: 'starttls' } }, 'pw');`;
  const { spawn } = await import('node:child_process');
  const codes = await Promise.all(
    [1, 2, 3, 4].map(
      (n) =>
        new Promise<number | null>((resolve) => {
          const child = spawn(process.execPath, ['--input-type=module', '-e', script(n)], {
            stdio: 'inherit',
          });
          child.once('close', resolve);
        }),
    ),
  );
  assert.deepEqual(codes, [0, 0, 0, 0]);
  assert.equal(new ProfileStore({ config: dir }).list().length, 60);
  assert.deepEqual(
    readdirSync(dir).filter((f) => f.endsWith('.lock')),
    [],
    'no lock left behind',
  );
});
