/**
 * Discovery and share-context benchmarks (issue 5), on real servers: Prosody and the dev
 * homeserver (end-to-end encrypted). Prints one JSON document.
 *
 * - discover: N agents (N = 5, 20) each publish a card and a heartbeat in one workspace, as the
 *   announcer does; we time how long a fresh reader takes to find all N (roles, cards,
 *   heartbeats read and checked), median of 5 reads.
 * - share-context: a 5 MB diff (a real git repository) built, scrubbed, encoded, sent as an
 *   attachment, fetched, verified and decoded by the other peer, end to end.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildBundle } from '../src/context/build-bundle.ts';
import { fetchBundle, parseShare, sendShare } from '../src/context/share.ts';
import { readWorkspaceAgents } from '../src/discovery/agents.ts';
import { buildCard } from '../src/discovery/card-build.ts';
import { CARD_TYPE, cardToJson } from '../src/discovery/card.ts';
import { HEARTBEAT_TYPE, heartbeatToJson } from '../src/discovery/heartbeat.ts';
import { newAgentId } from '../src/config/agent-settings.ts';
import type { InboundMessage, Transport } from '../src/transport/transport.ts';
import { MatrixTestbed } from '../test/support/matrix-peers.ts';
import { prosodyForTests } from '../test/support/prosody.ts';
import { newPeer } from '../test/support/xmpp-peers.ts';

interface Net {
  readonly name: string;
  peer(): Promise<Transport>;
  workspace(): string;
  account(t: Transport): string;
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[xs.length >> 1] ?? 0;

async function discoverBench(net: Net, n: number): Promise<object> {
  const owner = await net.peer();
  await owner.connect({ timeoutMs: 30_000 });
  const ws = net.workspace();
  await owner.createWorkspace(ws, {});
  const agents: Transport[] = [];
  for (let i = 0; i < n; i++) {
    const t = await net.peer();
    await t.connect({ timeoutMs: 30_000 });
    await owner.invite(ws, net.account(t));
    await t.joinWorkspace(ws, { timeoutMs: 30_000 });
    const card = buildCard(
      {
        id: newAgentId(),
        name: `agent-${String(i)}`,
        kind: 'serve',
        capabilities: ['build'],
        skills: [],
      },
      {
        addresses: [{ network: t.network, address: net.account(t) }],
        version: '0',
        heartbeatMs: 60_000,
        updated: Date.now(),
      },
    );
    await t.putState(ws, CARD_TYPE, card.id, cardToJson(card), { timeoutMs: 30_000 });
    await t.putState(
      ws,
      HEARTBEAT_TYPE,
      card.id,
      heartbeatToJson({
        at: Date.now(),
        intervalMs: 60_000,
        status: 'running',
        load: { cpuPercent: 0, jobs: 0 },
      }),
      { timeoutMs: 30_000 },
    );
    agents.push(t);
  }
  const times: number[] = [];
  for (let run = 0; run < 5; run++) {
    const reader = await net.peer();
    await reader.connect({ timeoutMs: 30_000 });
    await owner.invite(ws, net.account(reader));
    const start = performance.now();
    await reader.joinWorkspace(ws, { timeoutMs: 30_000 });
    const found = await readWorkspaceAgents(reader, ws, { timeoutMs: 30_000 });
    times.push(performance.now() - start);
    if (found.length !== n)
      throw new Error(`${net.name}: found ${String(found.length)} of ${String(n)} agents`);
    await reader.close();
  }
  await Promise.all([owner, ...agents].map((t) => t.close()));
  return {
    network: net.name,
    agents: n,
    join_and_discover_ms_median: Math.round(median(times)),
    runs_ms: times.map(Math.round),
  };
}

function bigRepo(): string {
  const dir = mkdtempSync(join(tmpdir(), 'mx-bench-share-'));
  const git = (...args: string[]): string =>
    execFileSync('git', args, {
      cwd: dir,
      env: {
        ...process.env,
        GIT_CONFIG_GLOBAL: '/dev/null',
        GIT_AUTHOR_NAME: 'b',
        GIT_AUTHOR_EMAIL: 'b@e',
        GIT_COMMITTER_NAME: 'b',
        GIT_COMMITTER_EMAIL: 'b@e',
      },
      encoding: 'utf8',
    });
  git('init', '-q');
  writeFileSync(join(dir, 'README.md'), 'bench\n');
  git('add', '-A');
  git('commit', '-q', '-m', 'base');
  // ~5 MB of added lines across 50 files.
  for (let i = 0; i < 50; i++)
    writeFileSync(
      join(dir, `gen-${String(i)}.txt`),
      randomBytes(50_000)
        .toString('hex')
        .replace(/(.{100})/g, '$1\n'),
    );
  return dir;
}

async function shareBench(net: Net, repo: string): Promise<object> {
  const a = await net.peer();
  const b = await net.peer();
  await Promise.all([a.connect({ timeoutMs: 30_000 }), b.connect({ timeoutMs: 30_000 })]);
  const ws = net.workspace();
  await a.createWorkspace(ws, {});
  await a.invite(ws, net.account(b));
  await b.joinWorkspace(ws, { timeoutMs: 30_000 });
  const times: { build: number; send: number; receive: number; total: number }[] = [];
  for (let run = 0; run < 3; run++) {
    const got = Promise.withResolvers<InboundMessage>();
    const off = b.subscribe((e) => {
      if (e.type === 'payload' && e.payload.kind === 'context.share') got.resolve(e);
    });
    const t0 = performance.now();
    const { bundle } = await buildBundle({ cwd: repo, git: {} });
    const t1 = performance.now();
    await sendShare(a, { kind: 'workspace', workspace: ws }, bundle, { timeoutMs: 120_000 });
    const t2 = performance.now();
    const share = parseShare(await got.promise);
    if (!share || typeof share === 'string') throw new Error('bad share');
    const received = await fetchBundle(b, share, { timeoutMs: 120_000 });
    const t3 = performance.now();
    off();
    if (received.git?.diff.bytes !== bundle.git?.diff.bytes) throw new Error('diff mismatch');
    times.push({ build: t1 - t0, send: t2 - t1, receive: t3 - t2, total: t3 - t0 });
  }
  await Promise.all([a.close(), b.close()]);
  const pick = (k: keyof (typeof times)[number]): number =>
    Math.round(median(times.map((t) => t[k])));
  return {
    network: net.name,
    build_ms: pick('build'),
    send_ms: pick('send'),
    receive_verify_ms: pick('receive'),
    end_to_end_ms: pick('total'),
  };
}

const results: object[] = [];
const shares: object[] = [];
const repo = bigRepo();
const diffBytes = (await buildBundle({ cwd: repo, git: {} })).bundle.git?.diff.bytes ?? 0;
const server = await prosodyForTests();
const nets: Net[] = [];
if (server) {
  let n = 0;
  nets.push({
    name: 'xmpp',
    peer: () => newPeer(server, 'bench'),
    workspace: () => `disc${String(process.pid)}-${String(++n)}@${server.mucDomain}`,
    account: (t) => t.address.split('/')[0] ?? t.address,
  });
}
const bed = await MatrixTestbed.start();
nets.push({
  name: 'matrix',
  peer: () => bed.peer({ encryption: true }),
  workspace: () => bed.workspace('disc'),
  account: (t) => t.address,
});
for (const net of nets) {
  for (const n of [5, 20]) results.push(await discoverBench(net, n));
  shares.push(await shareBench(net, repo));
}
await bed.dispose();
await server?.stop();
process.stdout.write(
  `${JSON.stringify({ date: new Date().toISOString(), cpus: cpus().length, cpu: cpus()[0]?.model, diff_bytes: diffBytes, discover: results, share_context_5mb: shares }, null, 2)}\n`,
);
process.exit(0);
