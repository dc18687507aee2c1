/**
 * One model turn in a conversation, from the saved message to the reply shown: the system
 * prompt from memory, the session window (compacted when over budget), the agent loop with
 * skills, the reply streamed in place, typing shown meanwhile, and every way it can fail told
 * to the person in plain words. The person's message was saved before the turn began, so a
 * failure loses nothing.
 */
import type { SkillDescription, Target } from '../transport/transport.ts';
import type { Conversation } from './chat-helpers.ts';
import type { Confirmations } from './confirmations.ts';
import { sessionWindow } from './context-window.ts';
import { StopRequested } from './conversation-queue.ts';
import type { ModelRequest, ModelResponse } from './llm/types.ts';
import { runTurn, type TurnSkills } from './loop.ts';
import { ConversationMemory, systemPrompt } from './memory.ts';
import { REPLY_DELIVERY_MS, ReplyWriter, replyId } from './reply-writer.ts';
import { SpendCapError, type SpendLedger } from './spend.ts';
import type { Attachment } from '../transport/transport.ts';
import type { ActivityFeed } from './activity.ts';
import { saveAttachments, type ModelAccepts } from './attachments.ts';
import type { ChatMessage, ContentBlock } from './llm/types.ts';

/** Limits of a turn. */
export interface TurnSettings {
  readonly maxToolRounds: number;
  readonly maxTokens: number;
  readonly turnTimeoutMs: number;
  /** Token budgets of the session window for 1:1 chats and rooms. */
  readonly historyTokens: number;
  readonly roomHistoryTokens: number;
  readonly stream: boolean;
  readonly editIntervalMs: number;
  readonly confirmTimeoutMs: number;
}

/** What a turn uses. */
export interface TurnDeps {
  readonly memoryDir: string;
  /** One model call, with retries on transient failures. */
  readonly complete: (request: ModelRequest) => Promise<ModelResponse>;
  readonly skills: TurnSkills & { describe(): readonly SkillDescription[] };
  readonly ledger: SpendLedger;
  readonly settings: TurnSettings;
  /** The system prompt when the memory directory has no identity/personality/instructions. */
  readonly fallbackPrompt: string;
  readonly fence: (content: string, source: string) => string;
  /** What the model reads besides text (attachments it cannot read are described instead). */
  readonly accepts: ModelAccepts;
  /** Addresses attachment links may come from although private (the XMPP server's own uploads). */
  readonly attachmentHosts?: ReadonlySet<string>;
  readonly confirmations: Confirmations;
  readonly log: (level: 'info' | 'warn' | 'debug', message: string) => void;
  /** Where replies are reported (the dashboard, structured logs). */
  readonly activity?: ActivityFeed;
}

/** The message a turn answers. */
export interface TurnRequest {
  /** Who asked: the spend account and the only one who may confirm. */
  readonly sender: string;
  /** The sender as the session log names them (`nick@muc` in XMPP rooms). */
  readonly logSender: string;
  readonly text: string;
  /** The id of the logged message the turn answers (the window ends with it). */
  readonly messageId?: string;
  readonly signal: AbortSignal;
  readonly attachments?: readonly Attachment[];
  /** Answer in the return value only (agent protocol); the message is logged here. */
  readonly silent?: boolean;
}

/** Run the turn; resolves with the reply text (also when it is an apology). */
export async function runChatTurn(
  deps: TurnDeps,
  conversation: Conversation,
  request: TurnRequest,
): Promise<string> {
  const { settings } = deps;
  const memory = new ConversationMemory(deps.memoryDir, conversation.id);
  if (request.silent === true)
    memory.log.append({
      role: 'user',
      content: request.text,
      sender: request.logSender,
      ts: Date.now(),
    });
  const { transport, reply } = conversation;
  const typing = request.silent === true ? undefined : keepTyping(conversation.transport, reply);
  const timeout = AbortSignal.timeout(settings.turnTimeoutMs);
  const signal = AbortSignal.any([request.signal, timeout]);
  const writer = new ReplyWriter(
    async (text, replaces, id) =>
      transport.send(
        reply,
        {
          type: 'text',
          text,
          ...(replaces ? { replaces } : {}),
          ...(id ? { id } : {}),
        },
        { timeoutMs: REPLY_DELIVERY_MS },
      ),
    {
      stream: settings.stream && request.silent !== true,
      intervalMs: settings.editIntervalMs,
      // Answered again after a crash, the message gets the same reply, not a second one.
      ...(request.messageId === undefined
        ? {}
        : { id: replyId(conversation.id, request.messageId) }),
    },
  );
  let partial = '';
  let text: string;
  let tokens = 0;
  const started = Date.now();
  try {
    const messages = await sessionWindow(
      memory.log,
      conversation.room ? settings.roomHistoryTokens : settings.historyTokens,
      {
        room: conversation.room,
        asker: request.logSender,
        fence: deps.fence,
        ...(request.messageId === undefined ? {} : { focus: request.messageId }),
      },
      deps.complete,
      signal,
    );
    if (request.attachments !== undefined && request.attachments.length > 0) {
      const saved = await saveAttachments(transport, memory.dir, request.attachments, {
        accepts: deps.accepts,
        fence: deps.fence,
        signal,
        ...(deps.attachmentHosts
          ? { allowAddress: (address: string) => deps.attachmentHosts?.has(address) === true }
          : {}),
      });
      withAttachments(messages, saved.blocks);
    }
    const result = await runTurn({
      complete: deps.complete,
      system: systemPrompt(memory, deps.fallbackPrompt),
      messages,
      skills: deps.skills,
      context: {
        conversation: conversation.id,
        sender: request.sender,
        request: request.text,
        memory,
        signal,
      },
      limits: { maxToolRounds: settings.maxToolRounds, maxTokens: settings.maxTokens },
      beforeCall: () => {
        deps.ledger.check(request.sender);
      },
      afterCall: (usage) => {
        deps.ledger.record(request.sender, usage);
      },
      onText: (soFar) => {
        partial = soFar;
        writer.update(soFar);
      },
      confirm: (skill, input) =>
        deps.confirmations.ask(
          conversation.id,
          request.sender,
          {
            text: `May I run ${skill.name} with ${JSON.stringify(input)}?`,
            action: skill.name,
            textOnly: transport.network === 'matrix',
            risk: 'medium',
          },
          (question, confirm) => transport.send(reply, { type: 'text', text: question, confirm }),
          { timeoutMs: settings.confirmTimeoutMs, signal },
        ),
      fence: deps.fence,
    });
    text = result.text === '' ? '(The model gave no answer.)' : result.text;
    tokens = result.usage.inputTokens + result.usage.outputTokens;
  } catch (error) {
    text = failureText(error, request.signal, timeout, partial, settings.turnTimeoutMs);
    deps.log(
      'info',
      `turn in ${conversation.id} ended early: ${error instanceof Error ? error.message : String(error)}`,
    );
  } finally {
    typing?.stop();
  }
  deps.activity?.report({
    type: 'reply',
    conversation: conversation.id,
    text,
    tokens,
    ms: Date.now() - started,
    at: Date.now(),
  });
  if (request.silent === true) {
    memory.log.append({ role: 'assistant', content: text, ts: Date.now() });
    return text;
  }
  try {
    const id = await writer.finish(text);
    memory.log.append({
      role: 'assistant',
      content: text,
      ...(id ? { msgId: id } : {}),
      ts: Date.now(),
      ...(request.messageId === undefined ? {} : { replyTo: request.messageId }),
    });
  } catch (error) {
    deps.log(
      'warn',
      `could not deliver the reply in ${conversation.id}: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
  return text;
}

/** Put attachment blocks after the text of the last (the person's) message. */
function withAttachments(messages: ChatMessage[], blocks: readonly ContentBlock[]): void {
  const last = messages.at(-1);
  if (last?.role !== 'user') return;
  const text =
    typeof last.content === 'string'
      ? [{ type: 'text', text: last.content } as const]
      : last.content;
  messages[messages.length - 1] = { role: 'user', content: [...text, ...blocks] };
}

function failureText(
  error: unknown,
  stop: AbortSignal,
  timeout: AbortSignal,
  partial: string,
  timeoutMs: number,
): string {
  const prefix = partial.trim() === '' ? '' : `${partial.trim()}\n\n`;
  if (stop.aborted && stop.reason instanceof StopRequested) return `${prefix}[stopped]`;
  if (timeout.aborted)
    return `${prefix}[I ran out of time: a reply may take at most ${String(Math.round(timeoutMs / 1000))} s. Your message is saved; ask again to continue.]`;
  if (error instanceof SpendCapError) return error.message;
  const why = error instanceof Error ? error.message : String(error);
  return `${prefix}Sorry, I could not get an answer from the language model (${why}). Your message is saved: send another message and I will pick it up.`;
}

/** Typing shows only when a reply takes longer than this: a quick one needs no indicator. */
const TYPING_AFTER_MS = 400;

/**
 * Show "typing…" once the turn has taken TYPING_AFTER_MS, renewed before Matrix's typing
 * timeout runs out, until stopped. (A typing notice right before a quick reply costs a round
 * trip on some servers: one stanza right after another can wait for the client's delayed ACK.)
 */
function keepTyping(transport: Conversation['transport'], target: Target): { stop(): void } {
  let shown = false;
  const set = (on: boolean): void => {
    Promise.resolve()
      .then(() => transport.setTyping(target, on, { timeoutMs: 5000 }))
      .catch(() => {
        // Best effort: a client that misses "typing" loses nothing.
      });
  };
  let renew: NodeJS.Timeout | undefined;
  const start = setTimeout(() => {
    shown = true;
    set(true);
    renew = setInterval(() => {
      set(true);
    }, 20_000);
  }, TYPING_AFTER_MS);
  return {
    stop: () => {
      clearTimeout(start);
      clearInterval(renew);
      if (shown) set(false);
    },
  };
}
