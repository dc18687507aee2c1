/**
 * What of a conversation the model sees. Lines become messages as Fluux Agent's
 * `parse_session` makes them (reaction and attachments as JSON before the text; a room
 * message prefixed with its sender). Other people's room messages are fenced as data: only the
 * person asking speaks to the agent. When the session outgrows its token budget, the oldest
 * part is summed up by the model and the summary is written into the session file — never
 * silently dropped (OpenClaw users lost days of context that way: reference §3.2).
 */
import type { ChatMessage, ModelRequest, ModelResponse } from './llm/types.ts';
import type { LoggedMessage, SessionLog } from './session-log.ts';

/** About four characters a token: a safe estimate across tokenizers for budgeting. */
export function estimateTokens(text: string): number {
  return Math.ceil(text.length / 4) + 4;
}

/** The text Fluux shows the model for a logged message; empty when there is nothing to show. */
export function displayText(m: LoggedMessage): string {
  const parts: string[] = [];
  if (m.reaction) parts.push(JSON.stringify(m.reaction));
  for (const a of m.attachments ?? []) parts.push(JSON.stringify(a));
  if (m.content !== '') parts.push(m.content);
  return parts.join('\n');
}

/** How to turn a session into messages. */
export interface WindowOptions {
  /** True for a room: every user line names its sender. */
  readonly room: boolean;
  /** In a room, the sender (as logged) whose turn this is; others' lines are fenced. */
  readonly asker?: string;
  /**
   * The id of the message this turn answers. Messages that came after it wait for their own
   * turns; replies logged after it (to earlier messages) stay, and it comes last.
   */
  readonly focus?: string;
  readonly fence: (content: string, source: string) => string;
}

/** Messages for the model from logged lines (after any summary), roles merged where adjacent. */
export function windowMessages(
  lines: readonly LoggedMessage[],
  summary: string | undefined,
  options: WindowOptions,
): ChatMessage[] {
  const out: { role: 'user' | 'assistant'; text: string }[] = [];
  const push = (role: 'user' | 'assistant', text: string): void => {
    const last = out.at(-1);
    if (last?.role === role) last.text += `\n\n${text}`;
    else out.push({ role, text });
  };
  if (summary !== undefined) push('user', `[Summary of the earlier conversation]\n${summary}`);
  let others: string[] = [];
  const flushOthers = (): void => {
    if (others.length === 0) return;
    push('user', options.fence(others.join('\n'), 'other people in this room'));
    others = [];
  };
  for (const m of lines) {
    const text = displayText(m);
    if (text === '') continue;
    if (m.role === 'assistant') {
      flushOthers();
      push('assistant', text);
      continue;
    }
    const named = options.room && m.sender !== undefined ? `${m.sender}: ${text}` : text;
    if (options.room && options.asker !== undefined && m.sender !== options.asker) {
      others.push(named);
      continue;
    }
    flushOthers();
    push('user', named);
  }
  flushOthers();
  // Providers want the conversation to open with the person.
  if (out[0]?.role === 'assistant') out.unshift({ role: 'user', text: '[conversation resumed]' });
  return out.map((m) => ({ role: m.role, content: m.text }));
}

/** The prompt the summary call uses. */
const SUMMARY_PROMPT =
  'Summarise the conversation below for your own later use: the facts, decisions, open questions, names and preferences it contains, in plain prose, at most 300 words. It replaces the conversation in your context.';

/**
 * The session as the model should see it now, compacting first when it is over `budget`
 * tokens: the newest messages that fit in half the budget stay; the rest (and any earlier
 * summary) are summed up by one model call. When that call fails, the oldest messages are left
 * out with a visible note instead.
 */
export async function sessionWindow(
  log: SessionLog,
  budget: number,
  options: WindowOptions,
  summarise: (request: ModelRequest) => Promise<ModelResponse>,
  signal: AbortSignal,
): Promise<ChatMessage[]> {
  const { messages: all, summary: previous } = log.read();
  const start = previous === undefined ? 0 : Math.min(previous.count, all.length);
  const lines = all.slice(start);
  const cost = (ms: readonly LoggedMessage[]): number =>
    ms.reduce((n, m) => n + estimateTokens(displayText(m)), 0);
  const summaryCost = previous ? estimateTokens(previous.content) : 0;
  if (budget <= 0 || cost(lines) + summaryCost <= budget)
    return windowMessages(focused(lines, options.focus), previous?.content, options);
  let keep = lines.length;
  let kept = 0;
  while (keep > 0) {
    const next = estimateTokens(displayText(lines[keep - 1] as LoggedMessage));
    if (kept + next > budget / 2) break;
    kept += next;
    keep--;
  }
  const dropped = lines.slice(0, keep);
  const recent = lines.slice(keep);
  try {
    const transcript = windowMessages(dropped, previous?.content, { ...options, asker: undefined })
      .map((m) => `${m.role}: ${typeof m.content === 'string' ? m.content : ''}`)
      .join('\n\n');
    const response = await summarise({
      system: SUMMARY_PROMPT,
      messages: [{ role: 'user', content: transcript }],
      maxTokens: 1024,
      signal,
    });
    const summary = response.text.trim();
    if (summary === '') throw new Error('the model returned an empty summary');
    log.appendSummary(start + keep, summary);
    return windowMessages(focused(recent, options.focus), summary, options);
  } catch (error) {
    signal.throwIfAborted();
    const note = `[${String(start + keep)} earlier messages are not shown: summing them up failed (${error instanceof Error ? error.message : String(error)}); they remain in the session file]`;
    return windowMessages(
      focused(recent, options.focus),
      previous ? `${previous.content}\n${note}` : note,
      options,
    );
  }
}

/**
 * The lines as the turn answering message `focus` should see them: what came before it, the
 * replies logged after it (to earlier messages, while it waited), then the message itself.
 * Messages that arrived after it are left for their own turns.
 */
export function focused(
  lines: readonly LoggedMessage[],
  focus: string | undefined,
): LoggedMessage[] {
  if (focus === undefined) return [...lines];
  const at = lines.findLastIndex((m) => m.role === 'user' && m.msgId === focus);
  if (at < 0) return [...lines];
  const later = lines.slice(at + 1).filter((m) => m.role === 'assistant');
  return [...lines.slice(0, at), ...later, lines[at] as LoggedMessage];
}
