/**
 * `mx-agent serve` end to end, the same scenarios on every network: the built CLI runs the
 * agent against a scripted model that speaks a real provider's wire format, and people talk to
 * it with real clients (an XMPP account, a Matrix device).
 */
import { scriptedLlmToml, type ServePeople } from './serve-people.ts';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { HELP_TEXT } from '../../src/agent/commands.ts';
import { conversationDirName } from '../../src/agent/session-log.ts';
import type { Target, Transport } from '../../src/transport/transport.ts';
import { startScriptedLlm, type ScriptedLlm } from './scripted-llm.ts';
import {
  Conversation,
  MCP_SERVER,
  say,
  serveScript,
  startServe,
  type ServeAgentProcess,
} from './serve-harness.ts';

/** What a network gives the scenarios: its people and agent accounts (serve-people.ts), rooms. */
export interface ServeNetwork extends Pick<ServePeople, 'person' | 'agent'> {
  /** A room the person creates (public) for the agent to join: its configured address. */
  room(person: Transport, name: string): Promise<string>;
  /** How a person's room target is named once joined (may differ from the configured address). */
  roomTarget(person: Transport, configured: string): Promise<Target>;
  /** True when `from` (as the person sees it) is the agent. */
  isAgent(from: string, agentAddress: string, room?: string): boolean;
  readonly provider: 'anthropic' | 'openai' | 'ollama';
  dispose(): Promise<void>;
}

/** The scenarios on one network. */
export function serveScenarios(name: string, setup: () => Promise<ServeNetwork>): void {
  describe(`serve: ${name}`, { timeout: 600_000 }, () => {
    let net: ServeNetwork;
    let llm: ScriptedLlm;
    let agent: ServeAgentProcess;
    let agentAddress: string;
    let protocolAddress: string;
    let alice: { transport: Transport; address: string };
    let bob: { transport: Transport; address: string };
    let carol: { transport: Transport; address: string };
    let room: string;
    let guarded: Server;
    let guardedHits = 0;

    before(async () => {
      net = await setup();
      guarded = createServer((_req, res) => {
        guardedHits++;
        res.end('the secret');
      });
      await new Promise<void>((resolve) => guarded.listen(0, '127.0.0.1', resolve));
      llm = await startScriptedLlm(serveScript());
      [alice, bob, carol] = await Promise.all([
        net.person('alice'),
        net.person('bob'),
        net.person('carol'),
      ]);
      room = await net.room(alice.transport, 'lounge');
      const account = await net.agent('helper');
      agentAddress = account.address;
      protocolAddress = account.protocolAddress;
      agent = await startServe(
        `${account.toml}
${scriptedLlmToml(net.provider, llm.baseUrl(net.provider))}max_retries = 1

[agent]
name = "helper"
allowed_jids = ["${alice.address}", "${bob.address}"]

[quota]
daily_tokens_per_person = 500000

[[rooms]]
jid = "${room}"
nick = "helper"

[skills.url_fetch]
enabled = true

[skills.memory]
enabled = true

[[skills.mcp.servers]]
name = "test"
command = "${process.execPath}"
args = ["${MCP_SERVER}"]
`,
        { env: account.env, ...(process.env.MX_AGENT_SERVE_DEBUG === '1' ? { args: ['-v'] } : {}) },
      );
    });

    after(async () => {
      if (process.env.MX_AGENT_SERVE_DEBUG === '1') process.stderr.write(agent?.stderr() ?? '');
      await agent?.stop();
      await llm?.close();
      guarded?.close();
      await net?.dispose();
    });

    const direct = (): Target => ({ kind: 'direct', address: agentAddress });
    const chatWith = (person: { transport: Transport }) =>
      new Conversation(person.transport, (from) => net.isAgent(from, agentAddress));

    it('answers a chat in place and writes history.jsonl line for line as Fluux Agent does', async () => {
      const chat = chatWith(alice);
      await say(alice.transport, direct(), 'hello there');
      assert.equal(await chat.waitFor(/^echo: hello there$/), 'echo: hello there');
      const file = join(agent.memory, conversationDirName(alice.address), 'history.jsonl');
      await waitUntil(() => readLines(file) >= 3);
      const lines = readFileSync(file, 'utf8')
        .trimEnd()
        .split('\n')
        .map((l) => JSON.parse(l) as Record<string, unknown>);
      assert.deepEqual(Object.keys(lines[0] ?? {}), ['type', 'version', 'created', 'jid']);
      assert.equal(lines[0]?.jid, alice.address);
      assert.deepEqual(Object.keys(lines[1] ?? {}), [
        'type',
        'role',
        'content',
        'msg_id',
        'sender',
        'ts',
      ]);
      assert.equal(lines[1]?.content, 'hello there');
      assert.equal(lines[1]?.sender, alice.address);
      assert.match(String(lines[1]?.ts), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+00:00$/);
      // Fluux's fields, then ours: the message the answer is for (session-log.ts).
      assert.deepEqual(Object.keys(lines[2] ?? {}), [
        'type',
        'role',
        'content',
        'msg_id',
        'ts',
        'reply_to',
      ]);
      assert.equal(lines[2]?.content, 'echo: hello there');
      assert.equal(lines[2]?.reply_to, lines[1]?.msg_id);
      // The key never reaches the logs.
      assert.doesNotMatch(agent.stderr(), /sk-test-not-a-secret/);
    });

    it('answers every slash command with the expected text, without asking the model', async () => {
      const chat = chatWith(bob);
      const asked = llm.requests.length;
      const expect = async (command: string, reply: RegExp): Promise<void> => {
        await say(bob.transport, direct(), command);
        await chat.waitFor(reply);
      };
      await expect('/ping', /^pong$/);
      await expect('/help', new RegExp(`^${escape(HELP_TEXT)}$`));
      await expect(
        '/status',
        /^helper — status\nUptime: 0h \d+m\nMode: .+\nLLM: \w+ \(scripted-model\)\nSkills: .*url_fetch/,
      );
      await expect('/skills', /test__delete_file \(asks first\)/);
      await expect('/usage', /^Tokens used today \(UTC\): you 0 of 500000/);
      await expect('/new', /^No active session to archive\.$/);
      await expect('/forget', /^No memory to erase\.$/);
      await expect('/stop', /^Nothing to stop\.$/);
      await expect('/bogus', /^Unknown command: \/bogus\nType \/help for available commands\.$/);
      assert.equal(llm.requests.length, asked);
      await say(bob.transport, direct(), 'remember me');
      await chat.waitFor(/^echo: remember me$/);
      await expect('/new', /^Session archived \(2 messages\)\. Starting fresh\.$/);
    });

    it('answers two people at once: a slow reply does not hold up another', async () => {
      const a = chatWith(alice);
      const b = chatWith(bob);
      await say(alice.transport, direct(), 'a slow question');
      await waitUntil(() => llm.requests.some((r) => r.lastUserText.includes('a slow question')));
      const started = Date.now();
      await say(bob.transport, direct(), 'quick one');
      await b.waitFor(/^echo: quick one$/);
      assert.ok(Date.now() - started < 3500, 'bob waited for alice');
      assert.ok(!a.messages().includes('slow answer'));
      await a.waitFor(/^slow answer$/);
    });

    it('streams a long reply in place and /stop ends a running turn', async () => {
      const chat = chatWith(alice);
      await say(alice.transport, direct(), 'please stream');
      await chat.waitFor(/^streamed word by word to the end$/);
      assert.ok(chat.edits >= 1, 'the reply was not edited in place');
      assert.equal(chat.messages().filter((m) => m.startsWith('streamed')).length, 1);
      await say(alice.transport, direct(), 'now hang');
      await waitUntil(() => llm.requests.some((r) => r.lastUserText.includes('now hang')));
      await say(alice.transport, direct(), '/stop');
      await chat.waitFor(/^Stopped\.$/);
      await chat.waitFor(/\[stopped\]$/);
    });

    it('refuses people not allowed once, politely, without the model', async () => {
      const chat = chatWith(carol);
      const asked = llm.requests.length;
      await say(carol.transport, direct(), 'let me in');
      await chat.waitFor(/only answer people this agent is configured to serve/);
      await say(carol.transport, direct(), 'please?');
      await new Promise((resolve) => setTimeout(resolve, 1500));
      assert.equal(chat.messages().length, 1);
      assert.equal(llm.requests.length, asked);
    });

    it('stops at the spend cap with a clear message', async () => {
      const chat = chatWith(bob);
      await say(bob.transport, direct(), 'spend a lot');
      await chat.waitFor(/^expensive answer$/);
      await say(bob.transport, direct(), 'and more');
      await chat.waitFor(/You have used your daily budget of 500000 tokens/);
    });

    it('tells the person when the model fails, and keeps their message for the next turn', async () => {
      const chat = chatWith(alice);
      await say(alice.transport, direct(), 'this will fail');
      await chat.waitFor(
        /Sorry, I could not get an answer from the language model .*Your message is saved/,
      );
      await say(alice.transport, direct(), 'try again');
      await chat.waitFor(/^echo: try again$/);
      const last = llm.requests.at(-1);
      assert.ok(last?.messages.some((m) => m.text.includes('this will fail')));
    });

    it('url_fetch refuses loopback and cloud metadata addresses', async () => {
      const chat = chatWith(alice);
      const port = (guarded.address() as AddressInfo).port;
      await say(alice.transport, direct(), `fetch http://127.0.0.1:${String(port)}/secret`);
      await chat.waitFor(/^tool said: .*(loopback|refus)/i);
      await say(alice.transport, direct(), 'fetch http://169.254.169.254/latest/meta-data/');
      await chat.waitFor(/^tool said: .*(link-local|metadata|refus)/i);
      assert.equal(guardedHits, 0);
    });

    it('calls an MCP tool, and a destructive one only after the person says yes', async () => {
      const chat = chatWith(alice);
      await say(alice.transport, direct(), 'mcp echo parrot');
      await chat.waitFor(/^tool said: parrot$/);
      await say(alice.transport, direct(), 'delete notes.txt');
      await chat.waitFor(/May I run test__delete_file .*Reply yes or no/s);
      assert.ok(!llm.requests.at(-1)?.toolResults.some((r) => r.content.includes('notes.txt')));
      await say(alice.transport, direct(), 'yes');
      await chat.waitFor(/^tool said: .*notes\.txt/s);
      // Answered with a reaction on the question (XEP-0444, m.reaction). On Matrix reactions
      // travel in plaintext, so there ✅ cannot mean yes (the homeserver could fake it) and the
      // question says so; ❌ still says no.
      await say(alice.transport, direct(), 'delete todo.md');
      await chat.waitFor(/May I run test__delete_file .*todo\.md.*Reply yes or no/s);
      const question = chat.idOf(/todo\.md.*Reply yes or no/s);
      assert.ok(question);
      if (alice.transport.network === 'matrix') {
        assert.match(
          chat.messages().find((m) => m.includes('todo.md')) ?? '',
          /a ❌ reaction also says no/,
        );
        await alice.transport.react(direct(), question, '✅');
        await new Promise((resolve) => setTimeout(resolve, 1000));
        assert.ok(
          !chat.messages().some((m) => /^tool said: .*todo\.md/s.test(m)),
          'a plaintext ✅ ran it',
        );
        await alice.transport.react(direct(), question, '❌');
        await chat.waitFor(/^tool said: .*did not confirm/s);
      } else {
        await alice.transport.react(direct(), question, '✅');
        await chat.waitFor(/^tool said: .*todo\.md/s);
      }
    });

    it('lists its skills and runs one for a peer over the agent protocol', async () => {
      const skills = await alice.transport.askAgent(
        protocolAddress,
        { kind: 'skills' },
        { timeoutMs: 20_000 },
      );
      assert.equal(skills.kind, 'skills');
      const names = skills.kind === 'skills' ? skills.skills.map((s) => s.name) : [];
      assert.ok(
        names.includes('chat') && names.includes('url_fetch') && names.includes('test__echo'),
        names.join(),
      );
      const result = await alice.transport.askAgent(
        protocolAddress,
        { kind: 'execute', skill: 'chat', params: { message: 'via the protocol' } },
        { timeoutMs: 20_000 },
      );
      assert.deepEqual(result, { kind: 'result', text: 'echo: via the protocol' });
      const refused = await carol.transport.askAgent(
        protocolAddress,
        { kind: 'skills' },
        { timeoutMs: 20_000 },
      );
      assert.equal(refused.kind, 'error');
    });

    it('shares context with a person it was told to, as a context.share payload', async () => {
      const chat = chatWith(alice);
      const shared = new Promise<string>((resolve) => {
        bob.transport.subscribe((event) => {
          if (event.type === 'payload' && event.payload.kind === 'context.share')
            resolve(JSON.stringify(event.payload.body));
        });
      });
      await say(alice.transport, direct(), `share the plan with ${bob.address}`);
      await chat.waitFor(/^tool said: Shared ctx-\w+ with /);
      assert.match(await shared, /ship on Friday/);
    });

    it('in a room, records everything and answers only when addressed', async () => {
      const target = await net.roomTarget(alice.transport, room);
      const chat = new Conversation(
        alice.transport,
        (from) => net.isAgent(from, agentAddress, room),
        target.kind === 'workspace' ? target.workspace : undefined,
      );
      await say(alice.transport, target, 'just chatting among ourselves');
      await say(alice.transport, target, 'helper: /ping');
      await chat.waitFor(/^pong$/);
      await say(alice.transport, target, 'hey @helper what is up');
      await chat.waitFor(/^echo: .*what is up/);
      assert.equal(chat.messages().length, 2);
      const dir = join(
        agent.memory,
        conversationDirName(target.kind === 'workspace' ? target.workspace : room),
      );
      const history = readFileSync(join(dir, 'history.jsonl'), 'utf8');
      assert.match(history, /just chatting among ourselves/);
    });

    it('delegates a question to a second serve agent and uses its answer', async () => {
      const second = await net.agent('oracle');
      const oracle = await startServe(
        `${second.toml}
[llm]
provider = "${net.provider}"
model = "scripted-model"
base_url = "${llm.baseUrl(net.provider)}"

[agent]
name = "oracle"
allowed_jids = ["*"]
`,
        { env: second.env },
      );
      try {
        const chat = chatWith(alice);
        await say(alice.transport, direct(), `ask agent ${second.protocolAddress} for me`);
        await chat.waitFor(/^tool said: 42$/, 40_000);
      } finally {
        await oracle.stop();
      }
    });
  });
}

async function waitUntil(check: () => boolean, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('timed out waiting');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

function readLines(file: string): number {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').length;
  } catch {
    return 0;
  }
}

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
