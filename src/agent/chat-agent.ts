/**
 * The chat agent `serve` runs: it listens on one or more transports, keeps each conversation
 * (a person, or a room) in its own queue, answers slash commands, records rooms, and runs model
 * turns (src/agent/turn.ts). What it ignores: our own messages (the transports never deliver
 * them), error stanzas (never delivered as text), room history replayed on join (not delivered
 * as new input), messages it has already answered (after a restart), people not allowed (one
 * polite refusal each), and a sender that keeps the agent in a reply loop.
 */
import type {
  Attachment,
  InboundMessage,
  ReactionEvent,
  ConfirmationEvent,
  Target,
  Transport,
} from '../transport/transport.ts';
import {
  REFUSAL,
  bareAddress,
  commandReply,
  loggedAttachment,
  occupantName,
  type Conversation,
  type RoomSetting,
} from './chat-helpers.ts';
import { messageOf } from '../errors.ts';
import { REPLY_DELIVERY_MS } from './reply-writer.ts';
import { SeenMessages } from './seen-messages.ts';
import { addressedTo, parseCommand, type Command } from './commands.ts';
import { Confirmations } from './confirmations.ts';
import { ConversationQueues } from './conversation-queue.ts';
import { LoopGuard } from './loop-guard.ts';
import { ConversationMemory } from './memory.ts';
import type { SpendLedger } from './spend.ts';
import type { AgentFacts } from './status.ts';
import { runChatTurn, type TurnDeps } from './turn.ts';
import { unansweredConversations } from './unanswered.ts';

/** What the agent needs beyond a turn's dependencies. */
export interface ChatAgentOptions extends Omit<TurnDeps, 'confirmations'> {
  readonly facts: () => AgentFacts;
  /** Whether a sender may talk to the agent (allowed_jids / allowed_domains). */
  readonly allowed: (sender: string) => boolean;
  readonly ledger: SpendLedger;
  readonly idleTimeoutMins: number;
  readonly log: (level: 'info' | 'warn' | 'debug', message: string) => void;
}

/** The running chat agent. */
export class ChatAgent {
  readonly #options: ChatAgentOptions;
  readonly #queues: ConversationQueues;
  readonly #confirmations = new Confirmations();
  readonly #refused = new Set<string>();
  readonly #rooms = new Map<string, RoomSetting>();
  readonly #guard = new LoopGuard();
  readonly #seen = new SeenMessages();
  /** Conversations whose unanswered messages a transport has taken on. */
  readonly #resumed = new Set<string>();
  readonly #unsubscribe: (() => void)[] = [];

  constructor(options: ChatAgentOptions) {
    this.#options = options;
    this.#queues = new ConversationQueues((conversation, error) => {
      options.log(
        'warn',
        `conversation ${conversation}: ${error instanceof Error ? error.message : String(error)}`,
      );
    });
  }

  /**
   * Listen on `transport` and join its rooms (one that cannot be joined is logged); resolves
   * with the function that stops listening on it.
   */
  async attach(transport: Transport, rooms: readonly RoomSetting[]): Promise<() => void> {
    const stop = transport.subscribe((event) => {
      if (event.type === 'text') this.#onText(transport, event);
      else if (event.type === 'reaction') this.#onReaction(event);
      else if (event.type === 'confirmation') this.#onConfirmation(event);
    });
    this.#unsubscribe.push(stop);
    this.#answerUnanswered(transport);
    for (const room of rooms) {
      try {
        const info = await transport.joinWorkspace(room.address, {
          nick: room.nick,
          timeoutMs: 30_000,
        });
        this.#rooms.set(info.workspace, room);
        this.#options.log('info', `joined room ${info.workspace} as ${room.nick}`);
      } catch (error) {
        this.#options.log(
          'warn',
          `could not join room ${room.address}: ${error instanceof Error ? error.message : String(error)}`,
        );
      }
    }
    return stop;
  }

  /**
   * Answer what an earlier process recorded but did not answer (it was killed while the turns
   * waited or ran), queued before anything delivered now so each person's answers keep their
   * order. Delivered again, such a message is known as recorded (#onText): answered once.
   */
  #answerUnanswered(transport: Transport): void {
    for (const { id, messages } of unansweredConversations(this.#options.memoryDir)) {
      // Matrix ids start with @; a conversation is taken up by the first transport of its network.
      if ((transport.network === 'matrix') !== id.startsWith('@') || this.#resumed.has(id))
        continue;
      this.#resumed.add(id);
      if (!this.#options.allowed(id)) continue;
      this.#options.log('info', `answering what ${id} wrote before a restart`);
      const conversation = {
        id,
        room: false,
        reply: { kind: 'direct', address: id },
        transport,
      } as const;
      for (const m of messages) this.#queueTurn(conversation, id, id, m.content, { id: m.msgId });
    }
  }

  /** Stop listening and stop every running turn. */
  async close(): Promise<void> {
    for (const stop of this.#unsubscribe.splice(0)) stop();
    await this.#queues.close();
    this.#options.ledger.flush();
  }

  /** Run a chat turn for an agent protocol request (`chat` skill) and return the reply. */
  async ask(
    transport: Transport,
    from: string,
    text: string,
    signal: AbortSignal,
  ): Promise<string> {
    const conversation: Conversation = {
      id: bareAddress(from),
      room: false,
      reply: { kind: 'direct', address: from },
      transport,
    };
    let reply = '';
    await this.#queues.enqueue(conversation.id, async (queued) => {
      const both = AbortSignal.any([signal, queued]);
      reply = await runChatTurn(this.#turnDeps(), conversation, {
        sender: conversation.id,
        logSender: conversation.id,
        text,
        signal: both,
        silent: true,
      });
    });
    return reply;
  }

  /** Ask `from` directly for a yes before a destructive action a protocol request asked for. */
  async confirmDirect(
    transport: Transport,
    from: string,
    question: { readonly text: string; readonly action: string },
    signal: AbortSignal,
  ): Promise<boolean> {
    const reply: Target = { kind: 'direct', address: from };
    return this.#confirmations.ask(
      bareAddress(from),
      bareAddress(from),
      { ...question, risk: 'medium', textOnly: transport.network === 'matrix' },
      (text, confirm) => transport.send(reply, { type: 'text', text, confirm }),
      { timeoutMs: this.#options.settings.confirmTimeoutMs, signal },
    );
  }

  #turnDeps(): TurnDeps {
    return { ...this.#options, confirmations: this.#confirmations };
  }

  #onText(transport: Transport, message: Extract<InboundMessage, { type: 'text' }>): void {
    if (message.replaces !== undefined) return; // An edit of something already handled.
    const room =
      message.target.kind === 'workspace' ? this.#rooms.get(message.target.workspace) : undefined;
    if (message.target.kind === 'workspace' && room === undefined) return;
    const conversation: Conversation =
      message.target.kind === 'workspace'
        ? { id: message.target.workspace, room: true, reply: message.target, transport }
        : {
            id: bareAddress(message.from),
            room: false,
            reply: { kind: 'direct', address: message.from },
            transport,
          };
    const person = conversation.room ? message.from : conversation.id;
    if (this.#confirmations.answerText(conversation.id, person, message.text)) return;
    const memory = new ConversationMemory(this.#options.memoryDir, conversation.id);
    if (this.#seen.has(conversation.id, message.id, memory)) {
      this.#options.log('debug', `already handled message ${message.id}; not answering again`);
      return;
    }
    if (room === undefined) this.#onDirect(conversation, message, memory);
    else this.#onRoom(conversation, room, message, memory);
  }

  #onDirect(
    conversation: Conversation,
    message: Extract<InboundMessage, { type: 'text' }>,
    memory: ConversationMemory,
  ): void {
    if (!this.#options.allowed(message.from)) {
      if (this.#refused.has(conversation.id)) return;
      this.#refused.add(conversation.id);
      this.#options.log('info', `refused ${conversation.id}: not in allowed_jids/allowed_domains`);
      this.#options.activity?.report({
        type: 'refused',
        conversation: conversation.id,
        at: Date.now(),
      });
      void this.#say(conversation, REFUSAL);
      return;
    }
    const command = parseCommand(message.text);
    if (command !== undefined) {
      this.#command(conversation, command, conversation.id, memory, false);
      return;
    }
    this.#turn(conversation, message, conversation.id, conversation.id, message.text, memory);
  }

  #onRoom(
    conversation: Conversation,
    room: RoomSetting,
    message: Extract<InboundMessage, { type: 'text' }>,
    memory: ConversationMemory,
  ): void {
    const nick = occupantName(message.from);
    const logSender = message.from.startsWith('@') ? message.from : `${nick}@muc`;
    const mentioned = message.mentions?.includes(conversation.transport.address) === true;
    const addressed =
      addressedTo(message.text, room.nick) ?? (mentioned ? message.text : undefined);
    // Every room message is recorded for context, addressed or not (Fluux does the same).
    memory.log.append({
      role: 'user',
      content: message.text,
      msgId: message.id,
      sender: logSender,
      ts: message.timestamp,
    });
    if (addressed === undefined) return;
    if (!this.#guard.allow(`${conversation.id} ${message.from}`)) {
      this.#options.log(
        'warn',
        `${message.from} in ${conversation.id} is looping with us; not answering for now`,
      );
      return;
    }
    const command = parseCommand(addressed);
    if (command !== undefined) {
      this.#command(conversation, command, message.from, memory, true);
      return;
    }
    this.#queueTurn(conversation, message.from, logSender, addressed, message);
  }

  #turn(
    conversation: Conversation,
    message: Extract<InboundMessage, { type: 'text' }>,
    person: string,
    logSender: string,
    text: string,
    memory: ConversationMemory,
  ): void {
    // Lazy idle timeout (as Fluux): a session idle for too long is archived before going on.
    const idle = this.#options.idleTimeoutMins * 60_000;
    const last = memory.log.lastWrite();
    if (idle > 0 && last !== undefined && Date.now() - last > idle) memory.log.archive();
    // Saved before the model is called: whatever happens next, the message is not lost.
    memory.log.append({
      role: 'user',
      content: text,
      msgId: message.id,
      sender: logSender,
      ts: message.timestamp,
      ...(message.attachments?.length
        ? { attachments: message.attachments.map(loggedAttachment) }
        : {}),
    });
    this.#queueTurn(conversation, person, logSender, text, message);
  }

  #queueTurn(
    conversation: Conversation,
    person: string,
    logSender: string,
    text: string,
    message: { readonly id: string; readonly attachments?: readonly Attachment[] } | undefined,
  ): void {
    // Reported only for what the agent will answer: the dashboard counts it as a turn to come.
    this.#options.activity?.report({
      type: 'message',
      conversation: conversation.id,
      from: person,
      text,
      at: Date.now(),
    });
    void this.#queues.enqueue(conversation.id, async (signal) => {
      await runChatTurn(this.#turnDeps(), conversation, {
        sender: person,
        logSender,
        text,
        signal,
        ...(message === undefined ? {} : { messageId: message.id }),
        attachments: message?.attachments ?? [],
      });
    });
  }

  #command(
    conversation: Conversation,
    command: Command,
    person: string,
    memory: ConversationMemory,
    room: boolean,
  ): void {
    this.#options.activity?.report({
      type: 'command',
      conversation: conversation.id,
      command: command.name,
      at: Date.now(),
    });
    if (command.name === '/stop') {
      const stopped = this.#queues.stop(conversation.id);
      void this.#say(
        conversation,
        stopped ? 'Stopped.' : 'Nothing to stop.',
        room ? memory : undefined,
      );
      return;
    }
    // /new and /forget wait for a running turn (they change its session); the others answer at once.
    const reply = async (): Promise<void> => {
      let text: string;
      try {
        text = await commandReply(this.#options, conversation, command, person, memory, room);
      } catch (error) {
        // Fluux Agent's words for a command that failed.
        text = `Sorry, an error occurred: ${error instanceof Error ? error.message : String(error)}`;
      }
      await this.#say(conversation, text, room ? memory : undefined);
    };
    if (command.name === '/new' || command.name === '/reset' || command.name === '/forget')
      void this.#queues.enqueue(conversation.id, reply, false);
    else void reply();
  }

  /**
   * Send a plain reply. Rooms keep it in their history, as Fluux does; it is logged before it is
   * sent, so a message that arrives meanwhile comes after it in the session.
   */
  async #say(conversation: Conversation, text: string, memory?: ConversationMemory): Promise<void> {
    memory?.log.append({ role: 'assistant', content: text, ts: Date.now() });
    try {
      await conversation.transport.send(
        conversation.reply,
        { type: 'text', text },
        { timeoutMs: REPLY_DELIVERY_MS },
      );
    } catch (error) {
      this.#options.log('warn', `could not reply in ${conversation.id}: ${messageOf(error)}`);
    }
  }

  #onReaction(event: ReactionEvent): void {
    const person = event.target.kind === 'workspace' ? event.from : bareAddress(event.from);
    const answered = this.#confirmations.answerReaction(
      person,
      event.reactsTo,
      event.emojis,
      event.forgeable === true,
    );
    this.#options.log(
      'debug',
      `reaction ${event.emojis.join(' ')} from ${event.from} to ${event.reactsTo}${answered ? ': answers a confirmation' : ` (waiting: ${this.#confirmations.describe().join(', ') || 'none'})`}`,
    );
  }

  #onConfirmation(event: ConfirmationEvent): void {
    const person = event.target.kind === 'workspace' ? event.from : bareAddress(event.from);
    this.#confirmations.answerDecision(person, event.confirm, event.decision);
  }
}
