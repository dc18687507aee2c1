import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { addressedTo, basicCommandReply, parseCommand } from '../../../src/agent/commands.ts';
import { ConversationMemory } from '../../../src/agent/memory.ts';

describe('slash commands and mentions (Fluux Agent parsing and texts)', () => {
  it('parses a command: first word lower-cased, the rest as arguments', () => {
    assert.deepEqual(parseCommand('  /STATUS now please '), {
      name: '/status',
      args: 'now please',
    });
    assert.deepEqual(parseCommand('/ping'), { name: '/ping', args: '' });
    assert.equal(parseCommand('hello /ping'), undefined);
  });

  it('finds a room message addressed to the agent and takes the mention out', () => {
    assert.equal(addressedTo('@Bot /status', 'bot'), '/status');
    assert.equal(addressedTo('bot: what is up?', 'bot'), 'what is up?');
    assert.equal(addressedTo('BOT, hi', 'bot'), 'hi');
    assert.equal(addressedTo('hey @bot can you help', 'bot'), 'hey can you help');
    assert.equal(addressedTo('robot: hi', 'bot'), undefined);
    assert.equal(addressedTo('talking about bots', 'bot'), undefined);
    assert.equal(addressedTo('mail bot@example.org', 'bot'), undefined);
  });

  it('answers /new, /reset, /forget, /ping, /help and unknown commands with the same texts', () => {
    const m = new ConversationMemory(mkdtempSync(join(tmpdir(), 'mx-cmd-')), 'alice@example.com');
    const reply = (text: string) =>
      basicCommandReply(parseCommand(text) ?? { name: '', args: '' }, m);
    assert.equal(reply('/new'), 'No active session to archive.');
    m.log.append({ role: 'user', content: 'hi' });
    m.log.append({ role: 'assistant', content: 'hello' });
    assert.equal(reply('/reset'), 'Session archived (2 messages). Starting fresh.');
    assert.equal(reply('/ping'), 'pong');
    assert.match(
      reply('/help') ?? '',
      /^Commands:\n {2}\/new {5}— Start a new conversation \(archive current session\)\n/,
    );
    assert.equal(
      reply('/frobnicate'),
      'Unknown command: /frobnicate\nType /help for available commands.',
    );
    assert.equal(reply('/status'), undefined);
    assert.equal(reply('/forget'), 'No active memory to erase (archived sessions preserved).');
  });
});
