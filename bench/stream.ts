/**
 * `mx-agent stream`'s transport path on real servers: a StreamPublisher on one peer and a
 * followStream viewer on another, in one process, on XMPP (Prosody) and on Matrix (the dev
 * homeserver, end-to-end encrypted room). Prints one JSON object. On each network:
 *
 * - latency: a small payload sent A → B (the baseline: one message, one way) against a small
 *   output written to A's publisher until B's viewer renders it, interleaved, one at a time with
 *   a pause between (typing: every sample is its own chunk). Budget: p50 ratio ≤ 1.5, p99 ≤ 250 ms.
 * - throughput: a burst of random bytes in 64 KiB writes that pause when the publisher asks (as a
 *   pty blocks), timed from the first write until the viewer rendered every byte. Budget: ≥ 2 MB/s
 *   and the same sha256.
 * - Matrix only: a burst under the homeserver's rate limit (Synapse's default rc_message), begun
 *   with the sender's burst allowance spent: complete, and how many events and 429s it took.
 *
 * MB here is 2^20 bytes.
 *
 *   node bench/stream.ts            about 75 s
 *   node bench/stream.ts --quick    a smoke run of about 15 s (CI; too small to judge budgets)
 */
import { createHash, randomBytes } from 'node:crypto';
import { cpus } from 'node:os';
import { setImmediate as nextTurn, setTimeout as sleep } from 'node:timers/promises';
import { followStream } from '../src/stream/follower.ts';
import { StreamPublisher, type PublisherStats } from '../src/stream/publisher.ts';
import type { RateLimitOptions } from '../src/devserver/rate-limit.ts';
import type { Target, Transport } from '../src/transport/transport.ts';
import { MatrixTestbed } from '../test/support/matrix-peers.ts';
import { PROSODY_MISSING, prosodyForTests } from '../test/support/prosody.ts';
import { newPeer } from '../test/support/xmpp-peers.ts';

const quick = process.argv.includes('--quick');
const MB = 1024 * 1024;
const SAMPLES = quick ? 30 : 200;
const WARMUP = quick ? 5 : 20;
const GAP_MS = 20;
const SAMPLE_BYTES = 48;
const PIECE = 64 * 1024;
const BURST_MB = quick ? 2 : 20;
const LIMITED_MB = quick ? 1 : 5;
/** Synapse's default rc_message: 0.2 messages per second, bursts of 10. */
const RATE_LIMIT = { perSecond: quick ? 1 : 0.2, burst: 10 };
const BUDGET = { ratio: 1.5, p99Ms: 250, mbPerSec: 2 };
/** No single wait of the benchmark may hang it. */
const WAIT_MS = 120_000;

/** Two connected peers in one workspace: `a` publishes, `b` views. */
interface Peers {
  readonly a: Transport;
  readonly b: Transport;
  readonly target: Target;
}

const log = (message: string): void => {
  process.stderr.write(`[stream bench] ${message}\n`);
};

// ── 429s as the Matrix client sees them: counted where it calls fetch ─────────────────────
const http429 = { send: 0, sendToDevice: 0, other: 0 };
const realFetch = globalThis.fetch;
globalThis.fetch = async (input, init) => {
  const response = await realFetch(input, init);
  if (response.status === 429) {
    const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
    if (url.includes('/sendToDevice/')) http429.sendToDevice += 1;
    else if (url.includes('/send/')) http429.send += 1;
    else http429.other += 1;
  }
  return response;
};
const count429Of = (c: typeof http429): number => c.send + c.sendToDevice + c.other;
const count429 = (): number => count429Of(http429);

async function within<T>(promise: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      reject(new Error(`timed out after ${String(WAIT_MS / 1000)} s waiting for ${what}`));
    }, WAIT_MS);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

const round = (value: number, places = 2): number =>
  Math.round(value * 10 ** places) / 10 ** places;
const msSince = (start: bigint, end = process.hrtime.bigint()): number => Number(end - start) / 1e6;

function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((x, y) => x - y);
  return round(sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0);
}

/** A publisher of a new stream on `a`, its start already queued. */
function newPublisher(
  p: Peers,
  onPressure?: (paused: boolean) => void,
): { publisher: StreamPublisher; stream: string; chunkKiB: number[] } {
  const stream = randomBytes(6).toString('hex');
  const startedAt = Date.now();
  const chunkKiB: number[] = [];
  const publisher = new StreamPublisher({
    transport: p.a,
    target: p.target,
    stream,
    startedAt,
    ...(onPressure ? { onPressure } : {}),
    onChunk: (_seq, bytes) => {
      chunkKiB.push(round(bytes.byteLength / 1024, 1));
    },
    log: (level, message) => {
      if (level === 'warn') log(`publisher: ${message}`);
    },
  });
  publisher.publish({
    type: 'start',
    stream,
    command: ['bench'],
    title: 'bench',
    cols: 80,
    rows: 24,
    term: 'xterm-256color',
    mode: 'pipe',
    startedAt,
    input: [],
  });
  return { publisher, stream, chunkKiB };
}

/** A viewer on `b` from the stream's start; `onOutput` gets each rendered output. */
interface Viewer {
  readonly ready: Promise<undefined>;
  /** Resolves with the viewer's own sha256 check of the whole stream (end event). */
  readonly ended: Promise<boolean | undefined>;
}

function view(p: Peers, stream: string, onOutput: (bytes: Uint8Array) => void): Viewer {
  const ready = Promise.withResolvers<undefined>();
  let verified: boolean | undefined;
  const ended = followStream({
    transport: p.b,
    target: p.target,
    stream,
    from: { kind: 'start' },
    signal: AbortSignal.timeout(10 * 60_000),
    log: (level, message) => {
      if (level === 'warn') log(`viewer: ${message}`);
    },
    render: (event) => {
      if (event.type === 'ready') ready.resolve(undefined);
      else if (event.type === 'output') onOutput(event.bytes);
      else if (event.type === 'end') verified = event.verified;
      else if (event.type === 'gap') log(`viewer: gap ${String(event.from)}-${String(event.to)}`);
    },
  }).then(() => verified);
  ended.catch(() => undefined); // awaited below; this only keeps an early failure handled
  return { ready: ready.promise, ended };
}

/** Percentiles of one kind of sample, in ms. */
interface Spread {
  readonly p50Ms: number;
  readonly p99Ms: number;
}

/** One-way latency of a message and of stream output, and their ratio. */
interface Latency {
  readonly samples: number;
  readonly gapMs: number;
  readonly bytesPerSample: number;
  readonly message: Spread;
  readonly stream: Spread;
  readonly ratio: number;
  readonly withinBudget: boolean;
}

/** One-way latency, message against stream output, interleaved (see the file comment). */
async function latency(p: Peers): Promise<Latency> {
  const { publisher, stream } = newPublisher(p);
  let rendered: ((at: bigint) => void) | undefined;
  const viewer = view(p, stream, () => {
    rendered?.(process.hrtime.bigint());
  });
  await within(viewer.ready, 'the viewer to start');
  let arrived: ((n: number, at: bigint) => void) | undefined;
  const stop = p.b.subscribe((e) => {
    if (e.type === 'payload' && e.payload.kind === 'bench.ping')
      arrived?.(Number(e.payload.body.n), process.hrtime.bigint());
  });
  const line = (): string => `${randomBytes(SAMPLE_BYTES / 2 - 1).toString('hex')}\r\n`;

  const message = async (n: number): Promise<number> => {
    const done = Promise.withResolvers<bigint>();
    arrived = (m, at) => {
      if (m === n) done.resolve(at);
    };
    const data = Buffer.from(line()).toString('base64');
    const start = process.hrtime.bigint();
    const sent = p.a.send(p.target, {
      type: 'payload',
      payload: { kind: 'bench.ping', version: 1, body: { n, data } },
    });
    const [at] = await within(Promise.all([done.promise, sent]), `message ${String(n)}`);
    return msSince(start, at);
  };
  const output = async (n: number): Promise<number> => {
    const done = Promise.withResolvers<bigint>();
    rendered = done.resolve;
    const start = process.hrtime.bigint();
    publisher.output(Buffer.from(line()));
    const at = await within(done.promise, `output ${String(n)}`);
    await publisher.flushed(WAIT_MS); // as the message sample waits for its send to complete
    return msSince(start, at);
  };

  const times = { message: [] as number[], stream: [] as number[] };
  for (let i = 0; i < WARMUP + SAMPLES; i++) {
    const m = await message(i);
    await sleep(GAP_MS);
    const s = await output(i);
    await sleep(GAP_MS);
    if (i < WARMUP) continue;
    times.message.push(m);
    times.stream.push(s);
  }
  stop();
  await publisher.end(0, undefined, WAIT_MS);
  await within(viewer.ended, 'the end of the latency stream');
  const message50 = percentile(times.message, 50);
  const stream50 = percentile(times.stream, 50);
  const stream99 = percentile(times.stream, 99);
  const ratio = round(stream50 / message50);
  return {
    samples: SAMPLES,
    gapMs: GAP_MS,
    bytesPerSample: SAMPLE_BYTES,
    message: { p50Ms: message50, p99Ms: percentile(times.message, 99) },
    stream: { p50Ms: stream50, p99Ms: stream99 },
    ratio,
    withinBudget: ratio <= BUDGET.ratio && stream99 <= BUDGET.p99Ms,
  };
}

/** Results of one burst. */
interface Burst {
  readonly mb: number;
  readonly seconds: number;
  readonly mbPerSec: number;
  readonly sha256Equal: boolean;
  readonly pauses: number;
  readonly stats: PublisherStats;
  readonly eventsPerMb: number;
  readonly chunksPerMb: number;
  /** Sizes of the chunks as the publisher cut them, in KiB. */
  readonly chunkKiB: readonly number[];
}

/** Write `mb` of random bytes as a program would, until the viewer has rendered them all. */
async function burst(p: Peers, mb: number): Promise<Burst> {
  const data = randomBytes(mb * MB);
  const expected = createHash('sha256').update(data).digest('hex');
  let resume: PromiseWithResolvers<undefined> | undefined;
  let pauses = 0;
  const { publisher, stream, chunkKiB } = newPublisher(p, (paused) => {
    if (paused) {
      pauses += 1;
      resume = Promise.withResolvers();
    } else resume?.resolve(undefined);
  });
  const seen = createHash('sha256');
  let received = 0;
  const all = Promise.withResolvers<bigint>();
  const viewer = view(p, stream, (bytes) => {
    seen.update(bytes);
    received += bytes.byteLength;
    if (received >= data.byteLength) all.resolve(process.hrtime.bigint());
  });
  await within(viewer.ready, 'the viewer to start');
  const start = process.hrtime.bigint();
  for (let offset = 0; offset < data.byteLength; offset += PIECE) {
    if (resume) await resume.promise;
    resume = undefined;
    publisher.output(data.subarray(offset, offset + PIECE));
    await nextTurn(); // a pty hands over one read per event-loop turn
  }
  const seconds = msSince(start, await within(all.promise, `${String(mb)} MB`)) / 1000;
  await publisher.end(0, undefined, WAIT_MS);
  const verified = await within(viewer.ended, 'the end of the burst');
  const stats = publisher.stats;
  return {
    mb,
    seconds: round(seconds),
    mbPerSec: round(mb / seconds),
    sha256Equal: seen.digest('hex') === expected && verified === true,
    pauses,
    stats,
    eventsPerMb: round(stats.events / mb, 1),
    chunksPerMb: round(stats.chunks / mb, 1),
    chunkKiB,
  };
}

/** What one network achieved. */
interface NetworkResult {
  readonly latency: Latency;
  readonly throughput: Omit<Burst, 'chunkKiB'> & {
    readonly chunkKiB: { readonly min: number; readonly median: number; readonly max: number };
    readonly withinBudget: boolean;
  };
}

async function measure(p: Peers): Promise<NetworkResult> {
  log('latency');
  const lat = await latency(p);
  log(`throughput, ${String(BURST_MB)} MB`);
  const { chunkKiB, ...throughput } = await burst(p, BURST_MB);
  return {
    latency: lat,
    throughput: {
      ...throughput,
      chunkKiB: {
        min: Math.min(...chunkKiB),
        median: percentile(chunkKiB, 50),
        max: Math.max(...chunkKiB),
      },
      withinBudget: throughput.sha256Equal && throughput.mbPerSec >= BUDGET.mbPerSec,
    },
  };
}

async function connectPair(a: Transport, b: Transport, workspace: string): Promise<Peers> {
  await Promise.all([a.connect(), b.connect()]);
  await a.joinWorkspace(workspace);
  await b.joinWorkspace(workspace);
  return { a, b, target: { kind: 'workspace', workspace } };
}

async function onXmpp(): Promise<NetworkResult | { readonly skipped: string }> {
  const server = await prosodyForTests();
  if (!server) return { skipped: PROSODY_MISSING };
  const a = await newPeer(server, 'sharer');
  const b = await newPeer(server, 'viewer');
  try {
    log('xmpp: Prosody');
    return await measure(
      await connectPair(a, b, `stream-bench-${String(process.pid)}@${server.mucDomain}`),
    );
  } finally {
    await Promise.all([a.close(), b.close()]);
    await server.stop();
  }
}

async function matrixPair(bed: MatrixTestbed, name: string): Promise<Peers> {
  const a = await bed.peer({ encryption: true });
  const b = await bed.peer({ encryption: true });
  return connectPair(a, b, bed.workspace(name));
}

async function onMatrix(): Promise<NetworkResult> {
  const bed = await MatrixTestbed.start();
  const p = await matrixPair(bed, 'stream');
  try {
    log('matrix: dev homeserver, encrypted room');
    return await measure(p);
  } finally {
    await Promise.all([p.a.close(), p.b.close()]);
    await bed.dispose();
  }
}

/** A burst under the rate limit, and the 429s the client met on the way. */
interface LimitedBurst extends Burst {
  readonly rateLimit: RateLimitOptions & { textsSentBefore: number; http429Before: number };
  readonly http429: typeof http429;
  readonly withinBudget: boolean;
}

/** A burst under the rate limit, started with the sender's allowance spent. */
async function underRateLimit(): Promise<LimitedBurst> {
  const bed = await MatrixTestbed.start(RATE_LIMIT);
  const p = await matrixPair(bed, 'limited');
  try {
    log(`matrix, rate limit ${JSON.stringify(RATE_LIMIT)}: spending the burst allowance`);
    let spent = 0;
    while (count429() === 0 && spent < 3 * RATE_LIMIT.burst) {
      await p.a.send(p.target, { type: 'text', text: `chatter ${String(++spent)}` });
    }
    const before = { ...http429 };
    log(`matrix, rate limited: ${String(LIMITED_MB)} MB`);
    const result = await burst(p, LIMITED_MB);
    return {
      rateLimit: { ...RATE_LIMIT, textsSentBefore: spent, http429Before: count429Of(before) },
      ...result,
      http429: {
        send: http429.send - before.send,
        sendToDevice: http429.sendToDevice - before.sendToDevice,
        other: http429.other - before.other,
      },
      withinBudget: result.sha256Equal,
    };
  } finally {
    await Promise.all([p.a.close(), p.b.close()]);
    await bed.dispose();
  }
}

const xmpp = await onXmpp();
const matrix = await onMatrix();
const rateLimited = await underRateLimit();
const withinBudget =
  ('skipped' in xmpp || (xmpp.latency.withinBudget && xmpp.throughput.withinBudget)) &&
  matrix.latency.withinBudget &&
  matrix.throughput.withinBudget &&
  rateLimited.withinBudget;
console.log(
  JSON.stringify(
    {
      benchmark: 'stream',
      date: new Date().toISOString(),
      node: process.version,
      cpu: cpus()[0]?.model ?? 'unknown',
      cores: cpus().length,
      quick,
      budgets: BUDGET,
      xmpp,
      matrix: { ...matrix, rateLimited },
      withinBudget,
    },
    null,
    2,
  ),
);
