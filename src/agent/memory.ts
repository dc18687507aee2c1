/**
 * A conversation's memory, file-compatible with Fluux Agent
 * (../shared/reference/fluux-agent-and-openclaw.md §2.1–2.3): the workspace files
 * `instructions.md`, `identity.md`, `personality.md` (the conversation's own, when non-empty,
 * wins over the global one), `user.md` (legacy `context.md`), `memory.md`, and the agent's
 * `knowledge.jsonl` (`memory_store` / `memory_recall`), with Fluux's texts. Rewrites go through
 * a temporary file and a rename, so a crash leaves the old file or the new one, never half.
 */
import {
  existsSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { conversationDirName, fluuxTime, SessionLog } from './session-log.ts';

/** The three workspace files that make the system prompt. */
export type WorkspaceFile = 'instructions' | 'identity' | 'personality';

/** One `knowledge.jsonl` entry. */
export interface KnowledgeEntry {
  readonly key: string;
  readonly content: string;
  readonly ts: string;
}

/** The memory of one conversation (a person or a room) under the memory directory. */
export class ConversationMemory {
  readonly #root: string;
  readonly dir: string;
  readonly log: SessionLog;

  constructor(memoryDir: string, id: string) {
    this.#root = memoryDir;
    this.dir = join(memoryDir, conversationDirName(id));
    this.log = new SessionLog(memoryDir, id);
  }

  /** The conversation's own file when it has text, else the global one, else undefined. */
  workspace(name: WorkspaceFile): string | undefined {
    return textOf(join(this.dir, `${name}.md`)) ?? textOf(join(this.#root, `${name}.md`));
  }

  /** `user.md` ("About this user"), or the legacy `context.md`. */
  userProfile(): string | undefined {
    return textOf(join(this.dir, 'user.md')) ?? textOf(join(this.dir, 'context.md'));
  }

  /** `memory.md` ("Notes and memory"). */
  notes(): string | undefined {
    return textOf(join(this.dir, 'memory.md'));
  }

  /** Every knowledge entry, in file order (malformed lines left out). */
  knowledge(): KnowledgeEntry[] {
    const text = readOrUndefined(join(this.dir, 'knowledge.jsonl')) ?? '';
    return text.split('\n').flatMap((line) => {
      try {
        const v = JSON.parse(line) as Record<string, unknown>;
        return typeof v.key === 'string' && typeof v.content === 'string'
          ? [{ key: v.key, content: v.content, ts: typeof v.ts === 'string' ? v.ts : '' }]
          : [];
      } catch {
        return [];
      }
    });
  }

  /** `memory_store`: a new key is appended, a known key rewritten in place. */
  store(key: string, content: string, now = Date.now()): string {
    const entry = { key, content, ts: fluuxTime(now) };
    const entries = this.knowledge();
    const at = entries.findIndex((e) => e.key === key);
    mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    const next = at < 0 ? [...entries, entry] : entries.map((e, i) => (i === at ? entry : e));
    writeAtomically(
      join(this.dir, 'knowledge.jsonl'),
      next.map((e) => `${JSON.stringify(e)}\n`).join(''),
    );
    return `Stored knowledge entry: '${key}'`;
  }

  /** `memory_recall`: every entry, or those whose key or content contains `query`. */
  recall(query?: string): string {
    const entries = this.knowledge();
    if (entries.length === 0) return 'No knowledge entries stored yet.';
    const q = query?.trim().toLowerCase() ?? '';
    const found =
      q === ''
        ? entries
        : entries.filter((e) => `${e.key}\n${e.content}`.toLowerCase().includes(q));
    if (found.length === 0) return `No knowledge entries found matching: ${query ?? ''}`;
    const lines = found.map((e, i) => `${String(i + 1)}. [${e.key}] ${e.content}`);
    return `Found ${String(found.length)} knowledge entries:\n${lines.join('\n')}`;
  }

  /**
   * `/forget`: the session, profile, notes, knowledge and files go; archived sessions and the
   * conversation's workspace overrides stay. Fluux Agent's reply texts.
   */
  forget(): string {
    if (!existsSync(this.dir)) return 'No memory to erase.';
    const parts: string[] = [];
    const messages = this.log.messages().length;
    const remove = (name: string, part: string): void => {
      const path = join(this.dir, name);
      if (!existsSync(path)) return;
      rmSync(path, { recursive: true, force: true });
      parts.push(part);
    };
    remove('history.jsonl', `${String(messages)} messages`);
    remove('history.md', 'legacy history');
    remove('user.md', 'user profile');
    remove('context.md', 'context');
    remove('memory.md', 'memory');
    const entries = this.knowledge().length;
    remove('knowledge.jsonl', `${String(entries)} knowledge entries`);
    const files = countFiles(join(this.dir, 'files'));
    remove('files', `${String(files)} files`);
    return parts.length === 0
      ? 'No active memory to erase (archived sessions preserved).'
      : `Erased: ${parts.join(', ')}. Archived sessions preserved.`;
  }
}

/**
 * The system prompt as Fluux Agent assembles it: identity, personality and instructions (or
 * `fallback` when the memory directory has none of them), then the person's profile and notes
 * under their headings, then the date.
 */
export function systemPrompt(
  memory: ConversationMemory,
  fallback: string,
  now: Date = new Date(),
): string {
  const parts = (['identity', 'personality', 'instructions'] as const).flatMap((name) => {
    const text = memory.workspace(name);
    return text === undefined ? [] : [text];
  });
  let prompt = parts.length === 0 ? fallback : parts.join('\n\n');
  const profile = memory.userProfile();
  if (profile !== undefined) prompt += `\n\n## About this user\n${profile}`;
  const notes = memory.notes();
  if (notes !== undefined) prompt += `\n\n## Notes and memory\n${notes}`;
  return `${prompt}\n\nCurrent date: ${DATE_FORMAT.format(now)}`;
}

/** `Wednesday, November 25, 2026`; built once (Intl formats are costly to create). */
const DATE_FORMAT = new Intl.DateTimeFormat('en-US', {
  weekday: 'long',
  month: 'long',
  day: 'numeric',
  year: 'numeric',
});

/** A file's text when it exists and is not blank. */
function textOf(path: string): string | undefined {
  const text = readOrUndefined(path);
  return text === undefined || text.trim() === '' ? undefined : text;
}

function readOrUndefined(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

function writeAtomically(path: string, text: string): void {
  const temp = `${path}.${String(process.pid)}.tmp`;
  writeFileSync(temp, text, { mode: 0o600 });
  renameSync(temp, path);
}

function countFiles(dir: string): number {
  try {
    return readdirSync(dir, { recursive: true, withFileTypes: true }).filter((e) => e.isFile())
      .length;
  } catch {
    return 0;
  }
}
