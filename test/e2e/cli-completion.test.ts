import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { CLI, runCli, tempHome } from '../support/cli.ts';

/** What bash's completion function offers for `words` (the last one being completed). */
function bashComplete(script: string, words: readonly string[], env: NodeJS.ProcessEnv): string[] {
  const home = env.HOME ?? '';
  const file = join(home, 'completion.bash');
  writeFileSync(file, script);
  // `mx-agent` on PATH is the built CLI, for the --profile lookup.
  writeFileSync(join(home, 'mx-agent'), `#!/bin/sh\nexec "${process.execPath}" "${CLI}" "$@"\n`, {
    mode: 0o755,
  });
  const quoted = words.map((w) => `'${w}'`).join(' ');
  const r = spawnSync(
    'bash',
    [
      '-c',
      `source '${file}'; COMP_WORDS=(${quoted}); COMP_CWORD=${String(words.length - 1)}; _mx_agent; printf '%s\\n' "\${COMPREPLY[@]}"`,
    ],
    { env: { ...env, PATH: `${home}:${env.PATH ?? ''}` }, encoding: 'utf8' },
  );
  assert.equal(r.status, 0, r.stderr);
  return r.stdout.split('\n').filter((l) => l !== '');
}

describe('mx-agent completion', () => {
  it('bash: completes commands, subcommands, options and profile names', async () => {
    const env = tempHome();
    const r = await runCli(['completion', 'bash'], env);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(bashComplete(r.stdout, ['mx-agent', 'wor'], env), ['workspace', 'workflow']);
    assert.deepEqual(bashComplete(r.stdout, ['mx-agent', '--json', 'workflow', 'r'], env), ['run']);
    assert.deepEqual(bashComplete(r.stdout, ['mx-agent', 'serve', '--'], env), [
      '--config',
      '--worker-only',
      '--help',
    ]);
    // No profiles yet: nothing to offer, and no error.
    assert.deepEqual(bashComplete(r.stdout, ['mx-agent', '--profile', ''], env), []);
    // Two stored profiles (as `login` writes them): both offered.
    const profile = (name: string, jid: string) => ({
      name,
      createdAt: '2026-11-25T00:00:00.000Z',
      network: 'xmpp',
      account: { mode: 'client', jid, tls: 'required' },
    });
    writeFileSync(
      join(env.MX_AGENT_CONFIG_DIR ?? '', 'profiles.json'),
      JSON.stringify({
        profiles: {
          work: profile('work', 'a@example.org'),
          home: profile('home', 'b@example.org'),
        },
      }),
      { mode: 0o600 },
    );
    assert.deepEqual(bashComplete(r.stdout, ['mx-agent', '--profile', ''], env), ['home', 'work']);
  });

  it('zsh and fish: the same tree', async () => {
    const env = tempHome();
    const zsh = await runCli(['completion', 'zsh'], env);
    assert.equal(zsh.code, 0);
    assert.match(zsh.stdout, /^#compdef mx-agent\n/);
    assert.match(zsh.stdout, /bashcompinit/);
    assert.match(zsh.stdout, /'workflow run'\) words='[^']*--input/);
    const fish = await runCli(['completion', 'fish'], env);
    assert.equal(fish.code, 0);
    assert.match(
      fish.stdout,
      /complete -c mx-agent -n '__fish_seen_subcommand_from workflow; and not __fish_seen_subcommand_from validate run status logs' -a run -d /,
    );
    assert.match(fish.stdout, /-n '__fish_seen_subcommand_from serve' -l worker-only/);
  });

  it('refuses another shell with the choices (exit 2)', async () => {
    const r = await runCli(['completion', 'tcsh'], tempHome());
    assert.equal(r.code, 2);
    assert.match(r.stderr, /expected a shell: bash, zsh or fish, got "tcsh"/);
  });
});
