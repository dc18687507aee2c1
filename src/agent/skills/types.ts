/**
 * What a skill (a tool the chat agent's model may call) is. Builtins (url_fetch, memory,
 * web_search), mx-agent's own (peers, share context, delegate, workflow) and MCP servers' tools
 * all take this shape, so the agent loop treats them alike.
 */
import type { JsonObject } from '../../transport/transport.ts';
import type { ConversationMemory } from '../memory.ts';

/** Where a skill runs: the conversation and the person whose turn called it. */
export interface SkillContext {
  /** The conversation id (a bare JID, a room JID, a Matrix user or room id). */
  readonly conversation: string;
  /** Who sent the message this turn answers. */
  readonly sender: string;
  /** The conversation's memory (knowledge, notes). */
  readonly memory: ConversationMemory;
  /** The text of the message this turn answers (to tell an address the person named from one the model made up). */
  readonly request?: string;
  /** Aborted when the turn is stopped (/stop) or times out. */
  readonly signal: AbortSignal;
}

/** What a skill gives back to the model. */
export interface SkillResult {
  /** Text for the model. */
  readonly content: string;
  /** True when the call failed; the model sees the failure as data, never as a crash. */
  readonly isError?: boolean;
  /**
   * Set when the content came from outside (a fetched page, a search, an MCP server): the loop
   * fences it as data and flags likely prompt injection. `source` says where it came from.
   */
  readonly untrusted?: { readonly source: string };
}

/** A tool the model may call. */
export interface AgentSkill {
  /** The tool name the model uses: [a-zA-Z0-9_-]{1,64}. */
  readonly name: string;
  readonly description: string;
  /** A JSON Schema (type object) for the input. */
  readonly inputSchema: JsonObject;
  /** True when calling it changes something outside (sends, deletes, runs): the person confirms first. */
  readonly destructive?: boolean;
  /** When only some calls need the person's yes (e.g. messaging an address they did not name). */
  confirmWhen?(input: JsonObject, context: SkillContext): boolean;
  run(input: JsonObject, context: SkillContext): Promise<SkillResult>;
}
