/**
 * Tools of MCP servers as skills (Model Context Protocol, spec 2025-06-18), through the official
 * SDK's client: a stdio server is a child process given only its configured environment (the SDK
 * adds its short list of harmless variables: HOME, LOGNAME, PATH, SHELL, TERM, USER; never our
 * API keys or passwords), a Streamable HTTP server is a URL with optional headers. Each tool
 * becomes `<server>__<tool>`. Whether it needs the person's confirmation follows the spec's tool
 * annotations and their defaults: `destructiveHint` defaults to true and only matters when
 * `readOnlyHint` is false (its default), so a tool is destructive unless the server says it is
 * read-only or not destructive; the owner's `destructive_tools` list adds more. A server that
 * cannot start costs a warning and its tools, never the agent.
 */
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import type { Tool } from '@modelcontextprotocol/sdk/types.js';
import { messageOf } from '../../errors.ts';
import type { JsonObject } from '../../transport/transport.ts';
import type { McpServerConfig } from '../config-skills.ts';
import { injectionSignals } from './fence.ts';
import { failure } from './input.ts';
import { mcpSkillName, resultText } from './mcp-result.ts';
import type { AgentSkill } from './types.ts';

/** One connected server: its tools as skills, and how to stop it. */
export interface McpConnection {
  readonly server: string;
  readonly skills: readonly AgentSkill[];
  /** Ends the session (and a stdio server's process). */
  close(): Promise<void>;
}

/** Where warnings and a stdio server's stderr lines go. */
export interface McpOptions {
  readonly warn: (message: string) => void;
  /** One line a stdio server wrote to its stderr (debug output; not shown by default). */
  readonly log?: (line: string) => void;
  readonly signal?: AbortSignal;
}

const CLIENT = { name: 'mx-agent', version: '0.1.0' };
const STDERR_KEPT = 5;
const MAX_DESCRIPTION = 2000;
const MAX_PAGES = 20;

/** Connect to every server at once; those that fail are left out, each with a warning. */
export async function connectMcpServers(
  servers: readonly McpServerConfig[],
  options: McpOptions,
): Promise<McpConnection[]> {
  const connections = await Promise.all(servers.map((s) => connectMcpServer(s, options)));
  return connections.filter((c) => c !== undefined);
}

/** Connect to one server and list its tools, or warn and give undefined. */
export async function connectMcpServer(
  config: McpServerConfig,
  options: McpOptions,
): Promise<McpConnection | undefined> {
  const timeout = config.timeoutSecs * 1000;
  const stderr: string[] = [];
  const transport = makeTransport(config, (line) => {
    stderr.push(line);
    if (stderr.length > STDERR_KEPT) stderr.shift();
    options.log?.(`mcp:${config.name}: ${line}`);
  });
  const client = new Client(CLIENT, { capabilities: {} });
  client.onerror = (error) => {
    options.log?.(`mcp:${config.name}: ${error.message}`);
  };
  try {
    const signal = options.signal ? { signal: options.signal } : {};
    await client.connect(transport, { timeout, ...signal });
    const tools = await listTools(client, timeout, options.signal);
    const skills = tools.map((tool) => toolSkill(client, config, tool, options.warn));
    return { server: config.name, skills, close: () => client.close() };
  } catch (error) {
    await client.close().catch(() => undefined);
    const where = config.transport === 'stdio' ? config.command : config.url;
    const output = stderr.length === 0 ? '' : ` (its last output: ${stderr.join(' | ')})`;
    options.warn(
      `MCP server "${config.name}" (${where}) did not start, so its tools are left out: ${messageOf(error)}${output}`,
    );
    return undefined;
  }
}

function makeTransport(config: McpServerConfig, onStderr: (line: string) => void): Transport {
  if (config.transport === 'http') {
    return new StreamableHTTPClientTransport(new URL(config.url), {
      requestInit: { headers: { ...config.headers } },
    });
  }
  const transport = new StdioClientTransport({
    command: config.command,
    args: [...config.args],
    env: { ...config.env },
    stderr: 'pipe',
  });
  let partial = '';
  transport.stderr?.on('data', (chunk: Buffer) => {
    const lines = (partial + chunk.toString('utf8')).split('\n');
    partial = lines.pop() ?? '';
    for (const line of lines) if (line.trim() !== '') onStderr(line.trimEnd());
  });
  return transport;
}

async function listTools(client: Client, timeout: number, signal?: AbortSignal): Promise<Tool[]> {
  const tools: Tool[] = [];
  let cursor: string | undefined;
  for (let page = 0; page < MAX_PAGES; page++) {
    const result = await client.listTools(cursor === undefined ? {} : { cursor }, {
      timeout,
      ...(signal ? { signal } : {}),
    });
    tools.push(...result.tools);
    cursor = result.nextCursor;
    if (cursor === undefined) break;
  }
  return tools;
}

/** Whether calling `tool` needs the person's confirmation (see the header). */
export function isDestructive(tool: Tool, overrides: readonly string[]): boolean {
  if (overrides.includes(tool.name)) return true;
  const hints = tool.annotations ?? {};
  return hints.readOnlyHint !== true && hints.destructiveHint !== false;
}

function toolSkill(
  client: Client,
  config: McpServerConfig,
  tool: Tool,
  warn: (message: string) => void,
): AgentSkill {
  const name = mcpSkillName(config.name, tool.name);
  const source = `mcp:${config.name}`;
  const text = tool.description ?? tool.title ?? tool.annotations?.title ?? '';
  const description = `${text === '' ? `The ${tool.name} tool` : text.slice(0, MAX_DESCRIPTION)} (MCP server ${config.name})`;
  // A tool's description goes to the model as it is: a server could hide instructions there.
  const signals = injectionSignals(text);
  if (signals.length > 0)
    warn(
      `MCP server "${config.name}": the description of its tool ${tool.name} looks like a prompt injection (${signals.join('; ')})`,
    );
  return {
    name,
    description,
    inputSchema: tool.inputSchema as JsonObject,
    destructive: isDestructive(tool, config.destructiveTools),
    async run(input, context) {
      try {
        const result = await client.callTool({ name: tool.name, arguments: input }, undefined, {
          signal: context.signal,
          timeout: config.timeoutSecs * 1000,
        });
        const content = Array.isArray(result.content) ? result.content : [];
        return {
          content: resultText(content, result.structuredContent),
          ...(result.isError === true ? { isError: true } : {}),
          untrusted: { source },
        };
      } catch (error) {
        if (context.signal.aborted) return failure(`${name}: stopped`);
        return failure(`${name}: the call failed: ${messageOf(error)}`);
      }
    },
  };
}
