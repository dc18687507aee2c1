/**
 * This installation's agent, as `mx-agent card set` edits it: `agent.json` in the config
 * directory (mode 0600). The id is made once and kept: it is how peers recognise the agent
 * across workspaces, profiles and networks.
 */
import { randomBytes } from 'node:crypto';
import { hostname, userInfo } from 'node:os';
import Conf from 'conf';
import type { AgentCard, AgentKind, Skill } from '../discovery/card.ts';
import { AGENT_ID } from '../protocol/agent-id.ts';
import { ensurePrivateDir, type Paths } from './paths.ts';

/** What the user sets; everything else on the card is derived. */
export type AgentSettings = Pick<
  AgentCard,
  'id' | 'name' | 'description' | 'owner' | 'kind' | 'capabilities' | 'skills'
>;

type Stored = Partial<AgentSettings> & { id?: string };

const BASE32 = 'abcdefghijklmnopqrstuvwxyz234567';

/** A fresh agent id: `agt-` and 16 base32 characters (80 random bits). */
export function newAgentId(): string {
  const bytes = randomBytes(16);
  return `agt-${[...bytes].map((b) => BASE32[b % 32] ?? 'a').join('')}`;
}

/** The agent settings of one config directory. */
export class AgentSettingsStore {
  readonly #conf: Conf<Stored>;

  constructor(paths: Pick<Paths, 'config'>) {
    ensurePrivateDir(paths.config);
    this.#conf = new Conf<Stored>({
      cwd: paths.config,
      configName: 'agent',
      configFileMode: 0o600,
      defaults: {},
    });
  }

  /** The settings, with defaults for what was never set; the id is created on first use. */
  read(): AgentSettings {
    let id = this.#conf.get('id');
    if (id === undefined || !AGENT_ID.test(id)) {
      id = newAgentId();
      this.#conf.set('id', id);
    }
    const stored = this.#conf.store;
    return {
      id,
      name: stored.name ?? defaultName(),
      ...(stored.description === undefined ? {} : { description: stored.description }),
      ...(stored.owner === undefined ? {} : { owner: stored.owner }),
      kind: stored.kind ?? 'cli',
      capabilities: stored.capabilities ?? [],
      skills: stored.skills ?? [],
    };
  }

  /** Change some settings; `null` clears an optional one. */
  update(change: {
    readonly name?: string;
    readonly description?: string | null;
    readonly owner?: string | null;
    readonly kind?: AgentKind;
    readonly capabilities?: readonly string[];
    readonly skills?: readonly Skill[];
  }): AgentSettings {
    this.read();
    const entries: [string, unknown][] = Object.entries(change);
    for (const [key, value] of entries) {
      if (value === undefined) continue;
      if (value === null) this.#conf.delete(key as keyof Stored);
      else this.#conf.set(key, value);
    }
    return this.read();
  }
}

function defaultName(): string {
  let user = 'agent';
  try {
    user = userInfo().username;
  } catch {
    // No passwd entry (some containers): keep the generic name.
  }
  return `${user}@${hostname()}`;
}
