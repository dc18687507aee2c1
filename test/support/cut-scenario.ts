/**
 * One network cut, end to end. A `serve` agent (the built CLI, a scripted model that echoes)
 * and a person, Ann, reach the server through a {@link TcpProxy}; a second person, Bob, reaches
 * it directly, so while the proxy is cut the server keeps receiving Bob's messages for an agent
 * it may still think is connected. Both exchange numbered messages with the agent before,
 * during and after a cut; every message must be answered exactly once and in order, by clients
 * that were never restarted. Times are measured from the cut and from the restore.
 */
import assert from 'node:assert/strict';
import type { Transport } from '../../src/transport/transport.ts';
import { Conversation, startServe, type ServeAgentProcess } from './serve-harness.ts';
import type { ScriptedLlm, ScriptedReply, ScriptedRequest } from './scripted-llm.ts';
import type { CutMode, TcpProxy } from './tcp-proxy.ts';

/** How long the path stays cut (the issue asks for 30 s). */
export const CUT_MS = 30_000;

/** What a network gives a cut scenario. */
export interface CutNetwork {
  /** A connected person with the transport options the CLI uses: through `proxy`, or direct. */
  person(proxy: TcpProxy | undefined): Promise<Transport>;
  /** An agent account logged in through the proxy: agent.toml's account part, env and args. */
  agent(proxy: TcpProxy): Promise<{
    toml: string;
    env: NodeJS.ProcessEnv;
    args: readonly string[];
    address: string;
  }>;
}

/** What one cut did, for the assertions and docs/reliability.md. */
export interface CutFigures {
  readonly mode: CutMode;
  /** Messages sent to the agent (both people), and answers received. */
  readonly messages: number;
  readonly answered: number;
  /** ms from the cut until Ann's transport noticed (undefined: it never did). */
  readonly noticedMs: number | undefined;
  /** ms from the restore until Ann's transport, and the agent, were online again. */
  readonly personOnlineMs: number | undefined;
  readonly agentOnlineMs: number | undefined;
  /** ms from the restore until the first answer reached Ann, and until the last reached anyone. */
  readonly firstAnswerMs: number;
  readonly lastAnswerMs: number;
  readonly droppedBytes: number;
}

/** Ann's messages: answered before the cut, one slow (asked before, answered during), sent during, sent right after. */
const ANN = { before: 4, during: 5, after: 5 } as const;
/** Bob's: before, during (the server takes them while the agent is cut off), after. */
const BOB = { before: 2, during: 5, after: 3 } as const;
/** A send may wait this long in the outbox (the cut plus a generous recovery). */
const SEND_TIMEOUT_MS = 150_000;

/** The scripted model: `echo: NAME`, four seconds late for a message that says `slow`. */
export function echoScript(request: ScriptedRequest): ScriptedReply {
  // Consecutive messages of the person arrive joined: the newest is the last line.
  const text = request.lastUserText.slice(request.lastUserText.lastIndexOf('\n') + 1);
  const [name = '', slow] = text.split(' ');
  return slow === 'slow' ? { text: `echo: ${name}`, delayMs: 4000 } : { text: `echo: ${name}` };
}

const sleep = (ms: number): Promise<void> =>
  new Promise((resolve) => {
    setTimeout(resolve, Math.max(0, ms));
  });

/** Wait until `check` holds, polling; throws naming `what` after `timeoutMs`. */
async function until(check: () => boolean, what: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

/** Times (ms since the epoch) at which a line matching `pattern` appeared on the agent's stderr. */
function watchStderr(agent: ServeAgentProcess, pattern: RegExp): number[] {
  const seen: number[] = [];
  let partial = '';
  agent.child.stderr?.on('data', (d: Buffer) => {
    const lines = (partial + d.toString()).split('\n');
    partial = lines.pop() ?? '';
    for (const line of lines) if (pattern.test(line)) seen.push(Date.now());
  });
  return seen;
}

const bare = (address: string): string => address.split('/')[0] ?? address;

/** One person talking to the agent: numbered messages out, answers and connection states in. */
class Talker {
  readonly transport: Transport;
  readonly prefix: string;
  readonly chat: Conversation;
  readonly answersAt: number[] = [];
  readonly states: { state: string; at: number }[] = [];
  readonly #sends: Promise<unknown>[] = [];
  readonly #agent: string;
  #sent = 0;

  constructor(transport: Transport, prefix: string, agent: string) {
    this.transport = transport;
    this.prefix = prefix;
    this.#agent = agent;
    this.chat = new Conversation(transport, (from) => bare(from) === agent);
    transport.subscribe((event) => {
      if (event.type === 'connection') this.states.push({ state: event.state, at: Date.now() });
      if (event.type === 'text' && bare(event.from) === agent && event.replaces === undefined)
        this.answersAt.push(Date.now());
    });
  }

  name(n: number): string {
    return `${this.prefix}${String(n).padStart(2, '0')}`;
  }

  /** Send the next message without waiting (the outbox keeps the order); `slow` if asked. */
  send(slow = false): string {
    const name = this.name(++this.#sent);
    const sent = this.transport.send(
      { kind: 'direct', address: this.#agent },
      { type: 'text', text: slow ? `${name} slow` : name },
      { timeoutMs: SEND_TIMEOUT_MS },
    );
    sent.catch(() => undefined); // awaited in settle()
    this.#sends.push(sent);
    return name;
  }

  /** Send the next message and wait for its answer. */
  async ask(): Promise<void> {
    await this.chat.waitFor(new RegExp(`^echo: ${this.send()}$`), 60_000);
  }

  /** Wait for the last answer and for every send to be acknowledged. */
  async settle(): Promise<void> {
    await this.chat.waitFor(new RegExp(`^echo: ${this.name(this.#sent)}$`), SEND_TIMEOUT_MS);
    await Promise.all(this.#sends);
  }

  /** Every answer once, in order, and the model asked about each message once. */
  check(llm: ScriptedLlm): void {
    const names = Array.from({ length: this.#sent }, (_, i) => this.name(i + 1));
    assert.deepEqual(
      this.chat.messages(),
      names.map((name) => `echo: ${name}`),
      `${this.prefix}: every answer once, in order`,
    );
    const asked = llm.requests
      .map((r) => r.lastUserText.slice(r.lastUserText.lastIndexOf('\n') + 1).split(' ')[0])
      .filter((name) => name?.startsWith(this.prefix) === true);
    assert.deepEqual(asked.toSorted(), names, `${this.prefix}: one model turn per message`);
  }

  get count(): number {
    return this.#sent;
  }
}

/** ms from `from` to the first time in `times` at or after it. */
function since(times: readonly number[], from: number): number | undefined {
  const t = times.find((at) => at >= from);
  return t === undefined ? undefined : t - from;
}

/** Run one cut of `mode` on `net`; resolves with the figures once every answer is in. */
export async function runCut(
  net: CutNetwork,
  proxy: TcpProxy,
  llm: ScriptedLlm,
  mode: CutMode,
  tag: string,
): Promise<CutFigures> {
  const account = await net.agent(proxy);
  const agent = await startServe(
    `${account.toml}
[llm]
provider = "anthropic"
model = "scripted-model"
base_url = "${llm.url}"

[agent]
name = "cut"
allowed_jids = ["*"]
`,
    {
      env: account.env,
      args: [...account.args, ...(process.env.MX_AGENT_CUT_DEBUG ? ['-v'] : [])],
    },
  );
  const agentOnline = watchStderr(agent, /: online$/);
  const people: Transport[] = [];
  try {
    people.push(await net.person(proxy), await net.person(undefined));
    const [ann, bob] = people.map(
      (t, i) => new Talker(t, `${tag}-${i === 0 ? 'ann' : 'bob'}`, account.address),
    ) as [Talker, Talker];

    for (let i = 0; i < ANN.before; i++) await ann.ask();
    for (let i = 0; i < BOB.before; i++) await bob.ask();
    // The slow message reaches the model before the cut; its answer is written during it.
    const slow = `${ann.send(true)} slow`;
    await until(
      () => llm.requests.some((r) => r.lastUserText.endsWith(slow)),
      `the model to be asked ${slow}`,
      20_000,
    );
    const cutAt = Date.now();
    await proxy.cut({ mode });
    for (let i = 0; i < ANN.during; i++) {
      await sleep(CUT_MS / (ANN.during + 1));
      ann.send();
      if (i < BOB.during) bob.send();
    }
    await sleep(cutAt + CUT_MS - Date.now());
    const restoredAt = Date.now();
    await proxy.restore();
    for (let i = 0; i < ANN.after; i++) ann.send();
    for (let i = 0; i < BOB.after; i++) bob.send();

    await Promise.all([ann.settle(), bob.settle()]);
    // Late duplicates would arrive now, if there were any.
    await sleep(2000);
    ann.check(llm);
    bob.check(llm);
    // Recovered on their own: the agent is still the process started, Ann's transport is online.
    assert.equal(agent.child.exitCode, null, `serve exited:\n${agent.stderr()}`);
    assert.equal(ann.transport.state, 'online');

    return {
      mode,
      messages: ann.count + bob.count,
      answered: ann.chat.messages().length + bob.chat.messages().length,
      noticedMs: since(
        ann.states.filter((s) => s.state !== 'online').map((s) => s.at),
        cutAt,
      ),
      personOnlineMs: since(
        ann.states.filter((s) => s.state === 'online').map((s) => s.at),
        restoredAt,
      ),
      agentOnlineMs: since(agentOnline, restoredAt),
      firstAnswerMs: since(ann.answersAt, restoredAt) ?? Number.NaN,
      lastAnswerMs: Math.max(ann.answersAt.at(-1) ?? 0, bob.answersAt.at(-1) ?? 0) - restoredAt,
      droppedBytes: proxy.counts().droppedBytes,
    };
  } finally {
    if (process.env.MX_AGENT_CUT_DEBUG) process.stderr.write(agent.stderr());
    await Promise.allSettled(people.map((t) => t.close()));
    await agent.stop();
  }
}
