/**
 * Running `mx-agent serve` as a user would (the built CLI, its own home and agent.toml) against
 * a scripted model, and talking to it as a person with a real transport: replies are read as
 * the person's client shows them, edits applied.
 */
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { InboundMessage, Target, Transport } from '../../src/transport/transport.ts';
import { startCli, tempHome, waitForStderr } from './cli.ts';
import type { ScriptedReply, ScriptedRequest } from './scripted-llm.ts';

/** The MCP test server (stdio). */
export const MCP_SERVER = fileURLToPath(new URL('./mcp-server.ts', import.meta.url));

/** A running serve agent. */
export interface ServeAgentProcess {
  readonly child: ChildProcess;
  readonly env: NodeJS.ProcessEnv;
  readonly dir: string;
  readonly memory: string;
  stderr(): string;
  stop(): Promise<void>;
  /**
   * SIGKILL the process and every process it started (found in /proc before the kill), and
   * wait until the serve process is gone; resolves with the pids killed.
   */
  kill(): Promise<number[]>;
}

/** Start `serve` with `toml` in a fresh directory; resolves once it serves. */
export async function startServe(
  toml: string,
  options: {
    readonly env?: NodeJS.ProcessEnv;
    readonly args?: readonly string[];
    readonly ready?: RegExp;
    /** Run in this directory (a killed agent's, to restart it on the same config and memory). */
    readonly dir?: string;
  } = {},
): Promise<ServeAgentProcess> {
  const env = options.env ?? tempHome();
  const dir = options.dir ?? mkdtempSync(join(tmpdir(), 'mx-serve-'));
  const memory = join(dir, 'memory');
  writeFileSync(join(dir, 'agent.toml'), `${toml}\n[memory]\npath = "${memory}"\n`);
  const child = startCli(
    [...(options.args ?? []), 'serve', '--config', 'agent.toml'],
    env,
    undefined,
    dir,
  );
  let err = '';
  child.stderr?.on('data', (d: Buffer) => (err += d.toString()));
  const closed = new Promise<void>((resolve) =>
    child.once('close', () => {
      resolve();
    }),
  );
  try {
    await waitForStderr(child, options.ready ?? /serving .*, chat\)/, 40_000);
  } catch (error) {
    child.kill('SIGKILL');
    throw new Error(`serve did not start: ${String(error)}\n${err}`, { cause: error });
  }
  return {
    child,
    env,
    dir,
    memory,
    stderr: () => err,
    stop: async () => {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await closed;
      clearTimeout(timer);
    },
    kill: async () => {
      const pids = child.pid === undefined ? [] : [child.pid, ...descendants(child.pid)];
      for (const pid of pids) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // Already gone.
        }
      }
      await closed;
      return pids;
    },
  };
}

/** Every process below `pid`, from the parent pids in /proc (Linux). */
export function descendants(pid: number): number[] {
  const children = new Map<number, number[]>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const parent = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      children.set(parent, [...(children.get(parent) ?? []), Number(name)]);
    } catch {
      // Exited meanwhile.
    }
  }
  const found: number[] = [];
  const walk = (p: number): void => {
    for (const c of children.get(p) ?? []) {
      found.push(c);
      walk(c);
    }
  };
  walk(pid);
  return found;
}

/** What a person sees from one peer: messages with edits applied, in order. */
export class Conversation {
  readonly #shown = new Map<string, string>();
  readonly #order: string[] = [];
  #edits = 0;
  readonly #waiters = new Set<() => void>();

  constructor(person: Transport, from: (address: string) => boolean, room?: string) {
    person.subscribe((event) => {
      if (event.type !== 'text') return;
      if (!from(event.from)) return;
      if (
        room !== undefined &&
        (event.target.kind !== 'workspace' || event.target.workspace !== room)
      )
        return;
      if (room === undefined && event.target.kind !== 'direct') return;
      this.#take(event);
    });
  }

  #take(event: Extract<InboundMessage, { type: 'text' }>): void {
    if (event.replaces !== undefined && this.#shown.has(event.replaces)) {
      this.#edits++;
      this.#shown.set(event.replaces, event.text);
    } else {
      this.#shown.set(event.id, event.text);
      this.#order.push(event.id);
    }
    for (const wake of this.#waiters) wake();
  }

  /** How many edits (corrections) of shown messages arrived. */
  get edits(): number {
    return this.#edits;
  }

  /** Every message as shown now. */
  messages(): string[] {
    return this.#order.map((id) => this.#shown.get(id) ?? '');
  }

  /** The id of the message shown as `text` (the first that matches). */
  idOf(pattern: RegExp): string | undefined {
    return this.#order.find((id) => pattern.test(this.#shown.get(id) ?? ''));
  }

  /** Wait until a finished message (no trailing " …") matches. */
  async waitFor(pattern: RegExp, timeoutMs = 20_000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.messages().find((m) => pattern.test(m) && !m.endsWith(' …'));
      if (found !== undefined) return found;
      const left = deadline - Date.now();
      if (left <= 0)
        throw new Error(
          `no message matching ${String(pattern)} within ${String(timeoutMs)} ms; got ${JSON.stringify(this.messages())}`,
        );
      await new Promise<void>((resolve) => {
        const wake = (): void => {
          this.#waiters.delete(wake);
          clearTimeout(timer);
          resolve();
        };
        const timer = setTimeout(wake, left);
        this.#waiters.add(wake);
      });
    }
  }
}

/** Send `text` to a target and return nothing (the reply is read from a Conversation). */
export async function say(person: Transport, target: Target, text: string): Promise<void> {
  await person.send(target, { type: 'text', text }, { timeoutMs: 10_000 });
}

/**
 * The scripted model every serve test uses: it answers from what the person wrote, so tests
 * say what they want in words. `extra` may take a request first.
 */
export function serveScript(
  extra?: (request: ScriptedRequest) => ScriptedReply | undefined,
): (request: ScriptedRequest) => ScriptedReply {
  return (request) => {
    const custom = extra?.(request);
    if (custom !== undefined) return custom;
    const last = request.messages.at(-1);
    const results = last?.toolResults ?? [];
    if (results.length > 0)
      return {
        text: `tool said: ${results
          .map((r) => unfence(r.content))
          .join(' | ')
          .slice(0, 400)}`,
      };
    if (request.system.startsWith('Summarise')) return { text: 'a summary' };
    // Consecutive messages of the person arrive joined: the newest is the last line.
    const text = request.lastUserText.slice(request.lastUserText.lastIndexOf('\n') + 1);
    const fetch = /fetch (\S+)/.exec(text);
    if (fetch) return { toolCalls: [{ name: 'url_fetch', input: { url: fetch[1] } }] };
    const share = /share the plan with (\S+)/.exec(text);
    if (share)
      return {
        toolCalls: [
          { name: 'share_context', input: { to: share[1], notes: 'the plan: ship on Friday' } },
        ],
      };
    const ask = /ask agent (\S+)/.exec(text);
    if (ask)
      return {
        toolCalls: [
          { name: 'ask_agent', input: { agent: ask[1], question: 'what is six times seven?' } },
        ],
      };
    if (/six times seven/.test(text)) return { text: '42' };
    const del = /delete (\S+)/.exec(text);
    if (del) return { toolCalls: [{ name: 'test__delete_file', input: { path: del[1] } }] };
    if (/mcp echo (\S+)/.test(text))
      return {
        toolCalls: [
          { name: 'test__echo', input: { text: /mcp echo (\S+)/.exec(text)?.[1] ?? '' } },
        ],
      };
    if (/\bslow\b/.test(text)) return { text: 'slow answer', delayMs: 4000 };
    if (/\bhang\b/.test(text)) return { text: 'never finished', hang: 'stream' };
    if (/\bfail\b/.test(text))
      return { error: { status: 500, type: 'api_error', message: 'scripted failure' } };
    if (/\bspend\b/.test(text))
      return { text: 'expensive answer', usage: { inputTokens: 900_000, outputTokens: 100_000 } };
    if (/\bstream\b/.test(text))
      return { text: 'streamed word by word to the end', chunkDelayMs: 700 };
    return { text: `echo: ${text}` };
  };
}

/** The content inside the agent's untrusted-data fence, or the text as it is. */
function unfence(text: string): string {
  const inner = /<<<UNTRUSTED-(\w+)>>>\n([\s\S]*?)\n<<<END-UNTRUSTED-\1>>>/.exec(text);
  return inner?.[2] ?? text;
}
