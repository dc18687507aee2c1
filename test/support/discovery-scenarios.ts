/**
 * discover, workspaces and share-context end to end, the same scenarios on each network: every
 * agent is its own installation (its own HOME, so its own agent id) running the built CLI, with
 * a session host that beats every second.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  mkdtempSync,
  readFileSync,
  readdirSync,
  statSync,
  writeFileSync,
  mkdirSync,
  renameSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { treeHash } from '../../src/context/git-index.ts';
import { runCli, stopHosts, tempHome, type CliResult } from './cli.ts';
import { startCliInPty } from './pty-cli.ts';
import { eventually } from './stream-scenarios.ts';

/** What a network brings. */
export interface DiscoveryNetwork {
  /** A workspace name nobody has used. */
  workspace(): string;
  /** Create an account and log `env`'s profile in to it; returns its address. */
  account(env: NodeJS.ProcessEnv, profile: string): Promise<string>;
  /** Every file where the server keeps what it stores (events, archives, uploads). */
  storedFiles(): string[];
  /** Flip bytes of every stored upload or media item created after `since` (ms). */
  tamperUploads(since: number): number;
  dispose(): Promise<void>;
}

/** One agent: its own home and one profile. */
interface Agent {
  readonly env: NodeJS.ProcessEnv;
  readonly address: string;
  run(args: string[], cwd?: string, timeoutMs?: number): Promise<CliResult>;
}

const SECRETS = {
  aws: 'AKIAIOSFODNN7EXAMPLE',
  awsSecret: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
  github: `ghp_${'R'.repeat(10)}${'x7'.repeat(13)}`,
  pem: 'MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7',
  db: 'hunter2-db-password-91',
};

function ok(r: CliResult, what: string): CliResult {
  assert.equal(r.code, 0, `${what} exited ${String(r.code)}: ${r.stderr}`);
  return r;
}

function git(cwd: string, ...args: string[]): string {
  return execFileSync('git', args, {
    cwd,
    encoding: 'utf8',
    env: {
      ...process.env,
      GIT_CONFIG_GLOBAL: '/dev/null',
      GIT_CONFIG_NOSYSTEM: '1',
      GIT_AUTHOR_NAME: 't',
      GIT_AUTHOR_EMAIL: 't@e',
      GIT_COMMITTER_NAME: 't',
      GIT_COMMITTER_EMAIL: 't@e',
    },
  });
}

/** A repo with a commit pushed to a bare origin, then every kind of change, secrets planted. */
function makeRepo(): { repo: string; origin: string } {
  const dir = mkdtempSync(join(tmpdir(), 'mx-share-'));
  const origin = join(dir, 'origin.git');
  const repo = join(dir, 'work');
  git(dir, 'init', '-q', '--bare', '-b', 'main', origin);
  git(dir, 'clone', '-q', origin, repo);
  mkdirSync(join(repo, 'src'));
  writeFileSync(join(repo, 'src', 'app.ts'), 'export const a = 1;\n'.repeat(20));
  writeFileSync(join(repo, 'src', 'old-name.ts'), 'export const moved = true;\n'.repeat(30));
  writeFileSync(join(repo, 'README.md'), '# demo\n');
  git(repo, 'add', '-A');
  git(repo, 'commit', '-q', '-m', 'initial');
  git(repo, 'push', '-q', 'origin', 'main');
  writeFileSync(join(repo, 'src', 'app.ts'), 'export const a = 2;\n'.repeat(20));
  renameSync(join(repo, 'src', 'old-name.ts'), join(repo, 'src', 'new-name.ts'));
  writeFileSync(join(repo, 'logo.bin'), Buffer.from([...Array(256).keys()]));
  writeFileSync(
    join(repo, 'config.env'),
    `AWS_ACCESS_KEY_ID=${SECRETS.aws}\nAWS_SECRET_ACCESS_KEY=${SECRETS.awsSecret}\nGITHUB_TOKEN=${SECRETS.github}\nDB_PASSWORD=${SECRETS.db}\nPORT=8080\n`,
  );
  writeFileSync(
    join(repo, 'deploy.key.txt'),
    `-----BEGIN PRIVATE KEY-----\n${SECRETS.pem}\n-----END PRIVATE KEY-----\n`,
  );
  // Big enough that the bundle travels as an attachment, not inline.
  writeFileSync(
    join(repo, 'data.txt'),
    randomBytes(60_000)
      .toString('hex')
      .replace(/(.{80})/g, '$1\n'),
  );
  return { repo, origin };
}

/** Register the scenarios for one network. */
export function discoveryScenarios(
  name: string,
  makeNetwork: () => Promise<DiscoveryNetwork>,
): void {
  describe(`discover and share-context: ${name}`, () => {
    let net: DiscoveryNetwork;
    const agents: Agent[] = [];
    const agent = async (label: string, extra: NodeJS.ProcessEnv = {}): Promise<Agent> => {
      const env = {
        ...tempHome(),
        MX_AGENT_HEARTBEAT_MS: '1000',
        MX_AGENT_HOST_IDLE_MS: '120000',
        ...extra,
      };
      const address = await net.account(env, label);
      const a: Agent = {
        env,
        address,
        run: (args, cwd, timeoutMs = 60_000) => runCli(args, env, undefined, timeoutMs, cwd),
      };
      agents.push(a);
      return a;
    };
    const discover = async (
      a: Agent,
      ...args: string[]
    ): Promise<
      { id: string; liveness: string; card: { name: string; capabilities: string[] } }[]
    > => {
      const r = ok(await a.run(['--json', 'discover', ...args]), 'discover');
      return (JSON.parse(r.stdout) as { agents: never[] }).agents;
    };

    before(async () => {
      net = await makeNetwork();
    });
    after(async () => {
      await Promise.allSettled(agents.map((a) => stopHosts(a.env)));
      await net.dispose();
    });

    it('finds two and three agents with their capabilities, filters, and sees one go stale then offline', async () => {
      const [alpha, bravo, charlie] = await Promise.all([
        agent('alpha'),
        agent('bravo'),
        agent('charlie'),
      ]);
      assert.ok(alpha && bravo && charlie);
      ok(await alpha.run(['card', 'set', '--name', 'alpha', '--capability', 'build']), 'card set');
      ok(
        await bravo.run([
          'card',
          'set',
          '--name',
          'bravo',
          '--capability',
          'build',
          '--capability',
          'review',
        ]),
        'card set',
      );
      ok(
        await charlie.run([
          'card',
          'set',
          '--name',
          'charlie',
          '--kind',
          'serve',
          '--add-capability',
          'review',
        ]),
        'card set',
      );
      const ws = net.workspace();
      ok(await alpha.run(['workspace', 'create', ws, '--title', 'Agents']), 'create');
      ok(await alpha.run(['workspace', 'invite', ws, bravo.address]), 'invite');
      ok(await bravo.run(['workspace', 'join', ws]), 'join');
      let seen: Awaited<ReturnType<typeof discover>> = [];
      await eventually(
        () => seen.length === 2,
        () => JSON.stringify(seen),
        30_000,
      ).catch(() => undefined);
      for (let i = 0; i < 60 && seen.filter((s) => s.liveness === 'active').length < 2; i++)
        seen = await discover(bravo);
      assert.deepEqual(seen.map((s) => s.card.name).sort(), ['alpha', 'bravo']);
      ok(await alpha.run(['workspace', 'invite', ws, charlie.address]), 'invite');
      ok(await charlie.run(['workspace', 'join', ws]), 'join');
      for (let i = 0; i < 60 && seen.filter((s) => s.liveness === 'active').length < 3; i++)
        seen = await discover(alpha);
      assert.deepEqual(seen.map((s) => [s.card.name, s.liveness, s.card.capabilities]).sort(), [
        ['alpha', 'active', ['build']],
        ['bravo', 'active', ['build', 'review']],
        ['charlie', 'active', ['review']],
      ]);
      const review = await discover(alpha, '--capability', 'review');
      assert.deepEqual(review.map((s) => s.card.name).sort(), ['bravo', 'charlie']);
      const text = ok(await alpha.run(['discover', '--capability', 'build']), 'discover');
      assert.match(text.stdout, /NAME\s+KIND\s+STATUS/);
      assert.match(text.stdout, /alpha\s+cli\s+active/);
      assert.doesNotMatch(text.stdout, /charlie/);
      const listed = JSON.parse(
        ok(await charlie.run(['--json', 'workspace', 'list']), 'list').stdout,
      ) as { workspace: string }[];
      assert.deepEqual(
        listed.map((w) => w.workspace),
        [ws],
      );
      const own = JSON.parse(
        ok(await charlie.run(['--json', 'card', 'show']), 'card show').stdout,
      ) as { name: string; kind: string; addresses: { address: string }[] };
      assert.equal(own.name, 'charlie');
      assert.equal(own.kind, 'serve');
      assert.ok(own.addresses.some((a) => a.address === charlie.address));
      await liveTable(alpha.env, ['alpha', 'bravo', 'charlie']);
      // charlie's host dies without a goodbye: stale, then offline.
      const status = JSON.parse(
        ok(await charlie.run(['--json', 'daemon', 'status']), 'status').stdout,
      ) as { pid?: number }[] | { pid?: number };
      const pid = (Array.isArray(status) ? status[0] : status)?.pid;
      assert.ok(pid);
      process.kill(pid, 'SIGKILL');
      const states = new Set<string>();
      for (let i = 0; i < 80 && !states.has('offline'); i++) {
        const c = (await discover(alpha)).find((s) => s.card.name === 'charlie');
        states.add(c?.liveness ?? 'missing');
        await new Promise((r) => setTimeout(r, 250));
      }
      assert.ok(states.has('stale') && states.has('offline'), `saw ${[...states].join(', ')}`);
      // bravo leaves the workspace: offline at once, and gone from its list.
      ok(await bravo.run(['workspace', 'leave', ws]), 'leave');
      // Offline (XMPP: still a member of the room) or gone (Matrix: no longer a member).
      const b = (await discover(alpha)).find((s) => s.card.name === 'bravo');
      assert.ok(b === undefined || b.liveness === 'offline', JSON.stringify(b));
      assert.equal(
        ok(await bravo.run(['--json', 'workspace', 'list']), 'list').stdout.trim(),
        '[]',
      );
    });

    it('finds a public workspace in the directory', async () => {
      const owner = await agent('owner');
      const searcher = await agent('searcher');
      const tag = randomBytes(4).toString('hex');
      ok(
        await owner.run([
          'workspace',
          'create',
          net.workspace(),
          '--public',
          '--title',
          `Open ${tag}`,
        ]),
        'create',
      );
      const r = ok(
        await searcher.run(['--json', 'discover', '--public', '--search', tag]),
        'discover --public',
      );
      const found = (JSON.parse(r.stdout) as { public: { kind: string; name?: string }[] }).public;
      assert.ok(
        found.some((e) => e.kind === 'workspace' && e.name === `Open ${tag}`),
        r.stdout,
      );
    });

    it('shares a repository state that applies to an identical tree, with every secret withheld, and refuses a tampered bundle', async () => {
      const sender = await agent('sender', { DB_PASSWORD: SECRETS.db, LANG: 'C.UTF-8' });
      const receiver = await agent('receiver');
      const ws = net.workspace();
      ok(await sender.run(['workspace', 'create', ws]), 'create');
      ok(await sender.run(['workspace', 'invite', ws, receiver.address]), 'invite');
      ok(await receiver.run(['workspace', 'join', ws]), 'join');
      const { repo, origin } = makeRepo();
      const since = Date.now();
      const shared = ok(
        await sender.run(
          [
            '--json',
            'share-context',
            '--to',
            ws,
            '--git',
            '--files',
            'config.env',
            '--env',
            '--allow',
            'DB_PASSWORD',
            '--allow',
            'LANG',
            '--note',
            `token ${SECRETS.github}`,
            '--title',
            'failing build',
          ],
          repo,
          120_000,
        ),
        'share-context',
      );
      const sent = JSON.parse(shared.stdout) as { id: string; inline: boolean; withheld: string[] };
      assert.equal(sent.inline, false, 'a bundle this size travels as an attachment');
      const withheld = sent.withheld.join('\n');
      for (const what of ['DB_PASSWORD', 'AWS', 'GitHub', 'private key'])
        assert.match(withheld, new RegExp(what, 'i'));
      const clone = join(mkdtempSync(join(tmpdir(), 'mx-recv-')), 'clone');
      git(tmpdir(), 'clone', '-q', origin, clone);
      const listed = ok(await receiver.run(['--json', 'context', 'list']), 'context list');
      assert.match(listed.stdout, new RegExp(sent.id));
      const shown = ok(
        await receiver.run(['--json', 'context', 'show', sent.id.slice(0, 8)]),
        'context show',
      );
      const shownText = ok(
        await receiver.run(['context', 'show', sent.id, '--diff'], undefined, 60_000),
        'context show --diff',
      );
      assert.match(shownText.stdout, /\+PORT=8080/);
      const pulled = ok(
        await receiver.run(
          ['--json', 'context', 'pull', sent.id, '--apply', '--dir', join(clone, '..', 'pulled')],
          clone,
          120_000,
        ),
        'context pull',
      );
      const worktree = (
        JSON.parse(pulled.stdout) as { apply: { worktree: string; applied: boolean } }
      ).apply;
      assert.equal(worktree.applied, true, pulled.stdout);
      // The same tree, once the sender's copies of the two redacted files are replaced by what
      // arrived (secrets redacted in place, everything else intact).
      for (const file of ['config.env', 'deploy.key.txt']) {
        const arrived = readFileSync(join(worktree.worktree, file), 'utf8');
        assert.notEqual(arrived, readFileSync(join(repo, file), 'utf8'));
        writeFileSync(join(repo, file), arrived);
      }
      assert.match(readFileSync(join(repo, 'config.env'), 'utf8'), /PORT=8080/);
      const [got, want] = [await treeHash(worktree.worktree), await treeHash(repo)];
      if (got !== want) {
        const { withWorkingTreeIndex } = await import('../../src/context/git-index.ts');
        const { gitText } = await import('../../src/context/git-command.ts');
        const list = (root: string): Promise<string> =>
          withWorkingTreeIndex(root, (index) => gitText(['ls-files', '-s'], { cwd: root, index }));
        const detail = `${await list(repo)}\n---\n${await list(worktree.worktree)}`;
        assert.fail(`trees differ (${got} vs ${want}):\n${detail}`);
      }
      // No planted secret anywhere: not in what the receiver got, not in what the server stored.
      for (const secret of Object.values(SECRETS)) {
        assert.ok(!shown.stdout.includes(secret), `received bundle holds ${secret}`);
        assert.ok(!shownText.stdout.includes(secret), `received diff holds ${secret}`);
        for (const file of net.storedFiles()) {
          const bytes = readFileSync(file);
          assert.ok(!bytes.includes(secret), `${file} holds ${secret}`);
        }
      }
      // A small share straight to an agent named as discover shows it: inline, direct.
      ok(await receiver.run(['card', 'set', '--name', 'the-receiver']), 'card set');
      let direct: { id: string; inline: boolean } | undefined;
      for (let i = 0; i < 40 && !direct; i++) {
        const r = await sender.run([
          '--json',
          'share-context',
          '--to',
          'the-receiver',
          '--note',
          'see line 3',
        ]);
        if (r.code === 0) direct = JSON.parse(r.stdout) as { id: string; inline: boolean };
        else await new Promise((resolve) => setTimeout(resolve, 250));
      }
      assert.ok(direct, 'share-context --to AGENT-NAME');
      assert.equal(direct.inline, true);
      let notes = '';
      for (let i = 0; i < 40 && !notes.includes('see line 3'); i++) {
        const r = await receiver.run(['context', 'show', direct.id, '--with', sender.address]);
        notes = r.stdout;
      }
      assert.match(notes, /notes:\nsee line 3/);
      // Tamper with the stored attachment: the receiver refuses it, exit 7, saying why.
      assert.ok(net.tamperUploads(since) > 0, 'found the stored attachment');
      const tampered = await receiver.run(['context', 'show', sent.id]);
      assert.equal(tampered.code, 7, tampered.stderr);
      assert.match(tampered.stderr, /failed its integrity check/);
    });
  });
}

/** `discover` in a terminal: the live ink table shows `names`, and q quits with exit 0. */
async function liveTable(env: NodeJS.ProcessEnv, names: readonly string[]): Promise<void> {
  const {
    term,
    screen: drawn,
    exited,
  } = await startCliInPty(['discover'], env, {
    cols: 160,
    rows: 30,
  });
  let screen = '';
  const shows = (): boolean => {
    screen = drawn();
    return (
      /q to quit/.test(screen) && names.every((n) => screen.includes(n)) && /STATUS/.test(screen)
    );
  };
  const deadline = Date.now() + 30_000;
  while (!shows() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  assert.ok(shows(), `live table never showed ${names.join(', ')}:\n${screen}`);
  term.write('q');
  const code = await Promise.race([
    exited,
    new Promise<number>((r) => {
      setTimeout(() => {
        r(-1);
      }, 10_000);
    }),
  ]);
  if (code === -1) term.kill();
  assert.equal(code, 0, screen);
}

/** Every regular file under `dir`. */
export function filesUnder(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...filesUnder(path));
    else if (entry.isFile()) out.push(path);
  }
  return out;
}

/** Files under `dir` modified at or after `since`. */
export function filesSince(dir: string, since: number): string[] {
  return filesUnder(dir).filter((f) => statSync(f).mtimeMs >= since - 1000);
}
