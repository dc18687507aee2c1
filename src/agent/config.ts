/**
 * The serve config, `agent.toml`, read as Fluux Agent writes it (`[server]`, `[llm]`, `[agent]`,
 * `[memory]`, `[session]`, `[[rooms]]`, `[skills.*]`, `[keepalive]`; see
 * ../shared/reference/fluux-agent-and-openclaw.md §2.4), so an existing file works as it is.
 * Differences, each on purpose:
 * - `${VAR}` is expanded in values only (config-expand.ts), not over the whole text.
 * - A key we do not know is a warning naming `file:line:column`, not silently ignored: a typo
 *   (`alowed_jids`) would otherwise quietly change who may talk to the agent.
 * - A bad value stops start-up: `file:line:column: key: expected …, got …`.
 * - `[server]` may be left out when the agent runs on the accounts of `mx-agent login`.
 * - `[llm] provider` also takes `openai` (any OpenAI-compatible endpoint, `base_url`).
 * - `[[rooms]] nick` defaults to `[agent] name` rather than "fluux-agent".
 * `[skills]` is read in config-skills.ts, with the same Reader.
 */
import { readFileSync } from 'node:fs';
import { ConfigError, messageOf } from '../errors.ts';
import { locateKeys } from '../security/policy-source.ts';
import { parseToml } from '../security/policy.ts';
import { readSwitch, valueError, where, type ValueSource } from '../security/policy-values.ts';
import { expandValues } from './config-expand.ts';
import { readLimits, readMatrix, type AgentLimits } from './config-limits.ts';
import { readSkills, type SkillsConfig } from './config-skills.ts';

/** How the agent reaches XMPP when the file says so itself. */
export type ServerConfig =
  | {
      readonly mode: 'client';
      readonly host: string;
      readonly port: number;
      readonly jid: string;
      readonly password: string;
      readonly resource: string;
      readonly tlsVerify: boolean;
      /** Ours: `starttls` (Fluux's behaviour, the default), `required` (direct TLS) or `off`. */
      readonly tls: 'starttls' | 'required' | 'off';
    }
  | {
      readonly mode: 'component';
      readonly host: string;
      readonly port: number;
      readonly componentDomain: string;
      readonly componentSecret: string;
    };

/** A language model provider. */
export type LlmProvider = 'anthropic' | 'ollama' | 'openai';

/** The whole config, with defaults filled in. */
export interface ServeConfig {
  readonly file: string;
  readonly server?: ServerConfig;
  readonly llm: {
    readonly provider: LlmProvider;
    readonly model: string;
    readonly apiKey: string;
    readonly maxTokensPerRequest: number;
    /** Ollama's address, or an OpenAI-compatible endpoint's base URL. */
    readonly baseUrl?: string;
  };
  readonly agent: {
    readonly name: string;
    readonly allowedJids: readonly string[];
    readonly allowedDomains: readonly string[];
  };
  readonly memory: { readonly backend: string; readonly path: string };
  readonly session: { readonly idleTimeoutMins: number };
  readonly rooms: readonly { readonly jid: string; readonly nick: string }[];
  readonly skills: SkillsConfig;
  readonly keepalive: {
    readonly enabled: boolean;
    readonly pingIntervalSecs: number;
    readonly readTimeoutSecs: number;
  };
  readonly limits: AgentLimits;
  /** A Matrix account (a login profile) to serve on too. */
  readonly matrix?: { readonly profile: string };
  /** Keys that were ignored, each with where it is and why. */
  readonly warnings: readonly string[];
}

/** A TOML table. */
export type Table = Record<string, unknown>;

/** Fluux Agent keys documented but not implemented there either: accepted, and said so. */
const FLUUX_RESERVED = new Set([
  'sandbox',
  'proactive',
  'personas',
  'channels',
  'llm.default',
  'llm.tiers',
  'llm.agents',
  'agent.dev_command_jids',
  'agent.max_concurrent_subagents',
  'agent.subagent_timeout',
  'agent.allow_subagents',
  'memory.search',
  'memory.shared',
  'skills.enabled',
  'skills.mcp.servers.capabilities',
  'skills.wasm',
  'skills.xmpp_send',
  'skills.github',
  'skills.jira',
  'skills.front',
]);

/** Read, expand and check `path`; `env` supplies `${VAR}` (process.env by default). */
export function loadServeConfig(
  path: string,
  env: Readonly<Record<string, string | undefined>> = process.env,
): ServeConfig {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new ConfigError(`${path}: cannot read the serve config: ${messageOf(error)}`, {
      cause: error,
    });
  }
  const source: ValueSource = { file: path, positions: locateKeys(text) };
  const raw = expandValues(parseToml(path, text), '', env, source) as Table;
  return readConfig(raw, source);
}

/** The config in a parsed (and expanded) document. */
export function readConfig(raw: Table, source: ValueSource): ServeConfig {
  const r = new Reader(source);
  r.known('', raw, [
    'server',
    'llm',
    'agent',
    'memory',
    'session',
    'rooms',
    'skills',
    'keepalive',
    'quota',
    'matrix',
  ]);
  const agentTable = r.table('agent', raw.agent, true);
  const name = r.text('agent.name', agentTable.name);
  r.known('agent', agentTable, [
    'name',
    'allowed_jids',
    'allowed_domains',
    'stream_replies',
    'confirm_timeout_secs',
  ]);
  const matrix = readMatrix(r, raw);
  const config: ServeConfig = {
    file: source.file,
    ...(raw.server === undefined ? {} : { server: readServer(r, r.table('server', raw.server)) }),
    llm: readLlm(r, r.table('llm', raw.llm, true)),
    agent: {
      name,
      allowedJids: r.list('agent.allowed_jids', agentTable.allowed_jids, []),
      allowedDomains: r.list('agent.allowed_domains', agentTable.allowed_domains, []),
    },
    memory: readMemory(r, r.table('memory', raw.memory)),
    session: readSession(r, r.table('session', raw.session)),
    rooms: readRooms(r, raw.rooms, name),
    skills: readSkills(r, r.table('skills', raw.skills)),
    keepalive: readKeepalive(r, r.table('keepalive', raw.keepalive)),
    limits: readLimits(r, raw),
    ...(matrix === undefined ? {} : { matrix }),
    warnings: r.warnings,
  };
  return config;
}

function readServer(r: Reader, t: Table): ServerConfig {
  const mode = r.choice('server.mode', t.mode, ['client', 'component'] as const);
  const host = r.text('server.host', t.host);
  const port = r.integer('server.port', t.port, { min: 1, max: 65_535 });
  if (mode === 'component') {
    r.known('server', t, ['mode', 'host', 'port', 'component_domain', 'component_secret']);
    return {
      mode,
      host,
      port,
      componentDomain: r.text('server.component_domain', t.component_domain),
      componentSecret: r.text('server.component_secret', t.component_secret),
    };
  }
  r.known('server', t, [
    'mode',
    'host',
    'port',
    'jid',
    'password',
    'resource',
    'tls_verify',
    'tls',
  ]);
  const jid = r.text('server.jid', t.jid);
  if (!/^[^@/\s]+@[^@/\s]+$/.test(jid))
    throw valueError(r.source, 'server.jid', 'a bare JID like bot@example.org', jid);
  return {
    mode,
    host,
    port,
    jid,
    password: r.text('server.password', t.password),
    resource: r.text('server.resource', t.resource, 'mx-agent'),
    tlsVerify:
      t.tls_verify === undefined ? true : readSwitch(r.source, 'server.tls_verify', t.tls_verify),
    tls:
      t.tls === undefined
        ? 'starttls'
        : r.choice('server.tls', t.tls, ['starttls', 'required', 'off'] as const),
  };
}

function readLlm(r: Reader, t: Table): ServeConfig['llm'] {
  r.known('llm', t, [
    'provider',
    'model',
    'api_key',
    'max_tokens_per_request',
    'host',
    'base_url',
    'history_token_budget',
    'dm_history_token_budget',
    'muc_history_token_budget',
    'timeout_secs',
    'max_retries',
  ]);
  const provider = r.choice('llm.provider', t.provider, ['anthropic', 'ollama', 'openai'] as const);
  const base =
    t.base_url !== undefined
      ? r.url('llm.base_url', t.base_url)
      : t.host !== undefined
        ? r.url('llm.host', t.host)
        : provider === 'ollama'
          ? 'http://localhost:11434'
          : undefined;
  if (provider === 'openai' && base === undefined)
    throw valueError(
      r.source,
      'llm.base_url',
      'the endpoint of an OpenAI-compatible API, like "http://localhost:8000/v1"',
      undefined,
    );
  return {
    provider,
    model: r.text('llm.model', t.model),
    apiKey: r.text('llm.api_key', t.api_key, ''),
    maxTokensPerRequest: r.integer('llm.max_tokens_per_request', t.max_tokens_per_request, {
      min: 1,
      max: 1_000_000,
      fallback: 4096,
    }),
    ...(base === undefined ? {} : { baseUrl: base }),
  };
}

function readMemory(r: Reader, t: Table): ServeConfig['memory'] {
  r.known('memory', t, ['backend', 'path']);
  return {
    backend: r.text('memory.backend', t.backend, 'jsonl'),
    path: r.text('memory.path', t.path, './data/memory'),
  };
}

function readSession(r: Reader, t: Table): ServeConfig['session'] {
  r.known('session', t, ['idle_timeout_mins']);
  return {
    idleTimeoutMins: r.integer('session.idle_timeout_mins', t.idle_timeout_mins, {
      min: 0,
      max: 525_600,
      fallback: 0,
    }),
  };
}

function readRooms(r: Reader, value: unknown, name: string): ServeConfig['rooms'] {
  if (value === undefined) return [];
  if (!Array.isArray(value))
    throw valueError(r.source, 'rooms', 'a list of [[rooms]] tables', value);
  return value.map((item, i) => {
    const key = `rooms[${String(i)}]`;
    const t = r.table(key, item, true);
    r.known(key, t, ['jid', 'nick']);
    return { jid: r.text(`${key}.jid`, t.jid), nick: r.text(`${key}.nick`, t.nick, name) };
  });
}

function readKeepalive(r: Reader, t: Table): ServeConfig['keepalive'] {
  r.known('keepalive', t, ['enabled', 'ping_interval_secs', 'read_timeout_secs']);
  return {
    enabled: t.enabled === undefined ? true : readSwitch(r.source, 'keepalive.enabled', t.enabled),
    pingIntervalSecs: r.integer('keepalive.ping_interval_secs', t.ping_interval_secs, {
      min: 1,
      max: 86_400,
      fallback: 60,
    }),
    readTimeoutSecs: r.integer('keepalive.read_timeout_secs', t.read_timeout_secs, {
      min: 1,
      max: 86_400,
      fallback: 300,
    }),
  };
}

/** Reads values at key paths, collecting warnings and throwing precise errors. */
export class Reader {
  readonly source: ValueSource;
  readonly warnings: string[] = [];

  constructor(source: ValueSource) {
    this.source = source;
  }

  /** Warn about every key of `t` (at `path`) not in `keys`. */
  known(path: string, t: Table, keys: readonly string[]): void {
    for (const key of Object.keys(t)) {
      if (keys.includes(key)) continue;
      const full = path === '' ? key : `${path}.${key}`;
      const reserved = FLUUX_RESERVED.has(full) || FLUUX_RESERVED.has(full.replace(/\[\d+\]/g, ''));
      this.warnings.push(
        `${where(this.source, full)}: ${full}: ${reserved ? 'a Fluux Agent key mx-agent does not support yet' : 'unknown key'} (ignored)`,
      );
    }
  }

  /** The table at `key`; `{}` when absent, unless `required`. */
  table(key: string, value: unknown, required = false): Table {
    if (value === undefined) {
      if (required) throw new ConfigError(`${this.source.file}: [${key}] is required`);
      return {};
    }
    if (
      typeof value !== 'object' ||
      value === null ||
      Array.isArray(value) ||
      value instanceof Date
    )
      throw valueError(this.source, key, 'a table', value);
    return value as Table;
  }

  text(key: string, value: unknown, fallback?: string): string {
    if (value === undefined && fallback !== undefined) return fallback;
    if (typeof value !== 'string' || (fallback === undefined && value === ''))
      throw valueError(this.source, key, 'a non-empty string', value);
    return value;
  }

  list(key: string, value: unknown, fallback: readonly string[]): string[] {
    if (value === undefined) return [...fallback];
    if (!Array.isArray(value) || !value.every((v) => typeof v === 'string' && v !== ''))
      throw valueError(this.source, key, 'a list of strings', value);
    return value as string[];
  }

  integer(
    key: string,
    value: unknown,
    o: { readonly min: number; readonly max: number; readonly fallback?: number },
  ): number {
    if (value === undefined && o.fallback !== undefined) return o.fallback;
    if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < o.min || value > o.max)
      throw valueError(
        this.source,
        key,
        `a whole number from ${String(o.min)} to ${String(o.max)}`,
        value,
      );
    return value;
  }

  choice<T extends string>(key: string, value: unknown, options: readonly T[]): T {
    if (typeof value !== 'string' || !options.includes(value as T))
      throw valueError(
        this.source,
        key,
        `one of ${options.map((o) => `"${o}"`).join(', ')}`,
        value,
      );
    return value as T;
  }

  url(key: string, value: unknown): string {
    const text = this.text(key, value);
    if (!URL.canParse(text) || !/^https?:$/.test(new URL(text).protocol))
      throw valueError(this.source, key, 'an http:// or https:// URL', text);
    return text;
  }
}
