/**
 * The kill -9 scenario of test/chaos/serve-kill.test.ts on one network: people send numbered
 * messages to `mx-agent serve` (the built CLI, a scripted model answering after a delay) while
 * the agent is killed with SIGKILL at seeded moments and started again on the same home,
 * config and memory. It returns what each person saw and what the agent's memory holds; the
 * test decides what is right.
 */
import { scriptedLlmToml } from './serve-people.ts';
import { SessionLog } from '../../src/agent/session-log.ts';
import { isAlive } from '../../src/processes.ts';
import { unansweredIn } from '../../src/agent/unanswered.ts';
import type { Transport } from '../../src/transport/transport.ts';
import { startScriptedLlm } from './scripted-llm.ts';
import { seededRandom } from './seeded-random.ts';
import { Conversation, say, startServe, type ServeAgentProcess } from './serve-harness.ts';

/** What a network gives the scenario. */
export interface KillNetwork {
  readonly provider: 'anthropic' | 'openai';
  /** A connected person (a new account each call). */
  person(prefix: string): Promise<{ transport: Transport; address: string }>;
  /** A new agent account: agent.toml's account part, the env it runs in, its address. */
  agent(name: string): Promise<{ toml: string; env: NodeJS.ProcessEnv; address: string }>;
  /** True when `from` (as a person sees it) is the agent. */
  isAgent(from: string, agent: string): boolean;
}

/**
 * When a kill strikes: as the model is called, as a message is recorded, as an answer is being
 * sent (the model has answered, the answer is not yet in the session log), or at a random time.
 */
export type KillMoment = 'model-call' | 'recorded' | 'answering' | 'random';

/** One kill and the restart after it. */
export interface KillRecord {
  readonly moment: KillMoment;
  /** False when the awaited moment did not come within 5 s and the kill struck anyway. */
  readonly onCue: boolean;
  /** The processes killed (serve and anything it had started). */
  readonly pids: readonly number[];
  /** Those still running once serve had gone (there must be none). */
  readonly survivors: readonly number[];
  /** Messages in the agent's memory without an answer at the kill (turns in flight or queued). */
  readonly unanswered: number;
  /** Messages people sent between the kill and the restarted agent serving. */
  readonly sentWhileDown: number;
  readonly downMs: number;
  /** From starting serve again to "serving". */
  readonly readyMs: number;
  /** From starting serve again to the first answer anyone saw (undefined: none before the next kill). */
  firstAnswerMs?: number;
}

/** What the run produced. */
export interface KillOutcome {
  readonly kills: readonly KillRecord[];
  /** Per person: every message the agent showed them, edits applied, in order. */
  readonly shown: readonly (readonly string[])[];
  /** Per person: the texts of the user lines in the agent's session log, in order. */
  readonly logged: readonly (readonly string[])[];
  readonly sent: number;
  /** Messages the network delivered again after a restart, which the agent knew as recorded. */
  readonly redelivered: number;
  readonly ms: number;
}

/** Sizes of a run. */
export interface KillPlan {
  readonly people: number;
  readonly each: number;
  readonly kills: readonly KillMoment[];
  readonly seed: number;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Run the scenario; every process and connection it started is stopped when it returns. */
export async function runKillScenario(net: KillNetwork, plan: KillPlan): Promise<KillOutcome> {
  const started = Date.now();
  const random = seededRandom(plan.seed);
  let onModelCall: (() => void) | undefined;
  const llm = await startScriptedLlm((request) => {
    onModelCall?.();
    const text = request.lastUserText.slice(request.lastUserText.lastIndexOf('\n') + 1);
    // 200–700 ms, the same for the same message on every run.
    return { text: `echo: ${text}`, delayMs: 200 + (hash(`${String(plan.seed)} ${text}`) % 500) };
  });
  const people: { transport: Transport; address: string }[] = [];
  let agent: ServeAgentProcess | undefined;
  // `serve -v` logs each message it recognises as already recorded (chat-agent.ts).
  let redelivered = 0;
  const count = (stopped: ServeAgentProcess): void => {
    redelivered += stopped.stderr().match(/ debug already handled message /g)?.length ?? 0;
  };
  try {
    for (let p = 0; p < plan.people; p++) people.push(await net.person(`kp${String(p)}`));
    const account = await net.agent('killed');
    const seen: number[] = [];
    const views = people.map(({ transport }) => {
      transport.subscribe((event) => {
        if (event.type === 'text' && net.isAgent(event.from, account.address))
          seen.push(Date.now());
      });
      return new Conversation(transport, (from) => net.isAgent(from, account.address));
    });
    const toml = `${account.toml}
${scriptedLlmToml(net.provider, llm.baseUrl(net.provider))}
[agent]
name = "killed"
allowed_jids = [${people.map((p) => `"${p.address}"`).join(', ')}]
`;
    const serve = (dir?: string): Promise<ServeAgentProcess> =>
      startServe(toml, { env: account.env, args: ['-v'], ...(dir ? { dir } : {}) });
    agent = await serve();
    const { memory } = agent;
    const sends: number[] = [];
    const senders = people.map(async ({ transport }, p) => {
      // A generator of its own per person, so the kills' draws do not shift the sends'.
      const gap = seededRandom(plan.seed + p + 1);
      for (let i = 0; i < plan.each; i++) {
        await sleep(400 + gap() * 800);
        const to = { kind: 'direct', address: account.address } as const;
        await say(transport, to, `p${String(p)} m${String(i)}`);
        sends.push(Date.now());
      }
    });
    const allSent = Promise.all(senders);
    // Awaited below; this only keeps a send failing early from counting as unhandled meanwhile.
    allSent.catch(() => undefined);
    const kills: KillRecord[] = [];
    try {
      for (const moment of plan.kills) {
        await sleep(300 + random() * 900);
        const onCue = await cue(moment, agent, (hook) => (onModelCall = hook));
        onModelCall = undefined;
        const killedAt = Date.now();
        const pids = await agent.kill();
        const survivors = pids.filter(isAlive);
        count(agent);
        debugLog(agent, `killed (${moment})`);
        const unanswered = people.reduce(
          (n, p) =>
            n + unansweredIn(p.address, new SessionLog(memory, p.address).messages()).length,
          0,
        );
        await sleep(200 + random() * 1300);
        const restartAt = Date.now();
        agent = await serve(agent.dir);
        const record: KillRecord = {
          moment,
          onCue,
          pids,
          survivors,
          unanswered,
          sentWhileDown: sends.filter((t) => t >= killedAt).length,
          downMs: restartAt - killedAt,
          readyMs: Date.now() - restartAt,
        };
        kills.push(record);
        // The next kill waits for this restart's first answer (up to 15 s).
        for (let waited = 0; waited < 15_000 && record.firstAnswerMs === undefined; waited += 50) {
          const first = seen.find((t) => t >= restartAt);
          if (first !== undefined) record.firstAnswerMs = first - restartAt;
          else await sleep(50);
        }
      }
    } finally {
      // The people finish what they were sending, whatever happened to the agent.
      await allSent.catch(() => undefined);
    }
    await allSent;
    for (const [p, view] of views.entries())
      await view.waitFor(new RegExp(`^echo: p${String(p)} m${String(plan.each - 1)}$`), 45_000);
    // Time for a late duplicate to show.
    await sleep(1500);
    await agent.stop();
    count(agent);
    debugLog(agent, 'stopped');
    agent = undefined;
    return {
      kills,
      shown: views.map((v) => v.messages()),
      logged: people.map((p) =>
        new SessionLog(memory, p.address)
          .messages()
          .filter((m) => m.role === 'user')
          .map((m) => m.content),
      ),
      sent: sends.length,
      redelivered,
      ms: Date.now() - started,
    };
  } finally {
    if (agent) {
      await agent.stop();
      debugLog(agent, 'stopped after a failure');
    }
    await Promise.allSettled(people.map((p) => p.transport.close()));
    await llm.close();
  }
}

/** With MX_AGENT_SERVE_DEBUG=1, what the agent process logged. */
function debugLog(agent: ServeAgentProcess, end: string): void {
  if (process.env.MX_AGENT_SERVE_DEBUG === '1')
    process.stderr.write(`--- serve pid ${String(agent.child.pid)}, ${end} ---\n${agent.stderr()}`);
}

/** Wait for the moment to kill; false when it did not come within 5 s. */
async function cue(
  moment: KillMoment,
  agent: ServeAgentProcess,
  hookModel: (hook: () => void) => void,
): Promise<boolean> {
  if (moment === 'random') return true;
  const { promise, resolve } = Promise.withResolvers<boolean>();
  const timer = setTimeout(() => {
    resolve(false);
  }, 5000);
  if (moment === 'model-call')
    hookModel(() => {
      resolve(true);
    });
  else {
    // `serve -v` logs each message it will answer once it is in the session log, and each
    // answer as the model gives it, before it is sent and logged (chat-agent.ts, turn.ts).
    const line = moment === 'recorded' ? / debug message in / : / info replied in /;
    const onData = (d: Buffer): void => {
      if (line.test(d.toString())) resolve(true);
    };
    agent.child.stderr?.on('data', onData);
    void promise.finally(() => agent.child.stderr?.off('data', onData));
  }
  const onCue = await promise;
  clearTimeout(timer);
  return onCue;
}

/** FNV-1a: a stable number for a string. */
function hash(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193) >>> 0;
  return h;
}
