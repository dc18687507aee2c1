/**
 * Wiring the agent's presence (src/discovery/announcer.ts) into a profile's session host: the
 * card comes from `agent.json` and the addresses of every profile; the workspaces from
 * `workspaces.json`. Both are re-read on each heartbeat and on `refresh`.
 */
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { AgentSettingsStore } from '../config/agent-settings.ts';
import { resolvePaths } from '../config/paths.ts';
import { securityFiles } from '../config/security-files.ts';
import { loadOrCreateSigningKey } from '../security/signing-key.ts';
import { accountId, type Profile } from '../config/profile.ts';
import { WorkspaceList } from '../config/workspace-list.ts';
import { Announcer } from '../discovery/announcer.ts';
import { buildCard } from '../discovery/card-build.ts';
import type { AgentAddress, AgentCard, Skill } from '../discovery/card.ts';
import { toolSkills } from '../discovery/tool-skills.ts';
import { loadPolicy } from '../security/policy.ts';
import { DEFAULT_HEARTBEAT_MS } from '../discovery/heartbeat.ts';
import { messageOf } from '../errors.ts';
import type { HostCompanion } from '../session/host.ts';
import type { HostLog } from '../session/log.ts';
import { startWorker, type RunningWorker } from './agent-worker.ts';
import { openProfileStore } from './connect.ts';
import { millisecondsSetting } from './option-values.ts';

/** The heartbeat interval: MX_AGENT_HEARTBEAT_MS, else a minute. */
export function heartbeatInterval(value = process.env.MX_AGENT_HEARTBEAT_MS): number {
  return millisecondsSetting('MX_AGENT_HEARTBEAT_MS', value, DEFAULT_HEARTBEAT_MS);
}

/** What `mx-agent serve` adds to the card: it is a `serve` agent, with its chat skills. */
export interface Serving {
  readonly skills: () => readonly Skill[];
  /** Addresses beyond the login profiles' (an agent.toml [server] account). */
  readonly addresses: readonly AgentAddress[];
  readonly since: number;
}

/** This agent's card as it stands now. */
export function currentCard(
  version: string,
  heartbeatMs = heartbeatInterval(),
  serving?: Serving,
): AgentCard {
  const paths = resolvePaths();
  const settings = new AgentSettingsStore(paths).read();
  const profiles = openProfileStore().list();
  const files = securityFiles(paths);
  const key = loadOrCreateSigningKey(files.keyDir);
  const addresses = profiles.map(addressOf);
  for (const extra of serving?.addresses ?? [])
    if (!addresses.some((a) => a.network === extra.network && a.address === extra.address))
      addresses.push(extra);
  return buildCard(serving ? { ...settings, kind: 'serve' } : settings, {
    addresses,
    signingKey: { fingerprint: key.fingerprint, publicRaw: key.publicRaw },
    tools: [...policyTools(files.policy), ...(serving?.skills() ?? [])],
    version,
    heartbeatMs,
    updated: Math.floor(
      Math.max(
        mtime(join(paths.config, 'agent.json')),
        mtime(join(paths.config, 'profiles.json')),
        mtime(files.policy),
        serving?.since ?? 0,
      ),
    ),
  });
}

/** The tools policy.toml offers; none while it does not load (the worker then denies all). */
function policyTools(file: string): Skill[] {
  try {
    return toolSkills(loadPolicy(file));
  } catch {
    return [];
  }
}

/**
 * The host companion of `profile`: the agent present in its workspaces (card, heartbeats),
 * and the worker that serves peers' task requests (deny by default, docs/security.md).
 */
export function agentPresence(
  profile: Profile,
  version: string,
  log: HostLog,
  serving?: Serving,
): HostCompanion {
  const heartbeatMs = heartbeatInterval();
  const workspaces = new WorkspaceList(resolvePaths());
  const announcer = new Announcer({
    card: () => currentCard(version, heartbeatMs, serving),
    workspaces: () => workspaces.of(profile.name),
    log,
  });
  let worker: RunningWorker | undefined;
  return {
    start: (transport, leases) => {
      try {
        worker = startWorker(transport, log);
      } catch (error) {
        log(
          'warn',
          `the worker did not start, so no task requests are served: ${messageOf(error)}`,
        );
      }
      announcer.start(transport, {
        join: async (workspace, signal) => {
          await leases.acquire(workspace, 0, { signal, timeoutMs: 30_000 });
        },
        leave: (workspace) => leases.release(workspace, 0),
      });
    },
    refresh: (signal) => announcer.refresh(signal),
    stop: async () => {
      await Promise.allSettled([announcer.stop(), worker?.stop()]);
    },
  };
}

function addressOf(profile: Profile): AgentAddress {
  return { network: profile.network, address: accountId(profile) };
}

function mtime(path: string): number {
  try {
    return statSync(path).mtimeMs;
  } catch {
    return 0;
  }
}
