import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, it } from 'node:test';
import { Confirmations } from '../../../src/agent/confirmations.ts';
import { ConversationQueues, StopRequested } from '../../../src/agent/conversation-queue.ts';
import { IN_PROGRESS, ReplyWriter, replyId } from '../../../src/agent/reply-writer.ts';

describe('reply streaming', () => {
  it('sends the first words, edits the same message, and ends with the exact final text', async () => {
    const sent: { text: string; replaces?: string }[] = [];
    const writer = new ReplyWriter(
      (text, replaces) => {
        sent.push({ text, ...(replaces ? { replaces } : {}) });
        return Promise.resolve({ id: `m${String(sent.length)}` });
      },
      { stream: true, intervalMs: 20 },
    );
    writer.update('Hel');
    await sleep(5);
    writer.update('Hello wor');
    await sleep(40);
    writer.update('Hello world, and');
    assert.equal(await writer.finish('Hello world, and more.'), 'm1');
    assert.equal(sent[0]?.text, `Hel${IN_PROGRESS}`);
    assert.ok(sent.slice(1).every((s) => s.replaces === 'm1'));
    assert.deepEqual(sent.at(-1), { text: 'Hello world, and more.', replaces: 'm1' });
    assert.ok(sent.length <= 3, JSON.stringify(sent));
  });

  it('sends only the final text when streaming is off', async () => {
    const sent: string[] = [];
    const writer = new ReplyWriter(
      (text) => {
        sent.push(text);
        return Promise.resolve({ id: 'x' });
      },
      { stream: false, intervalMs: 0 },
    );
    writer.update('partial');
    await writer.finish('whole');
    assert.deepEqual(sent, ['whole']);
  });

  it('gives the first message the id it was told, and only the first', async () => {
    const sent: { text: string; replaces?: string; id?: string }[] = [];
    const writer = new ReplyWriter(
      (text, replaces, id) => {
        sent.push({ text, ...(replaces ? { replaces } : {}), ...(id ? { id } : {}) });
        return Promise.resolve({ id: id ?? 'edit' });
      },
      { stream: true, intervalMs: 0, id: replyId('alice@example.org', 'stanza-1') },
    );
    writer.update('Hel');
    await sleep(5);
    assert.equal(await writer.finish('Hello.'), replyId('alice@example.org', 'stanza-1'));
    assert.deepEqual(sent, [
      { text: `Hel${IN_PROGRESS}`, id: replyId('alice@example.org', 'stanza-1') },
      { text: 'Hello.', replaces: replyId('alice@example.org', 'stanza-1') },
    ]);
  });

  it('derives one reply id per message and conversation, shaped as a UUID', () => {
    const id = replyId('alice@example.org', 'stanza-1');
    assert.match(id, /^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    assert.equal(replyId('alice@example.org', 'stanza-1'), id);
    assert.notEqual(replyId('alice@example.org', 'stanza-2'), id);
    assert.notEqual(replyId('bob@example.org', 'stanza-1'), id);
  });

  it('reports a final send that fails', async () => {
    const writer = new ReplyWriter(() => Promise.reject(new Error('offline')), {
      stream: false,
      intervalMs: 0,
    });
    await assert.rejects(writer.finish('x'), /offline/);
  });
});

describe('conversation queues', () => {
  it('runs one conversation in order while another runs at the same time', async () => {
    const order: string[] = [];
    const queues = new ConversationQueues(() => undefined);
    const slow = queues.enqueue('alice', async () => {
      await sleep(60);
      order.push('alice 1');
    });
    const next = queues.enqueue('alice', () => {
      order.push('alice 2');
      return Promise.resolve();
    });
    const other = queues.enqueue('bob', () => {
      order.push('bob');
      return Promise.resolve();
    });
    await Promise.all([slow, next, other]);
    assert.deepEqual(order, ['bob', 'alice 1', 'alice 2']);
  });

  it('/stop aborts the running work with StopRequested; a failure does not block the lane', async () => {
    const errors: unknown[] = [];
    const queues = new ConversationQueues((_c, e) => errors.push(e));
    let reason: unknown;
    const running = queues.enqueue('alice', async (signal) => {
      await new Promise((resolve) => {
        signal.addEventListener('abort', resolve);
      });
      reason = signal.reason;
      throw new Error('aborted');
    });
    await sleep(5);
    assert.equal(queues.stop('alice'), true);
    await running;
    assert.ok(reason instanceof StopRequested);
    assert.equal(errors.length, 1);
    assert.equal(queues.stop('alice'), false);
    let ran = false;
    await queues.enqueue('alice', () => {
      ran = true;
      return Promise.resolve();
    });
    assert.ok(ran);
  });
});

describe('confirmations', () => {
  const send = () => Promise.resolve({ id: 'msg-1' });
  const signal = new AbortController().signal;

  it('yes from the person asked approves; the same word from someone else does not', async () => {
    const c = new Confirmations();
    const asked = c.ask('room', 'alice', { text: 'Delete?', action: 'delete' }, send, {
      timeoutMs: 5000,
      signal,
    });
    await sleep(1);
    assert.equal(c.answerText('room', 'mallory', 'yes'), false);
    assert.equal(c.answerText('room', 'alice', 'Yes!'), true);
    assert.equal(await asked, true);
  });

  it('a ❌ reaction on the request denies; no answer before expiry is a no', async () => {
    const c = new Confirmations();
    const denied = c.ask('a', 'alice', { text: 'Send?', action: 'send' }, send, {
      timeoutMs: 5000,
      signal,
    });
    await sleep(1);
    assert.equal(c.answerReaction('alice', 'msg-1', ['❌']), true);
    assert.equal(await denied, false);
    const expired = await c.ask('a', 'alice', { text: 'Send?', action: 'send' }, send, {
      timeoutMs: 30,
      signal,
    });
    assert.equal(expired, false);
    assert.equal(c.waiting('a', 'alice'), false);
  });

  it('carries the request id, action and expiry for the structured answer', async () => {
    const c = new Confirmations();
    let id = '';
    let text = '';
    const asked = c.ask(
      'a',
      'alice',
      { text: 'Run it?', action: 'run', risk: 'high' },
      (t, confirm) => {
        id = confirm.id;
        text = t;
        assert.equal(confirm.action, 'run');
        assert.equal(confirm.risk, 'high');
        assert.ok(confirm.expires > Date.now());
        return Promise.resolve({ id: 'm' });
      },
      { timeoutMs: 5000, signal },
    );
    await sleep(1);
    assert.match(text, /Reply yes or no/);
    assert.equal(c.answerDecision('bob', id, 'approve'), false);
    assert.equal(c.answerDecision('alice', id, 'approve'), true);
    assert.equal(await asked, true);
  });
});

describe('confirmations by a reaction the server could have forged', () => {
  it('a plaintext ✅ is not consent, a plaintext ❌ is still a no', async () => {
    const c = new Confirmations();
    const signal = new AbortController().signal;
    let text = '';
    const asked = c.ask(
      'a',
      'alice',
      { text: 'Delete?', action: 'delete', textOnly: true },
      (t) => {
        text = t;
        return Promise.resolve({ id: 'q' });
      },
      { timeoutMs: 5000, signal },
    );
    await sleep(1);
    assert.match(text, /a ❌ reaction also says no/);
    assert.equal(c.answerReaction('alice', 'q', ['✅'], true), false);
    assert.equal(c.answerReaction('alice', 'q', ['❌'], true), true);
    assert.equal(await asked, false);
  });
});

describe('a reaction that overtakes the send of its question', () => {
  it('is kept and answers once the send resolves', async () => {
    const c = new Confirmations();
    let release: () => void = () => undefined;
    const sent = new Promise<void>((resolve) => (release = resolve));
    const asked = c.ask(
      'a',
      'alice',
      { text: 'Delete?', action: 'delete' },
      async () => {
        await sent;
        return { id: 'q' };
      },
      { timeoutMs: 5000, signal: new AbortController().signal },
    );
    await sleep(1);
    assert.equal(c.answerReaction('alice', 'q', ['✅']), false);
    release();
    assert.equal(await asked, true);
  });
});
