/**
 * Workflow benchmark (issue 6), on real servers: an orchestrator (this process) and 3 workers,
 * each worker in a process of its own on its own account (bench/workflow-agent.ts), on XMPP
 * (Prosody) and on Matrix (the dev homeserver, also in its own process; end-to-end encrypted
 * direct rooms). The workers are real `Worker`s behind the request gate (trust store, replay
 * store, audit log, a policy admitting /bin/true and /bin/sleep); `runWorkflow` drives a
 * generated 200-job DAG: 10 layers of 20, each job needing the job of its column in the layer
 * before and up to 2 more of that layer (seeded), every job `runs-on` a capability that the
 * resolver hands to the workers in turn. Prints one JSON object.
 *
 * - trivial: every job `/bin/true`. Dispatch overhead per job: from `job-started` (the
 *   orchestrator has decided to start it) to `job-finished` (its result believed), minus the
 *   process time the worker reports in the result (`duration_ms`); p50 and p95, and where the
 *   time goes (transports tapped on both sides, on a clock the processes share).
 * - sleep: every job `/bin/sleep` of 0.1, 0.2 or 0.3 s (seeded). The makespan against the
 *   critical path (dag.ts) with each job's sleep as its weight. Budget: ≤ 1.5×.
 *
 * A warm-up workflow (one job per worker) runs first on each network, so that direct rooms
 * and encryption sessions exist before anything is timed.
 *
 *   node bench/workflow.ts                 about 40 s on a quiet 2-core machine
 *   node bench/workflow.ts --only=xmpp     one network (xmpp or matrix)
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { newAgentId } from '../src/config/agent-settings.ts';
import { generateSigningKey, type SigningKey } from '../src/security/signing-key.ts';
import {
  createMatrixTransport,
  type MatrixTransportOptions,
} from '../src/transport/matrix/index.ts';
import type { Transport } from '../src/transport/transport.ts';
import { createXmppTransport } from '../src/transport/xmpp/index.ts';
import { criticalPath } from '../src/workflow/dag.ts';
import { runWorkflow, type WorkerResolver } from '../src/workflow/orchestrator.ts';
import { parseWorkflow } from '../src/workflow/workflow-parse.ts';
import { call, register } from '../test/support/devserver.ts';
import { PROSODY_MISSING, prosodyForTests } from '../test/support/prosody.ts';
import { seededRandom } from '../test/support/seeded-random.ts';
import { newAccount } from '../test/support/xmpp-peers.ts';
import type { AgentConfig } from './workflow-agent.ts';
import { forkAgent, type ForkedAgent } from './workflow-fork.ts';
import { JobTimeline, SEGMENTS, clock, tapTransport } from './workflow-timeline.ts';

const LAYERS = 10;
const WIDTH = 20;
const WORKERS = 3;
const SEED = 6;
const SLEEPS_S = [0.1, 0.2, 0.3];
const BUDGET = { ratio: 1.5 };
const CAPABILITY = 'bench';
/** No run of the benchmark may hang it. */
const RUN_TIMEOUT_MS = 10 * 60_000;

const log = (message: string): void => {
  process.stderr.write(`[workflow bench] ${message}\n`);
};

const round = (value: number, places = 1): number =>
  Math.round(value * 10 ** places) / 10 ** places;

function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((x, y) => x - y);
  return round(sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0);
}

/** p50 and p95 of some samples, in ms. */
interface Spread {
  readonly p50Ms: number;
  readonly p95Ms: number;
  readonly maxMs: number;
}

const spread = (values: readonly number[]): Spread => ({
  p50Ms: percentile(values, 50),
  p95Ms: percentile(values, 95),
  maxMs: round(Math.max(...values)),
});

/** The generated DAG: job ids in layer order and what each needs. */
interface BenchDag {
  readonly jobs: readonly { readonly id: string; readonly needs: readonly string[] }[];
  readonly edges: number;
}

function layeredDag(random: () => number): BenchDag {
  const id = (layer: number, column: number): string =>
    `l${String(layer).padStart(2, '0')}-j${String(column).padStart(2, '0')}`;
  const jobs: { id: string; needs: string[] }[] = [];
  for (let layer = 0; layer < LAYERS; layer++)
    for (let column = 0; column < WIDTH; column++) {
      const needs = new Set<string>();
      if (layer > 0) {
        needs.add(id(layer - 1, column));
        const more = Math.floor(random() * 3);
        for (let k = 0; k < more; k++) needs.add(id(layer - 1, Math.floor(random() * WIDTH)));
      }
      jobs.push({ id: id(layer, column), needs: [...needs] });
    }
  return { jobs, edges: jobs.reduce((n, j) => n + j.needs.length, 0) };
}

function workflowYaml(
  name: string,
  dag: BenchDag,
  dir: string,
  run: (id: string) => string,
): string {
  const lines = [`name: ${name}`, 'jobs:'];
  for (const job of dag.jobs) {
    lines.push(`  ${job.id}:`);
    if (job.needs.length > 0) lines.push(`    needs: [${job.needs.join(', ')}]`);
    lines.push(
      `    runs-on: { capabilities: [${CAPABILITY}] }`,
      `    working-directory: ${dir}`,
      '    steps:',
      `      - run: ${run(job.id)}`,
    );
  }
  return `${lines.join('\n')}\n`;
}

/** A worker as the orchestrator knows it, running in its own process. */
type Worker = ForkedAgent<{ type: 'ready'; agent: string; address: string; publicKey: string }>;

/** One orchestrator and its workers on one network. */
interface Cluster {
  readonly boss: Transport;
  readonly bossAgent: string;
  readonly bossKey: SigningKey;
  readonly workers: readonly Worker[];
  readonly timeline: JobTimeline;
  readonly dir: string;
}

/** Jobs go to the workers in turn, as they are started. */
function roundRobin(workers: readonly Worker[]): WorkerResolver {
  let next = 0;
  return () => {
    const { agent, address, publicKey } = (workers[next++ % workers.length] as Worker).ready;
    return { agent, address, publicKey };
  };
}

/** What one run of a workflow measured. */
interface RunFigures {
  readonly jobs: number;
  readonly makespanMs: number;
  readonly overhead: Spread;
  /** Where the overhead goes, per segment of a job's life. */
  readonly breakdown: Readonly<Record<string, Spread>>;
  /** From the last of a job's needs finishing until it was started. */
  readonly readyToStart: Spread;
  readonly durations: Readonly<Record<string, number>>;
}

async function runBench(
  cluster: Cluster,
  name: string,
  dag: BenchDag,
  run: (id: string) => string,
): Promise<RunFigures> {
  const workflow = parseWorkflow(workflowYaml(name, dag, cluster.dir, run), `${name}.yml`);
  const timeline = cluster.timeline;
  timeline.reset();
  const failures: string[] = [];
  const start = clock();
  const { result } = await runWorkflow({
    transport: cluster.boss,
    agent: cluster.bossAgent,
    key: cluster.bossKey,
    workflow,
    inputs: {},
    runId: `${name}-${String(Date.now())}`,
    resolveWorker: roundRobin(cluster.workers),
    signal: AbortSignal.timeout(RUN_TIMEOUT_MS),
    onEvent: (event) => {
      if (event.type === 'job-started') timeline.mark(event.job, 'started');
      else if (event.type === 'job-finished') {
        timeline.mark(event.job, 'finished');
        if (!event.ok) failures.push(`${event.job}: ${event.error ?? 'failed'}`);
      } else if (event.type === 'job-skipped') failures.push(`${event.job}: ${event.reason}`);
    },
  });
  const makespanMs = clock() - start;
  await Promise.all(cluster.workers.map((w) => w.settle()));
  if (result !== 'succeeded')
    throw new Error(`${name}: the run ${result}: ${failures.slice(0, 5).join('; ')}`);
  const jobs = timeline.complete();
  if (jobs.length !== dag.jobs.length)
    throw new Error(
      `${name}: ${String(jobs.length)} of ${String(dag.jobs.length)} jobs fully timed`,
    );
  const finished = new Map(jobs.map((j) => [j.job, j.at.finished]));
  const readyToStart = dag.jobs.map((job) => {
    const at = timeline.of(job.id);
    const ready = Math.max(start, ...job.needs.map((n) => finished.get(n) ?? start));
    return (at?.started ?? ready) - ready;
  });
  const breakdown: Record<string, Spread> = {};
  for (const segment of SEGMENTS) breakdown[segment.name] = spread(jobs.map(segment.ms));
  return {
    jobs: jobs.length,
    makespanMs: round(makespanMs),
    overhead: spread(jobs.map((j) => j.at.finished - j.at.started - j.durationMs)),
    breakdown,
    readyToStart: spread(readyToStart),
    durations: Object.fromEntries(jobs.map((j) => [j.job, j.durationMs])),
  };
}

/** Both runs on one network. */
interface NetworkResult {
  readonly trivial: Omit<RunFigures, 'durations'>;
  readonly sleep: Omit<RunFigures, 'durations'> & {
    readonly criticalPathMs: number;
    readonly criticalPathJobs: number;
    /** The critical path weighted by the process times the workers reported instead. */
    readonly criticalPathMeasuredMs: number;
    readonly ratio: number;
    readonly withinBudget: boolean;
  };
}

async function measure(cluster: Cluster, dag: BenchDag, sleeps: Record<string, number>) {
  log('warm-up');
  const warmUp: BenchDag = {
    jobs: cluster.workers.map((_, i) => ({ id: `warm${String(i)}`, needs: [] })),
    edges: 0,
  };
  await runBench(cluster, 'warm-up', warmUp, () => '/bin/true');
  log(`trivial: ${String(dag.jobs.length)} × /bin/true`);
  const { durations: _, ...trivial } = await runBench(cluster, 'trivial', dag, () => '/bin/true');
  log(`trivial: ${String(trivial.makespanMs)} ms; sleep`);
  const sleep = await runBench(
    cluster,
    'sleep',
    dag,
    (id) => `/bin/sleep ${String(sleeps[id] ?? 0)}`,
  );
  const graph = Object.fromEntries(dag.jobs.map((j) => [j.id, { needs: j.needs }]));
  const planned = criticalPath(
    graph,
    Object.fromEntries(Object.entries(sleeps).map(([id, s]) => [id, s * 1000])),
  );
  const measured = criticalPath(graph, sleep.durations);
  const ratio = round(sleep.makespanMs / planned.length, 2);
  const { durations: __, ...figures } = sleep;
  log(`sleep: ${String(sleep.makespanMs)} ms, ${String(ratio)}× the critical path`);
  return {
    trivial,
    sleep: {
      ...figures,
      criticalPathMs: planned.length,
      criticalPathJobs: planned.jobs.length,
      criticalPathMeasuredMs: round(measured.length),
      ratio,
      withinBudget: ratio <= BUDGET.ratio,
    },
  } satisfies NetworkResult;
}

type WorkerNetwork = Extract<AgentConfig, { role: 'worker' }>['network'];

/**
 * Connect the orchestrator here and start the workers, each in its own process on the account
 * `network(i)` gives, trusting the orchestrator's key; then measure.
 */
async function onNetwork(
  boss: Transport,
  network: (i: number) => Promise<WorkerNetwork>,
): Promise<NetworkResult> {
  await boss.connect({ timeoutMs: 30_000 });
  const dir = mkdtempSync(join(tmpdir(), 'mx-bench-wf-'));
  const bossAgent = newAgentId();
  const bossKey = generateSigningKey();
  const timeline = new JobTimeline();
  const workers: Worker[] = [];
  try {
    for (let i = 0; i < WORKERS; i++)
      workers.push(
        await forkAgent(
          {
            role: 'worker',
            network: await network(i),
            stateDir: join(dir, `worker-${String(i)}`),
            workDir: dir,
            requester: { agent: bossAgent, key: bossKey.publicRaw },
          },
          timeline,
        ),
      );
    const random = seededRandom(SEED);
    const dag = layeredDag(random);
    const sleeps = Object.fromEntries(
      dag.jobs.map((j) => [j.id, SLEEPS_S[Math.floor(random() * SLEEPS_S.length)] ?? 0.2]),
    );
    const cluster = {
      boss: tapTransport(boss, timeline),
      bossAgent,
      bossKey,
      workers,
      timeline,
      dir,
    };
    return await measure(cluster, dag, sleeps);
  } finally {
    await Promise.all(workers.map((w) => w.stop()));
    await boss.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function onXmpp(): Promise<NetworkResult | { readonly skipped: string }> {
  const server = await prosodyForTests();
  if (!server) return { skipped: PROSODY_MISSING };
  try {
    log('xmpp: Prosody');
    return await onNetwork(createXmppTransport(await newAccount(server, 'boss')), async () => ({
      kind: 'xmpp',
      options: await newAccount(server, 'worker'),
    }));
  } finally {
    await server.stop();
  }
}

/** A new account on the homeserver at `url`, and a transport's options for it. */
async function matrixAccount(
  url: string,
  name: string,
  stores: string,
): Promise<MatrixTransportOptions> {
  const { userId, token } = await register({ url }, name);
  const who = await call({ url }, 'GET', '/_matrix/client/v3/account/whoami', undefined, token);
  return {
    homeserver: url,
    userId,
    accessToken: token,
    deviceId: String(who.body.device_id),
    storeDir: join(stores, name),
    encryption: true,
    connectTimeoutMs: 20_000,
    pollTimeoutMs: 5_000,
    backoff: { initialMs: 100, maxMs: 1_000 },
  };
}

async function onMatrix(): Promise<NetworkResult> {
  const dir = mkdtempSync(join(tmpdir(), 'mx-bench-wf-matrix-'));
  // Its own process too; it limits no rate unless asked to (src/devserver/rate-limit.ts).
  const hs = await forkAgent<{ type: 'ready'; url: string }>({
    role: 'homeserver',
    dataDir: join(dir, 'hs'),
  });
  const { url } = hs.ready;
  const name = (role: string): string =>
    `${role}${String(process.pid)}x${randomBytes(3).toString('hex')}`;
  try {
    log('matrix: dev homeserver, encrypted direct rooms');
    return await onNetwork(
      createMatrixTransport(await matrixAccount(url, name('boss'), join(dir, 'stores'))),
      async () => ({
        kind: 'matrix',
        options: await matrixAccount(url, name('worker'), join(dir, 'stores')),
      }),
    );
  } finally {
    await hs.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

const only = process.argv.find((a) => a.startsWith('--only='))?.slice('--only='.length);
const skipped = { skipped: 'left out with --only' } as const;
const xmpp = only === undefined || only === 'xmpp' ? await onXmpp() : skipped;
const matrix = only === undefined || only === 'matrix' ? await onMatrix() : skipped;
const withinBudget = [xmpp, matrix].every((r) => 'skipped' in r || r.sleep.withinBudget);
console.log(
  JSON.stringify(
    {
      benchmark: 'workflow',
      date: new Date().toISOString(),
      node: process.version,
      cpu: cpus()[0]?.model ?? 'unknown',
      cores: cpus().length,
      dag: {
        jobs: LAYERS * WIDTH,
        layers: LAYERS,
        width: WIDTH,
        edges: layeredDag(seededRandom(SEED)).edges,
        seed: SEED,
      },
      workers: WORKERS,
      sleepsS: SLEEPS_S,
      budgets: BUDGET,
      xmpp,
      matrix,
      withinBudget,
    },
    null,
    2,
  ),
);
// The Matrix SDK leaves timers behind after close.
process.exit(0);
