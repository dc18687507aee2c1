/**
 * Message round trip on the dev homeserver, end-to-end encrypted against plaintext, measured in
 * one run with the two interleaved (so machine noise hits both alike). A round trip is: A sends
 * a text to B in a room, B's transport delivers it, B sends it back, A's transport delivers it.
 * Prints one JSON object. Budget (issue 3): encrypted p50 within 1.3× of plaintext p50.
 *
 *   node bench/matrix-roundtrip.ts --rounds 200
 */
import { cpus } from 'node:os';
import { MatrixTestbed } from '../test/support/matrix-peers.ts';
import type { InboundMessage, Transport, TransportEvent } from '../src/transport/transport.ts';

const roundsArg = process.argv.indexOf('--rounds');
const rounds = roundsArg > 0 ? Number(process.argv[roundsArg + 1]) : 100;

interface Pair {
  readonly a: Transport;
  readonly b: Transport;
  readonly workspace: string;
}

/** Resolve with the next text a transport delivers. */
function nextText(t: Transport): Promise<InboundMessage> {
  return new Promise((resolve) => {
    const stop = t.subscribe((e: TransportEvent) => {
      if (e.type === 'text') {
        stop();
        resolve(e);
      }
    });
  });
}

async function pair(bed: MatrixTestbed, encryption: boolean): Promise<Pair> {
  const a = await bed.peer({ encryption });
  const b = await bed.peer({ encryption });
  await a.connect();
  await b.connect();
  const workspace = bed.workspace(encryption ? 'enc' : 'plain');
  await a.joinWorkspace(workspace);
  await b.joinWorkspace(workspace);
  // Echo everything back.
  b.subscribe((e) => {
    if (e.type === 'text')
      void b.send({ kind: 'workspace', workspace }, { type: 'text', text: e.text });
  });
  return { a, b, workspace };
}

async function roundTrip(p: Pair, text: string): Promise<number> {
  const back = nextText(p.a);
  const start = process.hrtime.bigint();
  await p.a.send({ kind: 'workspace', workspace: p.workspace }, { type: 'text', text });
  await back;
  return Number(process.hrtime.bigint() - start) / 1e6;
}

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((x, y) => x - y);
  return (
    Math.round(
      (sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0) * 100,
    ) / 100
  );
}

const bed = await MatrixTestbed.start();
const encrypted = await pair(bed, true);
const plain = await pair(bed, false);
const times = { encrypted: [] as number[], plain: [] as number[] };
// Warm up both (first Megolm session, JIT), then interleave.
for (let i = 0; i < 5; i++) {
  await roundTrip(encrypted, `warm ${String(i)}`);
  await roundTrip(plain, `warm ${String(i)}`);
}
for (let i = 0; i < rounds; i++) {
  times.encrypted.push(await roundTrip(encrypted, `m${String(i)}`));
  times.plain.push(await roundTrip(plain, `m${String(i)}`));
}
await Promise.all([encrypted.a, encrypted.b, plain.a, plain.b].map((t) => t.close()));
await bed.dispose();

const encP50 = percentile(times.encrypted, 50);
const plainP50 = percentile(times.plain, 50);
const ratio = Math.round((encP50 / plainP50) * 100) / 100;
console.log(
  JSON.stringify(
    {
      benchmark: 'matrix-roundtrip',
      date: new Date().toISOString(),
      node: process.version,
      cpu: cpus()[0]?.model ?? 'unknown',
      cores: cpus().length,
      rounds,
      plaintext: { p50Ms: plainP50, p95Ms: percentile(times.plain, 95) },
      encrypted: { p50Ms: encP50, p95Ms: percentile(times.encrypted, 95) },
      ratio,
      budgetRatio: 1.3,
      withinBudget: ratio <= 1.3,
    },
    null,
    2,
  ),
);
process.exit(0);
