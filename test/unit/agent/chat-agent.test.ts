import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { ChatAgent, type ChatAgentOptions } from '../../../src/agent/chat-agent.ts';
import type { ModelRequest, ModelResponse } from '../../../src/agent/llm/types.ts';
import { SessionLog } from '../../../src/agent/session-log.ts';
import { SpendLedger } from '../../../src/agent/spend.ts';
import { FakeNetwork, type FakeTransport } from '../../../src/transport/fake.ts';
import type { Target, Transport, TransportEvent } from '../../../src/transport/transport.ts';

interface Rig {
  net: FakeNetwork;
  bot: FakeTransport;
  agent: ChatAgent;
  asked: ModelRequest[];
  dir: string;
  person(name: string): Promise<{ t: FakeTransport; texts: string[] }>;
}

async function rig(extra: Partial<ChatAgentOptions> = {}, rooms: string[] = []): Promise<Rig> {
  const net = new FakeNetwork();
  const bot = net.transport('bot');
  await bot.connect();
  const dir = mkdtempSync(join(tmpdir(), 'chat-agent-'));
  const asked: ModelRequest[] = [];
  const agent = new ChatAgent({
    memoryDir: dir,
    complete: (request): Promise<ModelResponse> => {
      asked.push(request);
      const last = request.messages.at(-1)?.content;
      const text = typeof last === 'string' ? last.slice(last.lastIndexOf('\n') + 1) : '';
      return Promise.resolve({
        text: `echo: ${text}`,
        toolCalls: [],
        usage: { inputTokens: 1, outputTokens: 1 },
        stop: 'end',
      });
    },
    skills: { tools: () => [], get: () => undefined, describe: () => [] },
    ledger: new SpendLedger(undefined, { dailyTokens: 0, dailyTokensPerPerson: 0 }),
    settings: {
      maxToolRounds: 2,
      maxTokens: 100,
      turnTimeoutMs: 10_000,
      historyTokens: 10_000,
      roomHistoryTokens: 10_000,
      stream: false,
      editIntervalMs: 100,
      confirmTimeoutMs: 5000,
    },
    fallbackPrompt: 'You are a test.',
    fence: (content, source) => `[${source}] ${content}`,
    accepts: { images: false, pdf: false },
    allowed: (sender) => sender !== 'fake:mallory',
    idleTimeoutMins: 0,
    log: () => undefined,
    facts: () => ({
      name: 'bot',
      startedAt: Date.now(),
      modes: ['fake'],
      provider: 'test',
      model: 'm',
      skills: [],
      idleTimeoutMins: 0,
      allowedDomains: [],
      ownDomain: 'fake',
    }),
    ...extra,
  });
  await agent.attach(
    bot,
    rooms.map((address) => ({ address, nick: 'bot' })),
  );
  return {
    net,
    bot,
    agent,
    asked,
    dir,
    person: async (name) => {
      const t = net.transport(name);
      await t.connect();
      const texts: string[] = [];
      t.subscribe((e) => {
        if (e.type === 'text' && e.from === 'fake:bot') texts.push(e.text);
      });
      return { t, texts };
    },
  };
}

const toBot: Target = { kind: 'direct', address: 'fake:bot' };

async function until(check: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !check(); i++) await sleep(10);
  assert.ok(check(), 'timed out');
}

describe('the chat agent', () => {
  let r: Rig;
  beforeEach(async () => {
    r = await rig({}, ['#lounge']);
  });
  afterEach(async () => {
    await r.agent.close();
  });

  it('answers a person, and shows typing while it works', async () => {
    const alice = await r.person('alice');
    await alice.t.send(toBot, { type: 'text', text: 'hi' });
    await until(() => alice.texts.length === 1);
    assert.deepEqual(alice.texts, ['echo: hi']);
    assert.equal(r.asked[0]?.system.startsWith('You are a test.'), true);
  });

  it('refuses a person not allowed once, and never asks the model for them', async () => {
    const mallory = await r.person('mallory');
    await mallory.t.send(toBot, { type: 'text', text: 'one' });
    await mallory.t.send(toBot, { type: 'text', text: 'two' });
    await until(() => mallory.texts.length >= 1);
    await sleep(50);
    assert.equal(mallory.texts.length, 1);
    assert.match(mallory.texts[0] ?? '', /only answer people/);
    assert.equal(r.asked.length, 0);
  });

  it('does not answer a message it already answered (the same id delivered again after a restart)', async () => {
    const sent: string[] = [];
    let deliver: (event: TransportEvent) => void = () => undefined;
    // A transport that hands the agent the same message twice, as a server may after a restart.
    const redelivering = {
      address: 'fake:bot',
      subscribe: (listener: (event: TransportEvent) => void) => {
        deliver = listener;
        return () => undefined;
      },
      send: (_target: Target, content: { text?: string }) => {
        sent.push(content.text ?? '');
        return Promise.resolve({ id: `r${String(sent.length)}` });
      },
      setTyping: () => Promise.resolve(),
    } as unknown as Transport;
    await r.agent.attach(redelivering, []);
    const message: TransportEvent = {
      type: 'text',
      id: 'stanza-1',
      from: 'fake:alice',
      target: { kind: 'direct', address: 'fake:bot' },
      timestamp: Date.now(),
      delayed: true,
      text: 'once only',
    };
    deliver(message);
    await until(() => sent.length === 1);
    deliver(message);
    await sleep(100);
    assert.deepEqual(sent, ['echo: once only']);
    assert.equal(r.asked.length, 1);
  });

  it('after a restart, answers what was recorded but not answered: once each, in order', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'chat-agent-restart-'));
    const log = new SessionLog(dir, 'fake:alice');
    const asked = (content: string, msgId: string): void => {
      log.append({ role: 'user', content, msgId, sender: 'fake:alice', ts: Date.now() });
    };
    asked('one', 'm1');
    log.append({ role: 'assistant', content: 'echo: one', msgId: 'r1', replyTo: 'm1' });
    asked('two', 'm2');
    asked('three', 'm3');
    const restarted = await rig({ memoryDir: dir });
    try {
      const alice = await restarted.person('alice');
      await until(() => alice.texts.length === 2);
      // The server delivers "three" again (it never saw it acknowledged): recognised.
      await alice.t.send(toBot, { type: 'text', text: 'three', id: 'm3' });
      await sleep(100);
      assert.deepEqual(alice.texts, ['echo: two', 'echo: three']);
      const answers = new SessionLog(dir, 'fake:alice')
        .messages()
        .flatMap((m) => (m.role === 'assistant' ? [m.replyTo] : []));
      assert.deepEqual(answers, ['m1', 'm2', 'm3']);
    } finally {
      await restarted.agent.close();
    }
  });

  it('in a room records every message and answers only mentions, by nick or explicit mention', async () => {
    const alice = await r.person('alice');
    await alice.t.joinWorkspace('#lounge');
    const room: Target = { kind: 'workspace', workspace: '#lounge' };
    const seen: string[] = [];
    alice.t.subscribe((e) => {
      if (e.type === 'text' && e.target.kind === 'workspace' && e.from.endsWith('bot'))
        seen.push(e.text);
    });
    await alice.t.send(room, { type: 'text', text: 'talking among ourselves' });
    await alice.t.send(room, { type: 'text', text: 'bot: /ping' });
    await alice.t.send(room, { type: 'text', text: 'what now', mentions: ['fake:bot'] });
    await until(() => seen.length === 2);
    assert.deepEqual(seen, ['pong', 'echo: fake:alice@muc: what now']);
    const history = readFileSync(join(r.dir, '#lounge', 'history.jsonl'), 'utf8');
    assert.match(history, /talking among ourselves/);
  });

  it('lets only a room admin make it forget the room', async () => {
    const owner = await r.person('owner');
    const guest = await r.person('guest');
    await owner.t.createWorkspace('#club');
    // The bot joins the owner's room as a member.
    await owner.t.invite('#club', 'fake:bot');
    await owner.t.invite('#club', 'fake:guest');
    await r.agent.attach(r.bot, [{ address: '#club', nick: 'bot' }]);
    await guest.t.joinWorkspace('#club');
    const replies: string[] = [];
    guest.t.subscribe((e) => {
      if (e.type === 'text' && e.from.endsWith('bot')) replies.push(e.text);
    });
    const club: Target = { kind: 'workspace', workspace: '#club' };
    await guest.t.send(club, { type: 'text', text: 'bot: /forget' });
    await until(() => replies.length === 1);
    assert.equal(replies[0], 'Only an admin of this room can make me forget it.');
    await owner.t.send(club, { type: 'text', text: 'bot: /forget' });
    await until(() => replies.length === 2);
    assert.match(replies[1] ?? '', /^Erased: /);
  });

  it('saves attachments under files/, logs them as Fluux does, and hands text files to the model fenced', async () => {
    const alice = await r.person('alice');
    const ref = await alice.t.putBlob(new TextEncoder().encode('line one\nline two'), {
      name: 'notes.txt',
      contentType: 'text/plain',
    });
    const image = await alice.t.putBlob(new Uint8Array([137, 80, 78, 71]), {
      name: 'cat.png',
      contentType: 'image/png',
    });
    await alice.t.postAsClient(toBot, {
      text: 'see attached',
      attachments: [
        { ref, name: 'notes.txt', contentType: 'text/plain', size: 18 },
        { ref: image, name: '../../cat.png', contentType: 'image/png', size: 4 },
      ],
    });
    await until(() => alice.texts.length === 1);
    const content = JSON.stringify(r.asked[0]?.messages.at(-1)?.content);
    assert.match(content, /\[attachment notes\.txt\] line one\\nline two/);
    // The model here takes no images: it is told what it cannot see.
    assert.match(content, /attached __\.\._cat\.png \(image\/png, 4B\), which you cannot read/);
    const files = readdirSync(join(r.dir, 'fake:alice', 'files'));
    assert.equal(files.length, 2);
    assert.ok(
      files.every((f) => /^[0-9a-f-]{36}_[A-Za-z0-9._-]+$/.test(f)),
      files.join(),
    );
    const history = readFileSync(join(r.dir, 'fake:alice', 'history.jsonl'), 'utf8');
    assert.match(
      history,
      /"attachments":\[\{"filename":"notes\.txt","mime_type":"text\/plain","size":"18B"\}/,
    );
  });
});
