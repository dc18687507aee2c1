import { existsSync } from 'node:fs';
import type { OptionValues } from 'commander';
import { ActivityFeed, type AgentActivity } from '../../agent/activity.ts';
import { loadServeConfig, type ServeConfig } from '../../agent/config.ts';
import {
  createServeAgent,
  type AgentAttachment,
  type ServeAccount,
  type ServeAgent,
} from '../../agent/serve-agent.ts';
import { resolvePaths } from '../../config/paths.ts';
import { accountId, type Profile } from '../../config/profile.ts';
import { ConfigError, RefusedError, messageOf } from '../../errors.ts';
import type { HostCompanion } from '../../session/host.ts';
import { runHostProcess } from '../../session/host-process.ts';
import { sessionFiles } from '../../session/files.ts';
import type { HostLog } from '../../session/log.ts';
import { agentPresence } from '../agent-presence.ts';
import { openProfileStore, openTransport } from '../connect.ts';
import type { CliContext } from '../context.ts';
import { flagOption, stringOption } from '../option-values.ts';
import { hostLog } from './daemon-action.ts';

/** After the hosts have stopped, how long a handle left open may keep the process alive. */
const EXIT_GRACE_MS = 3000;

/** One account to serve on: its profile and where its secret comes from. */
interface Served {
  readonly account: ServeAccount;
  readonly profile: Profile;
  readonly secret: () => string;
}

/** `serve`: the chat agent and worker on every configured account, until stopped. */
export async function runServe(values: OptionValues, context: CliContext): Promise<void> {
  context.endsOnInterrupt();
  const { output } = context;
  const workerOnly = flagOption(values, 'workerOnly');
  const config = readConfig(stringOption(values, 'config'), workerOnly);
  for (const warning of config?.warnings ?? []) output.warn(warning);
  const served = servedAccounts(config, context);
  const activity = new ActivityFeed();
  // In a terminal, a live dashboard (log lines go into it); otherwise one log line per event.
  const dashboard =
    config !== undefined &&
    !workerOnly &&
    output.stdio.stdout.isTTY === true &&
    !output.options.json &&
    process.env.CI === undefined;
  const log: HostLog = dashboard
    ? (level, message) => {
        activity.report({ type: 'log', level, message, at: Date.now() });
      }
    : hostLog(output);
  if (!dashboard) activity.subscribe(activityLog(log));
  const agent =
    config === undefined || workerOnly
      ? undefined
      : await createServeAgent(
          config,
          served.map((s) => s.account),
          log,
          activity,
        );
  const view =
    dashboard && agent
      ? (await import('../../ui/serve-dashboard.ts')).startServeDashboard({
          name: config.agent.name,
          feed: activity,
          spend: () => agent.spend(),
          stdout: process.stdout,
        })
      : undefined;
  // One account failing for good stops the others: a half-up agent is worse than a clear error.
  const stopAll = new AbortController();
  const signal = AbortSignal.any([context.signal, stopAll.signal]);
  try {
    const results = await Promise.allSettled(
      served.map(async (s) => {
        try {
          await serveAccount(s, agent, { ...context, signal }, log, view !== undefined);
        } finally {
          stopAll.abort();
        }
      }),
    );
    const failed = results.find((r) => r.status === 'rejected');
    if (failed !== undefined) throw failed.reason;
  } finally {
    view?.stop();
    await agent?.close();
    setTimeout(() => {
      output.warn('serve stopped but something kept the process alive; exiting');
      process.exit();
    }, EXIT_GRACE_MS).unref();
  }
}

/** Activity as log lines: replies and refusals at info, what people wrote only at debug (-v). */
function activityLog(log: HostLog): (activity: AgentActivity) => void {
  return (a) => {
    switch (a.type) {
      case 'reply':
        log(
          'info',
          `replied in ${a.conversation} (${String(a.ms)} ms, ${String(a.tokens)} tokens)`,
        );
        return;
      case 'message':
        log(
          'debug',
          `message in ${a.conversation} from ${a.from} (${String(a.text.length)} characters)`,
        );
        return;
      case 'command':
        log('debug', `${a.command} in ${a.conversation}`);
        return;
      case 'connection':
        log(a.state === 'online' ? 'info' : 'warn', `${a.account}: ${a.state}`);
        return;
      case 'refused':
      case 'log':
        return;
    }
  };
}

function readConfig(path: string | undefined, workerOnly: boolean): ServeConfig | undefined {
  if (path !== undefined) return loadServeConfig(path);
  if (existsSync('agent.toml')) return loadServeConfig('agent.toml');
  if (workerOnly) return undefined;
  throw new ConfigError(
    'serve needs an agent.toml with at least [agent] name and [llm]: give --config FILE, put agent.toml in this directory, or add --worker-only to only run peers\' jobs (docs/configuration.md, "serve")',
  );
}

/** Every account to serve on: [server], [matrix] profile, and --profile (or the default). */
function servedAccounts(config: ServeConfig | undefined, context: CliContext): Served[] {
  const served: Served[] = [];
  const server = config?.server;
  if (server !== undefined) {
    const profile: Profile =
      server.mode === 'client'
        ? {
            name: server.jid,
            createdAt: new Date().toISOString(),
            network: 'xmpp',
            account: {
              mode: 'client',
              jid: server.jid,
              host: server.host,
              port: server.port,
              tls: server.tls,
              ...(server.tlsVerify ? {} : { tlsInsecure: true }),
              resource: server.resource,
            },
          }
        : {
            name: server.componentDomain,
            createdAt: new Date().toISOString(),
            network: 'xmpp',
            account: {
              mode: 'component',
              domain: server.componentDomain,
              host: server.host,
              port: server.port,
            },
          };
    const secret = server.mode === 'client' ? server.password : server.componentSecret;
    served.push({ account: accountOf(profile), profile, secret: () => secret });
  }
  const store = openProfileStore();
  const names = [
    ...(config?.matrix ? [config.matrix.profile] : []),
    ...(context.profile !== undefined || served.length === 0 ? [context.profile] : []),
  ];
  for (const name of names) {
    const profile = store.get(name);
    if (served.some((s) => s.profile.name === profile.name)) continue;
    served.push({
      account: accountOf(profile),
      profile,
      secret: () => store.readSecret(profile.name),
    });
  }
  return served;
}

function accountOf(profile: Profile): ServeAccount {
  const id = accountId(profile);
  const { account } = profile;
  const mode =
    account.mode === 'matrix'
      ? `Matrix (${id})`
      : account.mode === 'component'
        ? `component (${id})`
        : `C2S client (${id})`;
  // A component's people are on the server it is attached to: agent.example.org → example.org.
  const domain =
    account.mode === 'matrix'
      ? id.slice(id.indexOf(':') + 1)
      : account.mode === 'component'
        ? id.includes('.')
          ? id.slice(id.indexOf('.') + 1)
          : id
        : id.slice(id.indexOf('@') + 1);
  return { profile: profile.name, network: profile.network, mode, domain };
}

/** Be the session host of one account, with the agent's presence, worker and chat. */
async function serveAccount(
  served: Served,
  agent: ServeAgent | undefined,
  context: CliContext,
  log: HostLog,
  quiet: boolean,
): Promise<void> {
  const { profile } = served;
  const presence = agentPresence(
    profile,
    context.version,
    log,
    agent
      ? {
          skills: () =>
            agent.skills().map((s) => ({
              name: s.name,
              description: s.description,
              inputSchema: s.inputSchema,
            })),
          addresses: [{ network: profile.network, address: accountId(profile) }],
          since: Date.now(),
        }
      : undefined,
  );
  const chat = agent?.attachment(served.account);
  const ended = await runHostProcess({
    files: sessionFiles(profile.name, resolvePaths()),
    network: profile.network,
    version: context.version,
    open: (signal) => openTransport(profile, served.secret(), { ...context, signal }),
    idleMs: undefined,
    signal: context.signal,
    log,
    companion: withChat(presence, chat),
    onReady: (readiness) => {
      if (!readiness.ready) return;
      const line = `serving ${readiness.address} (${served.account.mode}${chat ? ', chat' : ', worker only'}); Ctrl-C stops`;
      if (quiet) log('info', line);
      else context.output.info(line);
    },
  });
  if (ended.outcome === 'already-running')
    throw new RefusedError(
      `another process (pid ${String(ended.pid)}) already hosts ${accountId(profile)}; stop it first (\`mx-agent --profile ${profile.name} daemon stop\`, or the other serve)`,
    );
}

/** The host companion: presence and worker, plus the chat agent when there is one. */
function withChat(presence: HostCompanion, chat: AgentAttachment | undefined): HostCompanion {
  if (chat === undefined) return presence;
  return {
    start: (transport, leases) => {
      presence.start(transport, leases);
      try {
        chat.start(transport);
      } catch (error) {
        throw new ConfigError(`the chat agent could not start: ${messageOf(error)}`, {
          cause: error,
        });
      }
    },
    refresh: (signal) => presence.refresh(signal),
    stop: async () => {
      await Promise.allSettled([chat.stop(), presence.stop()]);
    },
  };
}
