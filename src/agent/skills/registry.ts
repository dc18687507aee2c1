/**
 * The skills one agent offers: the builtins its config enables (memory, url_fetch, web_search),
 * the skills the caller adds (mx-agent's own), then the tools of its MCP servers, in that order;
 * when two share a name the first is kept and the owner is warned. It lists them for the model
 * (ToolSpec), for `/skills` and for the agent protocol (SkillDescription), finds one by name, and
 * closes the MCP servers at shutdown.
 */
import type { SkillsConfig } from '../config-skills.ts';
import type { ToolSpec } from '../llm/types.ts';
import type { SkillDescription } from '../../transport/transport.ts';
import { connectMcpServers, type McpConnection } from './mcp.ts';
import { memoryRecallSkill, memoryStoreSkill } from './memory.ts';
import type { AgentSkill } from './types.ts';
import { urlFetchSkill } from './url-fetch.ts';
import { webSearchSkill } from './web-search.ts';

const NAME = /^[a-zA-Z0-9_-]{1,64}$/;

/** How to build a registry from the config. */
export interface RegistryOptions {
  /** Skills of the caller (mx-agent's own), after the builtins and before MCP tools. */
  readonly extra?: readonly AgentSkill[];
  /** Each warning (a duplicate name, an MCP server that did not start). */
  readonly warn?: (message: string) => void;
  /** Debug lines (MCP servers' stderr). */
  readonly log?: (line: string) => void;
  readonly signal?: AbortSignal;
}

/** The builtin skills `config` enables. */
export function builtinSkills(config: SkillsConfig): AgentSkill[] {
  const skills: AgentSkill[] = [];
  if (config.memory) skills.push(memoryStoreSkill, memoryRecallSkill);
  if (config.urlFetch) {
    const o = config.urlFetchOptions;
    skills.push(
      urlFetchSkill({
        maxBytes: o.maxSizeBytes,
        timeoutMs: o.timeoutSeconds * 1000,
        allowPrivate: o.allowPrivate,
        allowAddresses: o.allowAddresses,
      }),
    );
  }
  if (config.webSearch !== undefined) skills.push(webSearchSkill(config.webSearch));
  return skills;
}

/** A set of skills with unique names. */
export class SkillRegistry {
  readonly #skills = new Map<string, AgentSkill>();
  readonly #connections: readonly McpConnection[];
  /** Every warning given while building it. */
  readonly warnings: string[] = [];

  /** Builtins, `extra` and MCP tools as `config` says; MCP servers start in parallel. */
  static async fromConfig(
    config: SkillsConfig,
    options: RegistryOptions = {},
  ): Promise<SkillRegistry> {
    const warnings: string[] = [];
    const warn = (message: string): void => {
      warnings.push(message);
      options.warn?.(message);
    };
    const connections = await connectMcpServers(config.mcp, {
      warn,
      ...(options.log ? { log: options.log } : {}),
      ...(options.signal ? { signal: options.signal } : {}),
    });
    const skills = [
      ...builtinSkills(config),
      ...(options.extra ?? []),
      ...connections.flatMap((c) => c.skills),
    ];
    const registry = new SkillRegistry(skills, connections, options.warn);
    registry.warnings.unshift(...warnings);
    return registry;
  }

  constructor(
    skills: readonly AgentSkill[],
    connections: readonly McpConnection[] = [],
    warn?: (message: string) => void,
  ) {
    this.#connections = connections;
    const say = (message: string): void => {
      this.warnings.push(message);
      warn?.(message);
    };
    for (const skill of skills) {
      if (!NAME.test(skill.name))
        say(
          `the skill ${JSON.stringify(skill.name)} is left out: a tool name is 1 to 64 letters, digits, "_" or "-"`,
        );
      else if (this.#skills.has(skill.name))
        say(`two skills are named ${skill.name}; the first is kept, the other left out`);
      else this.#skills.set(skill.name, skill);
    }
  }

  /** Every skill, in order. */
  all(): AgentSkill[] {
    return [...this.#skills.values()];
  }

  /** The skill the model calls `name`. */
  get(name: string): AgentSkill | undefined {
    return this.#skills.get(name);
  }

  /** The tools for the model, sorted by name (as Fluux Agent lists them). */
  tools(): ToolSpec[] {
    return this.all()
      .map((s) => ({ name: s.name, description: s.description, inputSchema: s.inputSchema }))
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  /** What `/skills` and the agent protocol's skills list show. */
  describe(): SkillDescription[] {
    return this.tools().map((t) => ({
      ...t,
      destructive: this.#skills.get(t.name)?.destructive === true,
    }));
  }

  /** Stop the MCP servers. */
  async close(): Promise<void> {
    await Promise.allSettled(this.#connections.map((c) => c.close()));
  }
}
