/**
 * Slash commands and mentions, with Fluux Agent's parsing and texts
 * (../shared/reference/fluux-agent-and-openclaw.md §2.1): in a 1:1 chat a trimmed body that
 * starts with `/` is a command (its first word, lower-cased; the rest are its arguments); in a
 * room only a message addressed to the agent counts (`@nick …` anywhere, or `nick: …` /
 * `nick …` at the start, any case), with the mention taken out. Commands never reach the model.
 */
import type { ConversationMemory } from './memory.ts';

/** A command as typed. */
export interface Command {
  readonly name: string;
  readonly args: string;
}

/** Fluux Agent's `/help`, then the commands mx-agent adds. */
export const HELP_TEXT = `Commands:
  /new     — Start a new conversation (archive current session)
  /forget  — Erase your history, profile, and memory
  /status  — Agent info, uptime, session stats
  /ping    — Check if the agent is alive
  /help    — This message
  /stop    — Stop the reply being written
  /skills  — What this agent can do for you
  /usage   — Tokens used today, and what is left`;

/** The command in a message, or undefined when it is not one. */
export function parseCommand(body: string): Command | undefined {
  const text = body.trim();
  if (!text.startsWith('/')) return undefined;
  const space = text.indexOf(' ');
  const name = (space < 0 ? text : text.slice(0, space)).toLowerCase();
  return { name, args: space < 0 ? '' : text.slice(space + 1).trim() };
}

/** A room message addressed to `nick`, without the mention; undefined when it is not. */
export function addressedTo(body: string, nick: string): string | undefined {
  const escaped = nick.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const leading = new RegExp(`^\\s*@?${escaped}(?::|,|\\s)\\s*`, 'i');
  const lead = leading.exec(body);
  if (lead !== null) return body.slice(lead[0].length).trim();
  const anywhere = new RegExp(`(^|\\s)@${escaped}(?=$|[\\s,.:;!?])`, 'i');
  if (!anywhere.test(body)) return undefined;
  return body
    .replace(anywhere, '$1')
    .replace(/\s{2,}/g, ' ')
    .trim();
}

/**
 * The reply to a command that needs only the conversation's memory (`/new`, `/reset`,
 * `/forget`, `/ping`, `/help`, and unknown ones), in Fluux Agent's words; undefined for the
 * commands the running agent answers itself (`/status`, `/stop`, `/skills`, `/usage`).
 */
export function basicCommandReply(
  command: Command,
  memory: ConversationMemory,
  now = Date.now(),
): string | undefined {
  switch (command.name) {
    case '/new':
    case '/reset': {
      if (memory.log.lastWrite() === undefined) return 'No active session to archive.';
      if (memory.log.messages().length === 0) return 'Session is already empty.';
      const archived = memory.log.archive(now) ?? 0;
      return `Session archived (${String(archived)} messages). Starting fresh.`;
    }
    case '/forget':
      return memory.forget();
    case '/ping':
      return 'pong';
    case '/help':
      return HELP_TEXT;
    case '/status':
    case '/stop':
    case '/skills':
    case '/usage':
      return undefined;
    default:
      return `Unknown command: ${command.name}\nType /help for available commands.`;
  }
}
