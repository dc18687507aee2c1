/**
 * The `[skills.*]` part of `agent.toml`: Fluux Agent's `web_search`, `memory`, `url_fetch` (with
 * its documented `max_size_bytes` and `timeout_seconds`) and the MCP servers it documents
 * (`[skills.mcp] enabled`, `[[skills.mcp.servers]]` with `name`, `command`, `args`, `env`,
 * `transport`, `url`), plus ours: `url_fetch.allow_private` / `allow_addresses`, and per server
 * `headers`, `timeout_secs`, `destructive_tools`. Reading rules as in config.ts.
 */
import { isIP } from 'node:net';
import { readSwitch, valueError } from '../security/policy-values.ts';
import type { Reader } from './config.ts';

type Table = Record<string, unknown>;

/** What `url_fetch` may do. */
export interface UrlFetchConfig {
  readonly maxSizeBytes: number;
  readonly timeoutSeconds: number;
  /** Loopback, private and link-local addresses allowed (off by default). */
  readonly allowPrivate: boolean;
  /** Or only these addresses and CIDR ranges of them. */
  readonly allowAddresses: readonly string[];
}

/** One MCP server whose tools the model may call. */
export type McpServerConfig = McpServerCommon &
  (
    | {
        readonly transport: 'stdio';
        readonly command: string;
        readonly args: readonly string[];
        /** The child's environment besides PATH and HOME (nothing else of ours is passed). */
        readonly env: Readonly<Record<string, string>>;
      }
    | {
        readonly transport: 'http';
        readonly url: string;
        readonly headers: Readonly<Record<string, string>>;
      }
  );

/** What every MCP server has. */
export interface McpServerCommon {
  /** Prefix of its tools' names (`<name>__<tool>`): letters, digits, `_` and `-`. */
  readonly name: string;
  /** Longest a start or a tool call may take, in seconds. */
  readonly timeoutSecs: number;
  /** Tools that need the person's confirmation whatever the server says of them. */
  readonly destructiveTools: readonly string[];
}

/** The `[skills]` section. */
export interface SkillsConfig {
  readonly webSearch?: {
    readonly provider: 'tavily' | 'perplexity';
    readonly apiKey: string;
    readonly maxResults: number;
    readonly model?: string;
  };
  readonly memory: boolean;
  readonly urlFetch: boolean;
  readonly urlFetchOptions: UrlFetchConfig;
  /** The MCP servers to start: none when `[skills.mcp]` is absent or `enabled = false`. */
  readonly mcp: readonly McpServerConfig[];
  /** Ours: `[skills.workflow] dir`, the workflow files `run_workflow` may run (none: no skill). */
  readonly workflowDir?: string;
}

const NAME = /^[A-Za-z0-9_-]{1,32}$/;
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

/** `[skills]` read with `r`. */
export function readSkills(r: Reader, t: Table): SkillsConfig {
  // max_tool_rounds and max_execution_time are read with the limits (config-limits.ts).
  r.known('skills', t, [
    'web_search',
    'memory',
    'url_fetch',
    'mcp',
    'workflow',
    'max_tool_rounds',
    'max_execution_time',
  ]);
  const workflow = r.table('skills.workflow', t.workflow);
  r.known('skills.workflow', workflow, ['dir']);
  const memory = r.table('skills.memory', t.memory);
  r.known('skills.memory', memory, ['enabled']);
  const fetch = r.table('skills.url_fetch', t.url_fetch);
  r.known('skills.url_fetch', fetch, [
    'enabled',
    'max_size_bytes',
    'timeout_seconds',
    'allow_private',
    'allow_addresses',
  ]);
  const webSearch =
    t.web_search === undefined
      ? undefined
      : readWebSearch(r, r.table('skills.web_search', t.web_search));
  return {
    ...(webSearch === undefined ? {} : { webSearch }),
    memory: flag(r, 'skills.memory.enabled', memory.enabled, false),
    urlFetch: flag(r, 'skills.url_fetch.enabled', fetch.enabled, false),
    urlFetchOptions: {
      maxSizeBytes: r.integer('skills.url_fetch.max_size_bytes', fetch.max_size_bytes, {
        min: 1024,
        max: 1024 ** 3,
        fallback: 5 * 1024 * 1024,
      }),
      timeoutSeconds: r.integer('skills.url_fetch.timeout_seconds', fetch.timeout_seconds, {
        min: 1,
        max: 600,
        fallback: 30,
      }),
      allowPrivate: flag(r, 'skills.url_fetch.allow_private', fetch.allow_private, false),
      allowAddresses: addresses(r, 'skills.url_fetch.allow_addresses', fetch.allow_addresses),
    },
    mcp: t.mcp === undefined ? [] : readMcp(r, r.table('skills.mcp', t.mcp)),
    ...(workflow.dir === undefined
      ? {}
      : { workflowDir: r.text('skills.workflow.dir', workflow.dir) }),
  };
}

function readWebSearch(r: Reader, search: Table): SkillsConfig['webSearch'] {
  r.known('skills.web_search', search, ['provider', 'api_key', 'max_results', 'model']);
  return {
    provider: r.choice('skills.web_search.provider', search.provider, [
      'tavily',
      'perplexity',
    ] as const),
    apiKey: r.text('skills.web_search.api_key', search.api_key),
    maxResults: r.integer('skills.web_search.max_results', search.max_results, {
      min: 1,
      max: 50,
      fallback: 5,
    }),
    ...(search.model === undefined
      ? {}
      : { model: r.text('skills.web_search.model', search.model) }),
  };
}

function readMcp(r: Reader, t: Table): McpServerConfig[] {
  r.known('skills.mcp', t, ['enabled', 'servers']);
  if (t.servers !== undefined && !Array.isArray(t.servers))
    throw valueError(
      r.source,
      'skills.mcp.servers',
      'a list of [[skills.mcp.servers]] tables',
      t.servers,
    );
  const servers = ((t.servers ?? []) as unknown[]).map((item, i) => readServer(r, item, i));
  const seen = new Set<string>();
  servers.forEach((s, i) => {
    if (seen.has(s.name))
      throw valueError(
        r.source,
        `skills.mcp.servers[${String(i)}].name`,
        'a name no other server has',
        s.name,
      );
    seen.add(s.name);
  });
  return flag(r, 'skills.mcp.enabled', t.enabled, true) ? servers : [];
}

function readServer(r: Reader, item: unknown, i: number): McpServerConfig {
  const key = `skills.mcp.servers[${String(i)}]`;
  const s = r.table(key, item, true);
  const name = r.text(`${key}.name`, s.name);
  if (!NAME.test(name))
    throw valueError(r.source, `${key}.name`, 'up to 32 letters, digits, "_" or "-"', name);
  const transport =
    s.transport === undefined
      ? s.url !== undefined && s.command === undefined
        ? 'http'
        : 'stdio'
      : r.choice(`${key}.transport`, s.transport, ['stdio', 'http'] as const);
  const common: McpServerCommon = {
    name,
    timeoutSecs: r.integer(`${key}.timeout_secs`, s.timeout_secs, {
      min: 1,
      max: 3600,
      fallback: 60,
    }),
    destructiveTools: r.list(`${key}.destructive_tools`, s.destructive_tools, []),
  };
  const shared = ['name', 'transport', 'timeout_secs', 'destructive_tools'];
  if (transport === 'http') {
    r.known(key, s, [...shared, 'url', 'headers']);
    return {
      ...common,
      transport,
      url: r.url(`${key}.url`, s.url),
      headers: strings(r, `${key}.headers`, s.headers, HEADER_NAME, 'HTTP header names'),
    };
  }
  r.known(key, s, [...shared, 'command', 'args', 'env']);
  return {
    ...common,
    transport,
    command: r.text(`${key}.command`, s.command),
    args: r.list(`${key}.args`, s.args, []),
    env: strings(r, `${key}.env`, s.env, ENV_NAME, 'environment variable names'),
  };
}

/** A table of string values whose keys match `names`. */
function strings(
  r: Reader,
  key: string,
  value: unknown,
  names: RegExp,
  what: string,
): Record<string, string> {
  const t = r.table(key, value);
  for (const [name, v] of Object.entries(t)) {
    if (!names.test(name))
      throw valueError(r.source, `${key}.${name}`, `a table keyed by ${what}`, name);
    if (typeof v !== 'string') throw valueError(r.source, `${key}.${name}`, 'a string', v);
  }
  return t as Record<string, string>;
}

function addresses(r: Reader, key: string, value: unknown): string[] {
  const list = r.list(key, value, []);
  for (const entry of list) {
    const [address = '', prefix, extra] = entry.split('/');
    const family = isIP(address);
    const bits = family === 6 ? 128 : 32;
    const okPrefix = prefix === undefined || (/^\d{1,3}$/.test(prefix) && Number(prefix) <= bits);
    if (family === 0 || !okPrefix || extra !== undefined)
      throw valueError(r.source, key, 'IP addresses or CIDR ranges like "192.168.1.0/24"', entry);
  }
  return list;
}

function flag(r: Reader, key: string, value: unknown, fallback: boolean): boolean {
  return value === undefined ? fallback : readSwitch(r.source, key, value);
}
