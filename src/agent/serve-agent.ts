/**
 * The composition root of the chat agent `serve` runs: the model (with retries and a call
 * timeout), the skills (builtins, MCP servers', mx-agent's own), the spend ledger, and the
 * ChatAgent, attached to each connection as it comes up. Nothing here talks to a network or a
 * provider directly; it wires the parts that do.
 */
import { lookup } from 'node:dns/promises';
import { join, resolve } from 'node:path';
import { resolvePaths } from '../config/paths.ts';
import { WorkspaceList } from '../config/workspace-list.ts';
import type { DiscoverySource } from '../discovery/discover.ts';
import type { Network, SkillDescription, Transport } from '../transport/transport.ts';
import { isAllowed } from './access.ts';
import type { ActivityFeed, SpendSnapshot } from './activity.ts';
import { agentRequestHandler } from './agent-requests.ts';
import { ChatAgent } from './chat-agent.ts';
import type { RoomSetting } from './chat-helpers.ts';
import type { ServeConfig } from './config.ts';
import { createModel } from './llm/index.ts';
import { completeWithRetries } from './llm/retry.ts';
import type { ModelRequest } from './llm/types.ts';
import { CHAT_SKILL, nativeSkills } from './native-skills.ts';
import { runWorkflowSkill } from './workflow-skill.ts';
import { fenceUntrusted } from './skills/fence.ts';
import { SkillRegistry } from './skills/registry.ts';
import { SpendLedger } from './spend.ts';

/** One account the agent serves on. */
export interface ServeAccount {
  readonly profile: string;
  readonly network: Exclude<Network, 'fake'>;
  /** How /status names the connection: `C2S client (bot@example.org)` … */
  readonly mode: string;
  /** The account's own domain (the default for allowed_domains). */
  readonly domain: string;
}

/** Log lines of the agent. */
export type AgentLog = (level: 'info' | 'warn' | 'debug', message: string) => void;

/** What attaches the agent to a connection. */
export interface AgentAttachment {
  start(transport: Transport): void;
  stop(): Promise<void>;
}

/** The running chat agent of `serve`. */
export interface ServeAgent {
  attachment(account: ServeAccount): AgentAttachment;
  /** Tokens used today by the whole agent, and its cap (0: none). */
  spend(): SpendSnapshot;
  /** The skills it offers (the agent protocol's `chat`, then the registry's), for its card. */
  skills(): readonly SkillDescription[];
  close(): Promise<void>;
}

/** The fallback persona when the memory directory has no identity, personality or instructions. */
function fallbackPrompt(name: string): string {
  return `You are ${name}, a helpful assistant reached over chat (XMPP or Matrix). Answer concisely in plain text.`;
}

/** Build the agent from its config; the accounts it will serve on are known up front. */
export async function createServeAgent(
  config: ServeConfig,
  accounts: readonly ServeAccount[],
  log: AgentLog,
  activity?: ActivityFeed,
): Promise<ServeAgent> {
  const { limits } = config;
  const memoryDir = resolve(config.memory.path);
  const model = await createModel(config.llm, { timeoutMs: limits.llmTimeoutSecs * 1000 });
  const complete = (request: ModelRequest) =>
    completeWithRetries(model, request, {
      attempts: limits.llmRetries + 1,
      baseDelayMs: 500,
      maxDelayMs: 20_000,
      onRetry: ({ error, attempt, delayMs }) => {
        log(
          'warn',
          `model call ${String(attempt)} failed (${error.message}); trying again in ${String(delayMs)} ms`,
        );
      },
    });
  const connected = new Map<string, { account: ServeAccount; transport: Transport }>();
  const workspaces = new WorkspaceList(resolvePaths());
  const sources = (): DiscoverySource[] =>
    [...connected.values()].map(({ account, transport }) => ({
      profile: account.profile,
      transport,
      workspaces: workspaces.of(account.profile),
    }));
  // Matrix addresses: @user, #alias, !room; the rest are XMPP.
  const transportFor = (address: string): Transport | undefined =>
    [...connected.values()].find(
      ({ account }) => (account.network === 'matrix') === /^[@#!]/.test(address),
    )?.transport;
  const skills = await SkillRegistry.fromConfig(config.skills, {
    extra: [
      ...nativeSkills({ sources, transportFor }),
      ...(config.skills.workflowDir === undefined
        ? []
        : [runWorkflowSkill(config.skills.workflowDir, sources)]),
    ],
    warn: (message) => {
      log('warn', message);
    },
    log: (line) => {
      log('debug', line);
    },
  });
  const startedAt = Date.now();
  // With several accounts, "own domain" (the default) means each of theirs.
  const access = {
    ownDomain: accounts[0]?.domain ?? '',
    allowedJids: config.agent.allowedJids,
    allowedDomains:
      config.agent.allowedDomains.length > 0
        ? config.agent.allowedDomains
        : accounts.map((a) => a.domain),
  };
  const allowed = (sender: string): boolean => isAllowed(sender, access);
  const ledger = new SpendLedger(join(memoryDir, '.mx-agent-usage.json'), {
    dailyTokens: limits.dailyTokens,
    dailyTokensPerPerson: limits.dailyTokensPerPerson,
  });
  const chat = new ChatAgent({
    memoryDir,
    complete,
    skills,
    ledger,
    settings: {
      maxToolRounds: limits.maxToolRounds,
      maxTokens: config.llm.maxTokensPerRequest,
      turnTimeoutMs: limits.turnTimeoutSecs * 1000,
      historyTokens: limits.historyTokens,
      roomHistoryTokens: limits.roomHistoryTokens,
      stream: limits.streamReplies,
      editIntervalMs: 1000,
      confirmTimeoutMs: limits.confirmTimeoutSecs * 1000,
    },
    fallbackPrompt: fallbackPrompt(config.agent.name),
    fence: fenceUntrusted,
    accepts: model.accepts,
    // Uploads (XEP-0363) usually live on the XMPP server itself, which may be on a private network.
    attachmentHosts: new Set(config.server ? await addressesOf(config.server.host) : []),
    allowed,
    idleTimeoutMins: config.session.idleTimeoutMins,
    log,
    ...(activity ? { activity } : {}),
    facts: () => ({
      name: config.agent.name,
      startedAt,
      modes: accounts.map((a) => a.mode),
      provider: config.llm.provider,
      model: config.llm.model,
      skills: skills.describe().map((s) => s.name),
      ...(config.keepalive.enabled
        ? {
            keepalive: {
              pingSecs: config.keepalive.pingIntervalSecs,
              timeoutSecs: config.keepalive.readTimeoutSecs,
            },
          }
        : {}),
      idleTimeoutMins: config.session.idleTimeoutMins,
      allowedDomains: config.agent.allowedDomains,
      ownDomain: accounts.map((a) => a.domain).join(', '),
    }),
  });
  return {
    spend: () => ({ total: ledger.used('').total, cap: limits.dailyTokens }),
    skills: () => [CHAT_SKILL, ...skills.describe()],
    attachment: (account) => {
      let detach: (() => void) | undefined;
      let unwatchConnection: (() => void) | undefined;
      let transport: Transport | undefined;
      return {
        start: (t) => {
          transport = t;
          const report = (state: Transport['state'], retryInMs?: number): void => {
            activity?.report({
              type: 'connection',
              account: account.profile,
              state,
              ...(retryInMs === undefined ? {} : { retryInMs }),
              at: Date.now(),
            });
          };
          report(t.state);
          unwatchConnection = t.subscribe((event) => {
            if (event.type === 'connection') report(event.state, event.retryInMs);
          });
          connected.set(account.profile, { account, transport: t });
          t.answerAgentRequests(agentRequestHandler(t, { allowed, skills, chat, memoryDir }));
          const rooms = roomsOn(config, account.network);
          chat.attach(t, rooms).then(
            (stop) => {
              detach = stop;
            },
            (error: unknown) => {
              log('warn', `the chat agent could not start on ${account.profile}: ${String(error)}`);
            },
          );
        },
        stop: () => {
          unwatchConnection?.();
          detach?.();
          transport?.answerAgentRequests(undefined);
          connected.delete(account.profile);
          return Promise.resolve();
        },
      };
    },
    close: async () => {
      await chat.close();
      await skills.close();
    },
  };
}

/** The addresses `host` resolves to; none when it does not resolve (links there stay refused). */
async function addressesOf(host: string): Promise<string[]> {
  try {
    return (await lookup(host, { all: true })).map((a) => a.address);
  } catch {
    return [];
  }
}

/** The configured rooms on one network: Matrix rooms start with # or !, the rest are MUCs. */
function roomsOn(config: ServeConfig, network: 'xmpp' | 'matrix'): RoomSetting[] {
  return config.rooms
    .filter((room) => (network === 'matrix') === /^[#!]/.test(room.jid))
    .map((room) => ({ address: room.jid, nick: room.nick }));
}
