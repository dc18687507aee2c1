import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { runCli, tempHome } from '../support/cli.ts';

/** Bad input to discover, card, workspace and share-context: exit 2 (or 3), a clear line, no stack. */
describe('discover, card, workspace, share-context: usage errors (no server needed)', () => {
  const expectUsage = async (args: string[], pattern: RegExp, code = 2): Promise<void> => {
    const r = await runCli(args, tempHome());
    assert.equal(r.code, code, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, pattern);
    assert.doesNotMatch(r.stderr, /^\s+at /m);
  };

  it('share-context says what is missing or does not fit, before connecting', async () => {
    await expectUsage(['share-context', '--git'], /say where to share: --to WORKSPACE/);
    await expectUsage(['share-context', '--to', '#w:x.org'], /nothing to share: give --git/);
    await expectUsage(
      ['share-context', '--to', '#w:x.org', '--base', 'HEAD'],
      /--base goes with --git/,
    );
    await expectUsage(
      ['share-context', '--to', '#w:x.org', '--allow', 'LANG'],
      /--allow goes with --env/,
    );
    await expectUsage(
      ['share-context', '--to', '#w:x.org', '--note', 'a', '--note-file', '/dev/null'],
      /either with --note or with --note-file/,
    );
  });

  it('share-context --git outside a repository, or with a base that is not a commit', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mx-norepo-'));
    const r = await runCli(
      ['share-context', '--to', '#w:x.org', '--git'],
      tempHome(),
      undefined,
      30_000,
      dir,
    );
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /is not inside a git working tree/);
  });

  it('card set checks names, capabilities and skills files', async () => {
    await expectUsage(
      ['card', 'set', '--capability', 'Bad Name'],
      /expected a capability name of lower-case letters/,
    );
    await expectUsage(['card', 'set', '--name', ' '], /expected --name to be 1 to 200 characters/);
    await expectUsage(['card', 'set', '--kind', 'robot'], /argument 'robot' is invalid/);
    const file = join(mkdtempSync(join(tmpdir(), 'mx-skills-')), 'skills.json');
    writeFileSync(file, '[{"version": "1"}]');
    await expectUsage(['card', 'set', '--skills-file', file], /skills\[0\]: expected \{name/);
  });

  it('card set then card show round-trips, with no profile at all', async () => {
    const env = tempHome();
    const set = await runCli(
      ['--json', 'card', 'set', '--name', 'solo', '--add-capability', 'build'],
      env,
    );
    assert.equal(set.code, 0, set.stderr);
    const shown = await runCli(['card', 'show'], env);
    assert.equal(shown.code, 0, shown.stderr);
    assert.match(shown.stdout, /^solo {2}\(agt-[a-z2-7]{16}, cli\)$/m);
    assert.match(shown.stdout, /^capabilities: build$/m);
  });

  it('discover and workspace need a profile, and say how to get one', async () => {
    await expectUsage(['discover'], /no profile yet/, 3);
    await expectUsage(
      ['discover', '--capability', 'Bad!'],
      /expected --capability to be a name like code-review/,
    );
    await expectUsage(['discover', '--search', 'x'], /--search and --server go with --public/);
    await expectUsage(['workspace', 'create', '#w:x.org'], /no profile yet/, 3);
    const list = await runCli(['workspace', 'list'], tempHome());
    assert.equal(list.code, 0);
    assert.match(list.stdout, /no workspaces yet/);
  });

  it('context show wants a share id', async () => {
    await expectUsage(['context', 'show', 'nope'], /expected a share id like ctx-/);
    await expectUsage(['context', 'pull', 'ctx-'], /no profile yet/, 3);
  });
});
