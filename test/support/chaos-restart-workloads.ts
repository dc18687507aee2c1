/**
 * Traffic the server-restart chaos test keeps in flight, each kind counting what arrived: a
 * shared terminal stream (numbered lines) and a workflow run across worker agents (jobs that
 * mark a file each time they run); the chat is in chaos-restart-chat.ts. Every one records
 * when it saw progress, for the recovery times.
 */
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli, startCli } from './cli.ts';
import { share, start, type Running } from './stream-scenarios.ts';
import type { WorkflowAgent } from './workflow-agents.ts';

/** What a workload checked, and what went missing or came twice. */
export interface WorkloadFigures {
  readonly what: string;
  readonly checked: number;
  readonly lost: number;
  readonly duplicated: number;
  /** Why the check failed beyond counts (exit code, order, a missing output); empty when fine. */
  readonly problems: readonly string[];
}

/** Traffic in flight. */
export interface Workload {
  readonly name: string;
  /** When progress was seen (Date.now()): a line shown, a run event, an answer. */
  readonly progress: readonly number[];
  /** Far enough along that a restart now hits it mid-way. */
  ready(): boolean;
  /** Let it finish: it runs on until told (so that every restart hits it mid-way). */
  release(): void;
  /** True once it is over (successfully or not). */
  finished(): boolean;
  /** Resolves when it is over. */
  readonly done: Promise<void>;
  /** What was checked; call after `done`. */
  figures(): WorkloadFigures;
  /** What it printed, for a failure message. */
  show(): string;
  /** The test failed: end it now (kill its processes, stop sending). */
  abort(): void;
}

/** How often each number occurs in `seen`, as lost (never) and duplicated (extra times). */
export function countOf(
  expected: readonly string[],
  seen: readonly string[],
): { lost: number; duplicated: number } {
  const counts = new Map(expected.map((e) => [e, 0]));
  let duplicated = 0;
  for (const s of seen) {
    const n = counts.get(s);
    if (n === undefined) continue;
    if (n > 0) duplicated++;
    counts.set(s, n + 1);
  }
  return { lost: [...counts.values()].filter((n) => n === 0).length, duplicated };
}

const STREAM_EXIT = 5;

/**
 * `alice` shares a program printing a numbered line every 0.1 s into `workspace` until
 * released (then it exits 5); `bob`, already a member, watches it from the start.
 */
export async function streamWorkload(env: NodeJS.ProcessEnv, workspace: string): Promise<Workload> {
  // MX_AGENT_CHAOS_DEBUG=1: the CLI and the session hosts it starts log verbosely.
  const verbose = process.env.MX_AGENT_CHAOS_DEBUG === '1' ? ['-v'] : [];
  const hello = await runCli(
    [...verbose, '--profile', 'bob', 'send', workspace, 'here to watch'],
    env,
  );
  if (hello.code !== 0) throw new Error(`bob could not join ${workspace}: ${hello.stderr}`);
  const stop = join(mkdtempSync(join(tmpdir(), 'mx-chaos-stream-')), 'stop');
  const script = `sleep 1; i=0; while [ ! -e ${stop} ]; do i=$((i+1)); echo "line $i"; sleep 0.1; done; exit ${String(STREAM_EXIT)}`;
  const sharer = await share(env, 'alice', [
    ...verbose,
    '--to',
    workspace,
    '--pipe',
    '--',
    'sh',
    '-c',
    script,
  ]);
  const viewer = start(
    [
      ...verbose,
      '--profile',
      'bob',
      'stream',
      'attach',
      workspace,
      '--stream',
      sharer.id,
      '--from-start',
    ],
    env,
  );
  const progress: number[] = [];
  viewer.child.stdout?.on('data', () => progress.push(Date.now()));
  const codes: (number | null)[] = [];
  const done = Promise.all([sharer.closed, viewer.closed]).then((c) => {
    codes.push(...c);
  });
  const lines = (who: Running): string[] => who.stdout().toString().split('\n').slice(0, -1);
  return {
    name: 'stream',
    progress,
    ready: () => lines(viewer).length >= 10,
    release: () => {
      writeFileSync(stop, '');
    },
    finished: () => codes.length > 0,
    done,
    figures: () => {
      // The sharer shows its program's output as it is: what the viewer must see.
      const written = lines(sharer);
      const expected = written.map((_, i) => `line ${String(i + 1)}`);
      const seen = lines(viewer);
      const problems: string[] = [];
      if (written.join('\n') !== expected.join('\n')) problems.push('the program wrote garbage');
      if (seen.join('\n') !== expected.join('\n'))
        problems.push(`the lines are not 1…${String(expected.length)} in order`);
      if (codes[0] !== STREAM_EXIT) problems.push(`the sharer exited ${String(codes[0])}`);
      if (codes[1] !== STREAM_EXIT) problems.push(`the viewer exited ${String(codes[1])}`);
      if (!/sha256 verified/.test(viewer.stderr())) problems.push('no "sha256 verified"');
      return { what: 'lines', checked: expected.length, ...countOf(expected, seen), problems };
    },
    show: () =>
      `sharer:\n${sharer.stderr()}\nviewer:\n${viewer.stderr()}\n${viewer.stdout().toString().slice(-400)}`,
    abort: () => {
      sharer.child.kill('SIGKILL');
      viewer.child.kill('SIGKILL');
    },
  };
}

const JOBS = ['prepare', 'slow', 'quick', 'middle', 'gather'] as const;

/**
 * A run of five jobs on three workers: `prepare` (2 s), then at once on the three workers
 * `quick` (2 s), `middle` (7 s) and `slow` (saying so every half second until released),
 * then `gather`, which needs every output. Each job appends a line to `<job>.count` in `dir` when it runs.
 */
export function workflowWorkload(
  boss: WorkflowAgent,
  workers: readonly WorkflowAgent[],
  dir: string,
): Workload {
  const [w1, w2, w3] = workers as [WorkflowAgent, WorkflowAgent, WorkflowAgent];
  const mark = (job: string): string => `echo ran >> ${job}.count`;
  const release = join(dir, 'release');
  const part = (job: string, agent: WorkflowAgent, wait: string): string => `  ${job}:
    needs: [prepare]
    runs-on: ${agent.id}
    working-directory: ${dir}
    steps:
      - id: s
        run: sh -c '${mark(job)}; ${wait}; echo ::output v=${job}-\${{ jobs.prepare.outputs.seed }}'
    outputs:
      v: \${{ steps.s.outputs.v }}
`;
  const file = join(dir, 'restart.yml');
  writeFileSync(
    file,
    `name: restart
jobs:
  prepare:
    runs-on: ${w1.id}
    working-directory: ${dir}
    steps:
      - id: s
        run: sh -c '${mark('prepare')}; sleep 2; echo ::output seed=42'
    outputs:
      seed: \${{ steps.s.outputs.seed }}
${part('slow', w1, `while [ ! -e ${release} ]; do echo waiting; sleep 0.5; done`)}${part('quick', w2, 'sleep 2')}${part('middle', w3, 'sleep 7')}  gather:
    needs: [slow, quick, middle]
    runs-on: ${w2.id}
    working-directory: ${dir}
    steps:
      - run: sh -c '${mark('gather')}; echo "gathered \${{ jobs.slow.outputs.v }} \${{ jobs.quick.outputs.v }} \${{ jobs.middle.outputs.v }}"'
`,
  );
  const child = startCli(['--json', 'workflow', 'run', file], boss.env);
  let out = '';
  let err = '';
  const progress: number[] = [];
  child.stdout?.on('data', (d: Buffer) => {
    out += d.toString();
    progress.push(Date.now());
  });
  child.stderr?.on('data', (d: Buffer) => (err += d.toString()));
  let code: number | null | undefined;
  const done = new Promise<void>((resolve) =>
    child.once('close', (c) => {
      code = c;
      resolve();
    }),
  );
  const runs = (job: string): string[] => {
    const path = join(dir, `${job}.count`);
    return existsSync(path) ? readFileSync(path, 'utf8').trim().split('\n') : [];
  };
  return {
    name: 'workflow',
    progress,
    ready: () => ['slow', 'quick', 'middle'].every((job) => runs(job).length > 0),
    release: () => {
      writeFileSync(release, '');
    },
    finished: () => code !== undefined,
    done,
    figures: () => {
      const seen = JOBS.flatMap((job) => runs(job).map(() => job));
      const problems: string[] = [];
      if (code !== 0) problems.push(`workflow run exited ${String(code)}`);
      if (!out.includes('gathered slow-42 quick-42 middle-42'))
        problems.push('gather did not print every output');
      return { what: 'jobs', checked: JOBS.length, ...countOf(JOBS, seen), problems };
    },
    show: () => `${out.slice(-3000)}\n${err}`,
    abort: () => {
      child.kill('SIGKILL');
    },
  };
}
