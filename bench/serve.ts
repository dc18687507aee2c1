/**
 * `mx-agent serve` against the barest chat bot on the same server. Prints one JSON object.
 *
 * - round trip: a person sends a short text and waits for the reply, one at a time, alternating
 *   between the serve agent (the built CLI, a zero-latency scripted model speaking Anthropic's
 *   wire format, replies sent whole) and an echo bot on the same transport
 *   (bench/echo-bot.ts). Budget: serve's p50 within 1.5× the echo bot's.
 * - throughput: 16 people send a burst each, as fast as they can; messages answered per second.
 * - memory: the chat agent in-process on the in-memory network, after 1,000 conversations of
 *   one exchange each have gone idle: heap and RSS growth per conversation.
 *
 * On XMPP (Prosody) and Matrix (the dev homeserver, end-to-end encrypted DMs).
 *
 *   node --expose-gc bench/serve.ts           about 2 minutes
 *   node --expose-gc bench/serve.ts --quick   a smoke run
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ChatAgent } from '../src/agent/chat-agent.ts';
import { SpendLedger } from '../src/agent/spend.ts';
import { FakeNetwork } from '../src/transport/fake.ts';
import type { Transport } from '../src/transport/transport.ts';
import { loginMatrix, tempHome } from '../test/support/cli.ts';
import { MatrixTestbed } from '../test/support/matrix-peers.ts';
import { PROSODY_MISSING, prosodyForTests, uniqueUser } from '../test/support/prosody.ts';
import { startServe } from '../test/support/serve-harness.ts';
import { newAccount } from '../test/support/xmpp-peers.ts';
import { createXmppTransport } from '../src/transport/xmpp/index.ts';

const quick = process.argv.includes('--quick');
const SAMPLES = quick ? 20 : 150;
const WARMUP = quick ? 3 : 15;
const PEOPLE = 16;
const BURST = quick ? 5 : 20;
const CONVERSATIONS = quick ? 200 : 1000;
const BUDGET = { ratio: 1.5 };
const ECHO_BOT = fileURLToPath(new URL('./echo-bot.ts', import.meta.url));

const log = (message: string): void => {
  process.stderr.write(`[serve bench] ${message}\n`);
};

/** One network's parts: people, and where the serve agent and the echo bot are. */
interface Setup {
  readonly people: Transport[];
  readonly serveAddress: string;
  readonly echoAddress: string;
  stop(): Promise<void>;
}

/** Replies per sender, matched by text. */
function replies(
  person: Transport,
): (from: string, text: string, timeoutMs?: number) => Promise<void> {
  const waiting = new Map<string, () => void>();
  person.subscribe((event) => {
    if (event.type !== 'text') return;
    const key = `${event.from.split('/')[0] ?? ''} ${event.text}`;
    waiting.get(key)?.();
    waiting.delete(key);
  });
  return (from, text, timeoutMs = 60_000) =>
    new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        reject(new Error(`no reply "${text}" from ${from}`));
      }, timeoutMs);
      waiting.set(`${from} ${text}`, () => {
        clearTimeout(timer);
        resolve();
      });
    });
}

async function roundTrips(setup: Setup): Promise<{ serve: number[]; echo: number[] }> {
  const person = setup.people[0] as Transport;
  const wait = replies(person);
  const serve: number[] = [];
  const echo: number[] = [];
  for (let i = 0; i < WARMUP + SAMPLES; i++) {
    for (const [address, list] of [
      [setup.serveAddress, serve],
      [setup.echoAddress, echo],
    ] as const) {
      const text = `ping ${String(i)}`;
      const reply = wait(address, `echo: ${text}`);
      const started = performance.now();
      await person.send({ kind: 'direct', address }, { type: 'text', text });
      await reply;
      if (i >= WARMUP) list.push(performance.now() - started);
    }
  }
  return { serve, echo };
}

async function throughput(setup: Setup, address: string, tag: string): Promise<number> {
  const waits = setup.people.map((p) => replies(p));
  const started = performance.now();
  await Promise.all(
    setup.people.map(async (person, p) => {
      const wait = waits[p] as ReturnType<typeof replies>;
      const pending: Promise<void>[] = [];
      for (let i = 0; i < BURST; i++) {
        const text = `${tag} ${String(p)}-${String(i)}`;
        pending.push(wait(address, `echo: ${text}`, 180_000));
        await person.send({ kind: 'direct', address }, { type: 'text', text });
      }
      await Promise.all(pending);
    }),
  );
  return (setup.people.length * BURST) / ((performance.now() - started) / 1000);
}

const LLM = (url: string): string => `[llm]
provider = "anthropic"
model = "scripted-model"
base_url = "${url}"

[agent]
name = "bench"
allowed_jids = ["*"]
stream_replies = false
`;

function startEcho(network: 'xmpp' | 'matrix', options: unknown): Promise<ChildProcess> {
  const child = spawn(process.execPath, [ECHO_BOT], {
    env: { ...process.env, ECHO_BOT: JSON.stringify({ network, options }) },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return new Promise((resolve, reject) => {
    child.stdout.once('data', () => {
      resolve(child);
    });
    child.once('exit', (code) => {
      reject(new Error(`the echo bot exited ${String(code)}`));
    });
  });
}

async function xmppSetup(llmUrl: string): Promise<Setup | undefined> {
  const server = await prosodyForTests();
  if (!server) return undefined;
  const people = await Promise.all(
    Array.from({ length: PEOPLE }, async () => {
      const t = createXmppTransport(await newAccount(server, 'person'));
      await t.connect();
      return t;
    }),
  );
  const user = uniqueUser('bench');
  await server.register(user, `pw-${user}`);
  const jid = `${user}@${server.domain}`;
  const agent = await startServe(
    `[server]\nmode = "client"\nhost = "${server.host}"\nport = ${String(server.c2sPort)}\njid = "${jid}"\npassword = "pw-${user}"\ntls = "off"\n\n${LLM(llmUrl)}`,
  );
  const echoOptions = await newAccount(server, 'echo');
  const echo = await startEcho('xmpp', echoOptions);
  return {
    people,
    serveAddress: jid,
    echoAddress: echoOptions.jid,
    stop: async () => {
      echo.kill('SIGTERM');
      await agent.stop();
      await Promise.allSettled(people.map((t) => t.close()));
      await server.stop();
    },
  };
}

async function matrixSetup(llmUrl: string): Promise<Setup> {
  const bed = await MatrixTestbed.start();
  const people = await Promise.all(
    Array.from({ length: PEOPLE }, async () => (await bed.connect(await bed.account('person'))).t),
  );
  const account = await bed.account('bench');
  const env = tempHome();
  await loginMatrix(env, 'bot', bed.url, account);
  const agent = await startServe(`[matrix]\nprofile = "bot"\n\n${LLM(llmUrl)}`, { env });
  const echoAccount = await bed.account('echo');
  const echo = await startEcho('matrix', bed.options(echoAccount));
  return {
    people,
    serveAddress: account.userId,
    echoAddress: echoAccount.userId,
    stop: async () => {
      echo.kill('SIGTERM');
      await agent.stop();
      await bed.dispose();
    },
  };
}

function pct(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return (
    Math.round(
      (sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0) * 10,
    ) / 10
  );
}

async function network(name: string, make: () => Promise<Setup | undefined>): Promise<unknown> {
  log(`${name}: setting up`);
  const setup = await make();
  if (!setup) return { skipped: PROSODY_MISSING };
  try {
    log(`${name}: round trips`);
    const rt = await roundTrips(setup);
    log(`${name}: throughput`);
    const serveRate = await throughput(setup, setup.serveAddress, 'serve');
    const echoRate = await throughput(setup, setup.echoAddress, 'echo');
    const ratio = pct(rt.serve, 50) / pct(rt.echo, 50);
    const throughputRatio = echoRate / serveRate;
    return {
      roundTripMs: {
        serve: { p50: pct(rt.serve, 50), p95: pct(rt.serve, 95) },
        echoBot: { p50: pct(rt.echo, 50), p95: pct(rt.echo, 95) },
      },
      p50Ratio: Math.round(ratio * 100) / 100,
      messagesPerSecond: { serve: Math.round(serveRate), echoBot: Math.round(echoRate) },
      throughputRatio: Math.round(throughputRatio * 100) / 100,
      budgetMet: ratio <= BUDGET.ratio && throughputRatio <= BUDGET.ratio,
    };
  } finally {
    await setup.stop();
  }
}

/** The chat agent alone on the in-memory network: memory after N idle conversations. */
async function memory(): Promise<unknown> {
  const gc = (globalThis as { gc?: () => void }).gc;
  const net = new FakeNetwork();
  const agentTransport = net.transport('bench');
  await agentTransport.connect();
  const dir = mkdtempSync(join(tmpdir(), 'mx-serve-bench-'));
  const agent = new ChatAgent({
    memoryDir: dir,
    complete: (request) =>
      Promise.resolve({
        text: `echo: ${JSON.stringify(request.messages.at(-1)?.content ?? '')}`,
        toolCalls: [],
        usage: { inputTokens: 10, outputTokens: 5 },
        stop: 'end',
      }),
    skills: { tools: () => [], get: () => undefined, describe: () => [] },
    ledger: new SpendLedger(join(dir, '.usage.json'), { dailyTokens: 0, dailyTokensPerPerson: 0 }),
    settings: {
      maxToolRounds: 4,
      maxTokens: 1000,
      turnTimeoutMs: 60_000,
      historyTokens: 16_000,
      roomHistoryTokens: 16_000,
      stream: false,
      editIntervalMs: 1000,
      confirmTimeoutMs: 60_000,
    },
    fallbackPrompt: 'bench',
    fence: (content) => content,
    accepts: { images: false, pdf: false },
    allowed: () => true,
    idleTimeoutMins: 0,
    log: () => undefined,
    facts: () => {
      throw new Error('unused');
    },
  });
  await agent.attach(agentTransport, []);
  const people = Array.from({ length: CONVERSATIONS }, (_, i) => net.transport(`p${String(i)}`));
  await Promise.all(people.map((p) => p.connect()));
  gc?.();
  const before = process.memoryUsage();
  let answered = 0;
  const all = new Promise<void>((resolve) => {
    for (const p of people)
      p.subscribe((event) => {
        if (event.type === 'text' && ++answered === CONVERSATIONS) resolve();
      });
  });
  for (const p of people)
    await p.send({ kind: 'direct', address: 'fake:bench' }, { type: 'text', text: 'hello' });
  await all;
  await new Promise((resolve) => setTimeout(resolve, 200));
  gc?.();
  const after = process.memoryUsage();
  await agent.close();
  const perConversation = (a: number, b: number): number => Math.round((b - a) / CONVERSATIONS);
  return {
    conversations: CONVERSATIONS,
    gcExposed: gc !== undefined,
    heapBytesPerConversation: perConversation(before.heapUsed, after.heapUsed),
    rssBytesPerConversation: perConversation(before.rss, after.rss),
    heapUsedMB: Math.round(after.heapUsed / 2 ** 20),
    rssMB: Math.round(after.rss / 2 ** 20),
  };
}

// The scripted model echoes the person's newest line, with no delay and no streaming pauses,
// in a process of its own: the people here must not slow the model down.
const modelProcess = spawn(
  process.execPath,
  [fileURLToPath(new URL('./echo-llm.ts', import.meta.url))],
  {
    stdio: ['ignore', 'pipe', 'inherit'],
  },
);
const modelUrl = await new Promise<string>((resolve) => {
  modelProcess.stdout.once('data', (d: Buffer) => {
    resolve(d.toString().trim());
  });
});
const result = {
  benchmark: 'serve',
  date: new Date().toISOString(),
  machine: { cpus: cpus().length, model: cpus()[0]?.model ?? 'unknown' },
  quick,
  budget: BUDGET,
  memory: await memory(),
  xmpp: await network('XMPP', () => xmppSetup(modelUrl)),
  matrix: await network('Matrix', () => matrixSetup(modelUrl)),
};
modelProcess.kill('SIGTERM');
process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
process.exit(0);
