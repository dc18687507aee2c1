/**
 * A conversation's session log, file-compatible with Fluux Agent (its docs/SESSION_FORMAT.md;
 * ../shared/reference/fluux-agent-and-openclaw.md §2.2–2.3): `{memory}/{id}/history.jsonl`,
 * one JSON object per line, a `session` header first, then `message` lines whose fields come in
 * Fluux's order with absent ones left out (never `null`); `/new` and the idle timeout move the
 * file to `sessions/YYYYMMDD-HHMMSS.jsonl` (UTC).
 *
 * Unlike Fluux, the conversation's id (a bare JID, a room JID, a Matrix id) is not used as a
 * path as it is when it could lead elsewhere: `/`, `\`, NUL, other control characters and `%`
 * are %-escaped, and `.`, `..` and names starting with `.` get a `%2E`. Every ordinary JID and
 * Matrix id keeps its name, so a Fluux data directory is read in place.
 *
 * One field is ours: an answer's `reply_to` names the `msg_id` of the message it answers, so a
 * restarted agent knows which recorded messages still wait for an answer (unanswered.ts).
 * Fluux's reader (serde, unknown keys ignored) skips it.
 */
import { appendFileSync, existsSync, mkdirSync, readFileSync, renameSync, statSync } from 'node:fs';
import { join } from 'node:path';

/** One message line. */
export interface LoggedMessage {
  readonly role: 'user' | 'assistant';
  readonly content: string;
  readonly msgId?: string;
  /** 1:1: the bare JID; rooms: `{nick}@muc`; absent for the assistant. */
  readonly sender?: string;
  /** ms since the epoch. */
  readonly ts?: number;
  readonly attachments?: readonly {
    readonly filename: string;
    readonly mime_type: string;
    readonly size: string;
  }[];
  readonly reaction?: { readonly message_id: string; readonly emojis: readonly string[] };
  /** Assistant: the `msgId` of the message this answers (ours, not Fluux's). */
  readonly replyTo?: string;
}

// Path separators, NUL and the other control characters, and % (the escape itself).
// eslint-disable-next-line no-control-regex
const UNSAFE = /[/\\%\u0000-\u001f\u007f]/g;

/** The directory name of conversation `id` (see the module comment). */
export function conversationDirName(id: string): string {
  if (id === '') throw new TypeError('a conversation id cannot be empty');
  const escaped = id.replace(
    UNSAFE,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}`,
  );
  return escaped.startsWith('.') ? `%2E${escaped.slice(1)}` : escaped;
}

/** Time as Fluux (chrono's RFC 3339) writes it: `2026-02-10T12:00:01.100+00:00`. */
export function fluuxTime(ms: number): string {
  return new Date(ms).toISOString().replace('Z', '+00:00');
}

/** The session log of one conversation. */
export class SessionLog {
  readonly dir: string;
  readonly #id: string;

  constructor(memoryDir: string, id: string) {
    this.#id = id;
    this.dir = join(memoryDir, conversationDirName(id));
  }

  get #history(): string {
    return join(this.dir, 'history.jsonl');
  }

  /** Append one message; the file (and the directory) are created with a header first. */
  append(message: LoggedMessage, now = Date.now()): void {
    mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    const lines: string[] = [];
    if (!existsSync(this.#history))
      lines.push(
        JSON.stringify({ type: 'session', version: 1, created: fluuxTime(now), jid: this.#id }),
      );
    lines.push(JSON.stringify(messageLine(message)));
    appendFileSync(this.#history, `${lines.join('\n')}\n`, { mode: 0o600 });
  }

  /** The messages of the current session, in order; malformed lines and headers left out. */
  messages(): LoggedMessage[] {
    return this.read().messages;
  }

  /**
   * The newest compaction summary of the session: the first `count` messages are summed up by
   * `content`. Written in the shape Fluux Agent's roadmap plans (`{"Summary":{…}}`), which
   * Fluux's reader skips like any line it does not know.
   */
  summary(): { readonly count: number; readonly content: string } | undefined {
    return this.read().summary;
  }

  /** The session's messages and its newest summary, from one read of the file. */
  read(): {
    readonly messages: LoggedMessage[];
    readonly summary: { readonly count: number; readonly content: string } | undefined;
  } {
    const lines = this.#lines();
    const messages: LoggedMessage[] = [];
    let summary: { count: number; content: string } | undefined;
    for (const line of lines) {
      if (line.startsWith('{"Summary"')) summary = summaryOf(line) ?? summary;
      else {
        const m = parseMessageLine(line);
        if (m !== undefined) messages.push(m);
      }
    }
    return { messages, summary };
  }

  /** Record that the first `count` messages are summed up by `content`. */
  appendSummary(count: number, content: string, now = Date.now()): void {
    mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    const line = { Summary: { compacted_count: count, content, ts: fluuxTime(now) } };
    appendFileSync(this.#history, `${JSON.stringify(line)}\n`, { mode: 0o600 });
  }

  #lines(): string[] {
    try {
      return readFileSync(this.#history, 'utf8').split('\n');
    } catch {
      return [];
    }
  }

  /** When the current session was last written, if there is one. */
  lastWrite(): number | undefined {
    try {
      return statSync(this.#history).mtimeMs;
    } catch {
      return undefined;
    }
  }

  /**
   * Move the current session to `sessions/YYYYMMDD-HHMMSS.jsonl` (UTC; `-2`, `-3`… when that
   * second is taken, where Fluux would overwrite); how many messages it held, or undefined
   * when there was none.
   */
  archive(now = Date.now()): number | undefined {
    if (!existsSync(this.#history)) return undefined;
    const count = this.messages().length;
    const sessions = join(this.dir, 'sessions');
    mkdirSync(sessions, { recursive: true, mode: 0o700 });
    const stamp = new Date(now).toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
    let target = join(sessions, `${stamp}.jsonl`);
    for (let i = 2; existsSync(target); i++) target = join(sessions, `${stamp}-${String(i)}.jsonl`);
    renameSync(this.#history, target);
    return count;
  }
}

/** A summary line's count and text; undefined when torn or malformed. */
function summaryOf(line: string): { count: number; content: string } | undefined {
  try {
    const v = (JSON.parse(line) as { Summary?: { compacted_count?: unknown; content?: unknown } })
      .Summary;
    return typeof v?.compacted_count === 'number' && typeof v.content === 'string'
      ? { count: v.compacted_count, content: v.content }
      : undefined;
  } catch {
    return undefined;
  }
}

/** A message in Fluux's field order, absent fields left out. */
function messageLine(m: LoggedMessage): Record<string, unknown> {
  return {
    type: 'message',
    role: m.role,
    content: m.content,
    ...(m.msgId === undefined ? {} : { msg_id: m.msgId }),
    ...(m.sender === undefined ? {} : { sender: m.sender }),
    ...(m.ts === undefined ? {} : { ts: fluuxTime(m.ts) }),
    ...(m.attachments === undefined ? {} : { attachments: m.attachments }),
    ...(m.reaction === undefined ? {} : { reaction: m.reaction }),
    ...(m.replyTo === undefined ? {} : { reply_to: m.replyTo }),
  };
}

/** A `message` line read back; undefined for headers and anything malformed. */
export function parseMessageLine(line: string): LoggedMessage | undefined {
  let v: unknown;
  try {
    v = JSON.parse(line);
  } catch {
    return undefined;
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return undefined;
  const o = v as Record<string, unknown>;
  if (o.type !== 'message' || (o.role !== 'user' && o.role !== 'assistant')) return undefined;
  if (typeof o.content !== 'string') return undefined;
  // Fluux (serde) drops a line whose parts do not parse; so do we.
  if (o.attachments !== undefined && !isAttachments(o.attachments)) return undefined;
  if (o.reaction !== undefined && !isReaction(o.reaction)) return undefined;
  const ts = typeof o.ts === 'string' ? Date.parse(o.ts) : Number.NaN;
  return {
    role: o.role,
    content: o.content,
    ...(typeof o.msg_id === 'string' ? { msgId: o.msg_id } : {}),
    ...(typeof o.sender === 'string' ? { sender: o.sender } : {}),
    ...(Number.isNaN(ts) ? {} : { ts }),
    ...(isAttachments(o.attachments) ? { attachments: o.attachments } : {}),
    ...(isReaction(o.reaction) ? { reaction: o.reaction } : {}),
    ...(typeof o.reply_to === 'string' ? { replyTo: o.reply_to } : {}),
  };
}

function isAttachments(v: unknown): v is NonNullable<LoggedMessage['attachments']> {
  return (
    Array.isArray(v) &&
    v.every(
      (a) =>
        typeof a === 'object' &&
        a !== null &&
        ['filename', 'mime_type', 'size'].every(
          (k) => typeof (a as Record<string, unknown>)[k] === 'string',
        ),
    )
  );
}

function isReaction(v: unknown): v is NonNullable<LoggedMessage['reaction']> {
  if (typeof v !== 'object' || v === null) return false;
  const r = v as Record<string, unknown>;
  return (
    typeof r.message_id === 'string' &&
    Array.isArray(r.emojis) &&
    r.emojis.every((e) => typeof e === 'string')
  );
}
