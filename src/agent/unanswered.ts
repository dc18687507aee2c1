/**
 * Messages recorded but never answered. The agent saves a person's message before it calls the
 * model (chat-agent.ts) and names it in the answer's `reply_to` (turn.ts); a process killed in
 * between leaves the message in the session without an answer. The next process finds such
 * messages here and answers them; the network may not deliver them again (the server saw them
 * delivered), and when it does, they are recognised as already recorded (seen-messages.ts).
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { conversationDirName, SessionLog, type LoggedMessage } from './session-log.ts';

/** How old an unanswered message may be and still be answered after a restart. */
export const UNANSWERED_WITHIN_MS = 60 * 60_000;

/** A 1:1 conversation with messages waiting for an answer, oldest first. */
export interface UnansweredConversation {
  /** The conversation's id: the person's bare address. */
  readonly id: string;
  readonly messages: readonly (LoggedMessage & { readonly msgId: string })[];
}

/**
 * The person's messages in a 1:1 session that have no answer. A conversation's turns run one
 * after the other, so answers come in the order the messages were recorded: a message before
 * the one the newest answer names was answered, or given up (its reply could not be
 * delivered). An answer without `reply_to` (written by Fluux or an older mx-agent) answers
 * everything before it.
 */
export function unansweredIn(
  id: string,
  lines: readonly LoggedMessage[],
): (LoggedMessage & { readonly msgId: string })[] {
  const answered = new Set(lines.flatMap((m) => (m.role === 'assistant' ? [m.replyTo] : [])));
  const newest = lines.findLastIndex((m) => m.role === 'assistant');
  const named = lines[newest]?.replyTo;
  const namedAt =
    named === undefined ? -1 : lines.findLastIndex((m) => m.role === 'user' && m.msgId === named);
  // A named message no longer in the session (compacted, written over): the answer's own place.
  const answeredUpTo = namedAt >= 0 ? namedAt : newest;
  return lines
    .slice(answeredUpTo + 1)
    .flatMap((m) =>
      m.role === 'user' && m.msgId !== undefined && m.sender === id && !answered.has(m.msgId)
        ? [{ ...m, msgId: m.msgId }]
        : [],
    );
}

/**
 * The 1:1 conversations under `memoryDir` whose session was written in the last `withinMs` and
 * holds unanswered messages received in that time. Room sessions are left alone: which of
 * their messages were addressed to the agent is not recorded.
 */
export function unansweredConversations(
  memoryDir: string,
  now = Date.now(),
  withinMs = UNANSWERED_WITHIN_MS,
): UnansweredConversation[] {
  let names: string[];
  try {
    names = readdirSync(memoryDir);
  } catch {
    return [];
  }
  const found: UnansweredConversation[] = [];
  for (const name of names) {
    const history = join(memoryDir, name, 'history.jsonl');
    let written: number;
    try {
      written = statSync(history).mtimeMs;
    } catch {
      continue;
    }
    if (now - written > withinMs) continue;
    const id = sessionId(history);
    if (id === undefined || conversationDirName(id) !== name) continue;
    const messages = unansweredIn(id, new SessionLog(memoryDir, id).messages()).filter(
      (m) => m.ts === undefined || now - m.ts <= withinMs,
    );
    if (messages.length > 0) found.push({ id, messages });
  }
  return found;
}

/** The conversation id in a session file's header line. */
function sessionId(history: string): string | undefined {
  try {
    const text = readFileSync(history, 'utf8');
    const header = JSON.parse(text.slice(0, text.indexOf('\n'))) as unknown;
    if (typeof header !== 'object' || header === null) return undefined;
    const { type, jid } = header as Record<string, unknown>;
    return type === 'session' && typeof jid === 'string' && jid !== '' ? jid : undefined;
  } catch {
    return undefined;
  }
}
