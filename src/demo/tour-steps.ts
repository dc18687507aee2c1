/**
 * The demo's tour, once the agents are up: trust and policy, `share-context` of a generated git
 * repository, a shared terminal watched by bob, a workflow across bob and carol, and a chat
 * with bob's `serve` agent.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { waitForLine } from './agents.ts';
import { detectSandbox } from '../security/sandbox.ts';
import type { DemoStep } from './setup-steps.ts';
import { retry, show, showLines, type DemoWorld } from './world.ts';

/** Everyone trusts the keys they saw on the cards; bob and carol let alice run `sh` in one place. */
export const trustStep: DemoStep = {
  title: 'They trust each other’s signing keys; bob and carol allow alice to run `sh`',
  run: async (world) => {
    const { alice, bob, carol, facts } = world;
    world.report({
      type: 'note',
      text: 'in real use people compare the fingerprints, or a 12-digit code with `trust pair`',
    });
    const pairs: [typeof alice, string][] = [
      [bob, 'alice'],
      [carol, 'alice'],
      [alice, 'bob'],
      [alice, 'carol'],
    ];
    for (const [who, whom] of pairs) {
      const args = ['trust', 'add', facts.ids[whom] ?? '', facts.fingerprints[whom] ?? ''];
      world.report({ type: 'command', agent: who.name, line: args.join(' ') });
      const result = await retry(world, who, args, 20_000);
      if (result.code !== 0)
        throw new Error(`${who.name} trust add ${whom} failed: ${result.stderr.trim()}`);
      showLines(world, result.stdout + result.stderr);
    }
    const sandbox = detectSandbox();
    world.report({
      type: 'note',
      text:
        sandbox.kind === 'bubblewrap'
          ? `jobs run in a bubblewrap sandbox (${sandbox.path} ${sandbox.version}): read-only system, no network`
          : `no sandbox here (${sandbox.reason}), so the demo's rule allows running without one`,
    });
    for (const worker of [bob, carol]) {
      const work = join(world.root, 'work', worker.name);
      mkdirSync(work, { recursive: true });
      const policy = [
        '# deny by default; this rule lets alice run sh in one directory',
        '[[allow]]',
        `requester = "${facts.ids.alice ?? ''}"`,
        'commands = ["sh"]',
        `cwd = ["${work}"]`,
        sandbox.kind === 'bubblewrap'
          ? 'require_sandbox = true'
          : 'require_sandbox = false # no bubblewrap on this machine',
      ].join('\n');
      writeFileSync(join(worker.configDir, 'policy.toml'), `${policy}\n`, { mode: 0o600 });
      world.report({ type: 'note', text: `${worker.name}'s policy.toml:` });
      showLines(world, policy);
    }
  },
};

/** A small git repository with a change and a secret, shared with bob; what bob receives. */
export const shareStep: DemoStep = {
  title: 'alice shares her work with bob: git state, diff and a note, secrets removed',
  run: async (world) => {
    const { alice, bob, facts } = world;
    const repo = join(world.root, 'project');
    makeRepository(repo);
    world.report({
      type: 'note',
      text: `${repo}: a git repository with an uncommitted change and a .env`,
    });
    const shared = await show(
      world,
      alice,
      [
        'share-context',
        '--to',
        facts.addresses.bob ?? '',
        '--git',
        '--note',
        'mul() is new: can you review it?',
      ],
      { cwd: repo },
    );
    const id = /ctx-[a-z0-9]+/.exec(shared.stdout + shared.stderr)?.[0];
    if (id === undefined)
      throw new Error(`expected a share id from share-context, got: ${shared.stdout}`);
    const args = ['context', 'show', id, '--with', facts.addresses.alice ?? '', '--diff'];
    world.report({ type: 'command', agent: 'bob', line: args.join(' ') });
    const seen = await retry(world, bob, args, 15_000);
    if (seen.code !== 0) throw new Error(`bob context show failed: ${seen.stderr.trim()}`);
    showLines(world, seen.stdout, 60);
  },
};

function makeRepository(repo: string): void {
  mkdirSync(repo, { recursive: true });
  const git = (...args: string[]) =>
    execFileSync(
      'git',
      [
        '-c',
        'user.name=alice',
        '-c',
        'user.email=alice@example.org',
        '-c',
        'commit.gpgsign=false',
        ...args,
      ],
      {
        cwd: repo,
        stdio: 'ignore',
      },
    );
  git('init', '-q', '-b', 'main');
  writeFileSync(join(repo, 'math.js'), 'export function add(a, b) {\n  return a + b;\n}\n');
  git('add', '.');
  git('commit', '-q', '-m', 'add()');
  writeFileSync(
    join(repo, 'math.js'),
    'export function add(a, b) {\n  return a + b;\n}\n\nexport function mul(a, b) {\n  return a * b;\n}\n',
  );
  // A made-up token: share-context must redact it before anything leaves.
  writeFileSync(
    join(repo, '.env'),
    `GITHUB_TOKEN=ghp_${'demo0not0a0real0token0'.padEnd(36, 'x')}\n`,
  );
}

/** alice shares a terminal in the workspace; bob watches it from the start. */
export const streamStep: DemoStep = {
  title: 'alice shares a live terminal; bob watches it',
  run: async (world) => {
    const { alice, bob, facts } = world;
    const ws = facts.matrixWorkspace;
    const program = 'for i in 1 2 3 4; do echo "test $i ... ok"; sleep 0.4; done; echo "4 passed"';
    world.report({
      type: 'command',
      agent: 'alice',
      line: `stream --to '${ws}' --title 'npm test' -- sh -c '…'`,
    });
    const sharer = alice.start([
      'stream',
      '--to',
      ws,
      '--title',
      'npm test',
      '--',
      'sh',
      '-c',
      program,
    ]);
    world.children.push(sharer);
    let sharerOut = '';
    sharer.stderr?.on('data', (d: Buffer) => (sharerOut += d.toString()));
    const ended = new Promise<number | null>((resolve) => sharer.once('close', resolve));
    showLines(
      world,
      await waitForLine(sharer, /^sharing stream/, {
        timeoutMs: 20_000,
        what: 'alice stream',
        signal: world.signal,
      }),
    );
    const watch = await show(world, bob, ['stream', 'attach', ws, '--from-start'], {
      timeoutMs: 30_000,
    });
    const code = await ended;
    if (code !== 0) throw new Error(`alice stream exited ${String(code)}: ${sharerOut}`);
    if (!watch.stdout.includes('4 passed'))
      throw new Error(`expected bob to see the whole output, got: ${watch.stdout}`);
  },
};

/** A two-job workflow: build on bob (Matrix), then test on carol (XMPP) with build's output. */
export const workflowStep: DemoStep = {
  title: 'alice runs a workflow: build on bob, then test on carol',
  run: async (world) => {
    const { alice, facts } = world;
    const file = join(world.root, 'demo-workflow.yml');
    const yaml = [
      'name: demo',
      'jobs:',
      '  build:',
      `    runs-on: ${facts.ids.bob ?? ''}`,
      `    working-directory: ${join(world.root, 'work', 'bob')}`,
      '    steps:',
      '      - id: b',
      '        run: sh -c "echo building on bob; echo ::output version=1.0.7"',
      '    outputs:',
      '      version: ${{ steps.b.outputs.version }}',
      '  test:',
      '    needs: [build]',
      '    runs-on: { capabilities: [test] }',
      `    working-directory: ${join(world.root, 'work', 'carol')}`,
      '    steps:',
      '      - run: sh -c \'echo "testing version $0 on carol, 12 passed"\' ${{ jobs.build.outputs.version }}',
    ].join('\n');
    writeFileSync(file, `${yaml}\n`);
    world.report({ type: 'note', text: `${file}:` });
    showLines(world, yaml);
    const run = await show(world, alice, ['workflow', 'run', file], { timeoutMs: 60_000 });
    if (!(run.stdout + run.stderr).includes('testing version 1.0.7 on carol'))
      throw new Error(`expected carol's job to get bob's output, got:\n${run.stdout}${run.stderr}`);
    world.facts.runId = /\brun-[0-9a-f]+/.exec(run.stdout + run.stderr)?.[0];
  },
};

/** alice asks bob something in an encrypted direct conversation; bob's model answers. */
export const chatStep: DemoStep = {
  title: 'alice chats with bob, the serve agent',
  run: async (world) => {
    const { alice, facts } = world;
    const bob = facts.addresses.bob ?? '';
    const offline = world.model?.type !== 'ollama';
    const timeout = offline ? 30 : 120;
    const listen = alice.start(['listen', '--count', '1', '--timeout', String(timeout)]);
    world.children.push(listen);
    let heard = '';
    listen.stdout?.on('data', (d: Buffer) => (heard += d.toString()));
    const ended = new Promise<number | null>((resolve) => listen.once('close', resolve));
    await waitForLine(listen, /^listening as /, {
      timeoutMs: 20_000,
      what: 'alice listen',
      signal: world.signal,
    });
    const question = 'In one sentence: what can you do for me?';
    await show(world, alice, ['send', bob, question]);
    if (!offline)
      world.report({
        type: 'note',
        text: `waiting for ${world.model?.model ?? 'the model'} (up to ${String(timeout)} s)…`,
      });
    const code = await ended;
    world.report({ type: 'command', agent: 'alice', line: 'listen --count 1' });
    showLines(world, heard);
    if (code !== 0)
      throw new Error(`expected bob's answer within ${String(timeout)} s, got nothing`);
  },
};

/** Every step, in order. */
export function tourSteps(): DemoStep[] {
  return [trustStep, shareStep, streamStep, workflowStep, chatStep];
}

/** The commands to try by hand after `--keep`. */
export function tryLines(world: DemoWorld, aliasFile: string): string[] {
  const ws = world.facts.matrixWorkspace;
  return [
    'Everything is still running. In another terminal:',
    `  source ${aliasFile}`,
    '  alice discover',
    `  alice send ${world.facts.addresses.bob ?? ''} 'hello bob'     # bob (serve) answers; see it with: alice listen`,
    `  alice stream --to '${ws}' -- top    # and in a third terminal: bob stream attach '${ws}'`,
    `  alice workflow run ${join(world.root, 'demo-workflow.yml')}`,
    ...(world.facts.runId ? [`  alice workflow status ${world.facts.runId}`] : []),
    'Ctrl-C here stops the servers and agents and removes the demo’s files.',
  ];
}
