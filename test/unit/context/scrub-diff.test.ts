import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { scrubText } from '../../../src/context/scrub.ts';
import { packageLock } from './corpus.ts';
import { Draw, fakeSecrets } from './fake-secrets.ts';
import { assertNoLeak } from './scrub-assert.ts';

/**
 * Real `git diff` output, scrubbed, then applied with `git apply` to the old tree: what a peer
 * does with a shared diff. Runs git as a subprocess in a temporary repository.
 */

const hasGit = spawnSync('git', ['--version']).status === 0;
let repo = '';

/** Runs git in the temporary repository; fails the test with git's own message. */
function git(...args: string[]): string {
  // `reset --hard` and `clean` below must never run anywhere but the temporary repository.
  assert.ok(repo.startsWith(join(tmpdir(), 'mx-agent-scrub-')), `not a temporary repo: ${repo}`);
  const result = spawnSync('git', args, {
    cwd: repo,
    encoding: 'utf8',
    env: { ...process.env, GIT_CONFIG_NOSYSTEM: '1', HOME: repo },
  });
  assert.equal(result.status, 0, `git ${args.join(' ')} failed: ${result.stderr}`);
  return result.stdout;
}

/** Applies `diff` to the committed tree (the working tree reset first) and reads `file` back. */
function applyToCommitted(diff: string, file: string): string {
  git('reset', '-q', '--hard');
  git('clean', '-fdq');
  writeFileSync(join(repo, 'shared.diff'), diff);
  git('apply', '--whitespace=nowarn', 'shared.diff');
  rmSync(join(repo, 'shared.diff'));
  return readFileSync(join(repo, file), 'utf8');
}

describe(
  'a scrubbed git diff still applies',
  { skip: hasGit ? false : 'git is not installed' },
  () => {
    before(() => {
      repo = mkdtempSync(join(tmpdir(), 'mx-agent-scrub-'));
      git('init', '-q');
      git('config', 'user.email', 'dev@example.com');
      git('config', 'user.name', 'Dev');
      writeFileSync(join(repo, '.env'), 'NODE_ENV=development\nPORT=3000\nDB_PASSWORD=\n');
      writeFileSync(join(repo, 'package-lock.json'), packageLock(1));
      git('add', '.');
      git('commit', '-qm', 'initial');
    });
    after(() => {
      rmSync(repo, { recursive: true, force: true });
    });

    it('a lockfile diff comes back byte-identical and applies', () => {
      writeFileSync(join(repo, 'package-lock.json'), packageLock(2));
      const diff = git('diff');
      assert.ok(diff.includes('+      "integrity": "sha512-'));
      const scrubbed = scrubText(diff);
      assert.deepEqual(scrubbed.redactions, []);
      assert.equal(scrubbed.text, diff);
      assert.equal(applyToCommitted(scrubbed.text, 'package-lock.json'), packageLock(2));
    });

    it('added secrets, a new key file among them, become markers in the applied files', () => {
      const keys = fakeSecrets(31);
      const password = new Draw(5).chars(20);
      writeFileSync(
        join(repo, '.env'),
        `NODE_ENV=development\nPORT=3000\nDB_PASSWORD=${password}\nGITHUB_TOKEN=${keys.githubClassic}\n`,
      );
      writeFileSync(join(repo, 'deploy_key'), `${keys.opensshPem}\n`);
      git('add', '-N', 'deploy_key');
      const diff = git('diff');
      const scrubbed = scrubText(diff);
      const body = keys.opensshPem.split('\n').filter((line) => !line.startsWith('-----'));
      assertNoLeak(diff, scrubbed, [password, keys.githubClassic, ...body]);
      assert.equal(
        applyToCommitted(scrubbed.text, '.env'),
        'NODE_ENV=development\nPORT=3000\nDB_PASSWORD=[REDACTED:secret-assignment]\nGITHUB_TOKEN=[REDACTED:github-token]\n',
      );
      const key = readFileSync(join(repo, 'deploy_key'), 'utf8').split('\n');
      assert.equal(key.length, keys.opensshPem.split('\n').length + 1);
      assert.ok(key.slice(0, -1).every((line) => line === '[REDACTED:private-key]'));
    });
  },
);
