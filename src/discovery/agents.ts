/**
 * Reading the agents of a workspace: their cards and heartbeats, kept only from accounts the
 * workspace lets publish agent state (owner or publisher) and only when the card names the
 * account that wrote it — so a member cannot pass itself off as another agent. Then merged
 * across workspaces, profiles and networks by agent id.
 */
import type { Network, Transport, WaitOptions } from '../transport/transport.ts';
import { CARD_TYPE, parseCard, type AgentCard } from './card.ts';
import {
  HEARTBEAT_TYPE,
  livenessOf,
  parseHeartbeat,
  type Heartbeat,
  type Liveness,
} from './heartbeat.ts';

/** One agent as one workspace shows it. */
export interface Sighting {
  readonly card: AgentCard;
  readonly heartbeat?: Heartbeat;
  readonly network: Network;
  readonly workspace: string;
  /** The account that published it. */
  readonly account: string;
}

/** One agent, merged from every sighting. */
export interface DiscoveredAgent {
  readonly id: string;
  /** The newest card seen. */
  readonly card: AgentCard;
  readonly liveness: Liveness;
  /** Milliseconds since the newest heartbeat, when there is one. */
  readonly lastSeenMs?: number;
  readonly load?: Heartbeat['load'];
  /** Where it was seen: `network workspace`. */
  readonly seenIn: readonly { readonly network: Network; readonly workspace: string }[];
  /** The accounts it published from. */
  readonly accounts: readonly string[];
}

/** Something read from the network was not usable; reported, never fatal. */
export type Rejection = (reason: string) => void;

/** The agents one workspace shows. */
export async function readWorkspaceAgents(
  transport: Transport,
  workspace: string,
  options: WaitOptions & { readonly reject?: Rejection } = {},
): Promise<Sighting[]> {
  const [roles, cards, beats] = await Promise.all([
    transport.roles(workspace, options),
    transport.listState(workspace, CARD_TYPE, options),
    transport.listState(workspace, HEARTBEAT_TYPE, options),
  ]);
  const publishers = new Set(roles.filter((r) => r.role !== 'member').map((r) => r.account));
  const reject = options.reject ?? (() => undefined);
  const sightings: Sighting[] = [];
  for (const entry of cards) {
    const account = entry.sender;
    const where = `agent card ${entry.key} in ${workspace}`;
    if (account === undefined || !publishers.has(account)) {
      reject(
        `${where}: written by ${account ?? 'an unknown account'}, who may not publish agents there`,
      );
      continue;
    }
    const card = parseCard(entry.content);
    if (typeof card === 'string') {
      reject(`${where}: ${card}`);
      continue;
    }
    if (card.id !== entry.key || !card.addresses.some((a) => sameAccount(a.address, account))) {
      reject(`${where}: the card does not name ${account}, who wrote it`);
      continue;
    }
    const beat = beats.find((b) => b.key === card.id && b.sender === account);
    const heartbeat = beat ? parseHeartbeat(beat.content) : undefined;
    sightings.push({
      card,
      ...(heartbeat ? { heartbeat } : {}),
      network: transport.network,
      workspace,
      account,
    });
  }
  return sightings;
}

/** Merge sightings into one entry per agent id, the most alive first, then by name. */
export function mergeSightings(sightings: readonly Sighting[], now: number): DiscoveredAgent[] {
  // Cards are unsigned claims: one agent is one id *and* one set of addresses. A card elsewhere
  // that reuses an id with other addresses (its writer's own among them: readers insist) stays
  // a separate entry instead of borrowing the other agent's name, liveness and places.
  const groups = new Map<string, Sighting[]>();
  for (const s of sightings) {
    const key = `${s.card.id} ${identityOf(s.card)}`;
    groups.set(key, [...(groups.get(key) ?? []), s]);
  }
  const agents = [...groups.values()].map((group): DiscoveredAgent => {
    const id = group[0]?.card.id ?? '';
    const card = group.reduce((a, b) => (b.card.updated > a.card.updated ? b : a)).card;
    const beats = group.flatMap((s) => (s.heartbeat ? [s.heartbeat] : []));
    const newest = beats.reduce<Heartbeat | undefined>(
      (a, b) => (a === undefined || b.at > a.at ? b : a),
      undefined,
    );
    const seenIn = unique(group.map((s) => `${s.network}\u0000${s.workspace}`)).map((k) => {
      const [network, workspace] = k.split('\u0000') as [Network, string];
      return { network, workspace };
    });
    return {
      id,
      card,
      liveness: livenessOf(newest, now),
      ...(newest ? { lastSeenMs: Math.max(0, now - newest.at), load: newest.load } : {}),
      seenIn,
      accounts: unique(group.map((s) => s.account)),
    };
  });
  const rank: Record<Liveness, number> = { active: 0, stale: 1, offline: 2 };
  return agents.sort(
    (a, b) => rank[a.liveness] - rank[b.liveness] || a.card.name.localeCompare(b.card.name),
  );
}

/** Agents offering every one of `capabilities` (case-insensitive). */
export function withCapabilities(
  agents: readonly DiscoveredAgent[],
  capabilities: readonly string[],
): DiscoveredAgent[] {
  const wanted = capabilities.map((c) => c.toLowerCase());
  return agents.filter((a) => {
    const offered = new Set([
      ...a.card.capabilities.map((c) => c.toLowerCase()),
      ...a.card.skills.map((s) => s.name.toLowerCase()),
    ]);
    return wanted.every((c) => offered.has(c));
  });
}

/** The addresses a card claims, in a fixed order. */
function identityOf(card: AgentCard): string {
  return card.addresses
    .map((a) => `${a.network}:${a.address}`)
    .sort()
    .join(',');
}

/** An XMPP card lists full or bare JIDs; the PEP writer is the bare JID. */
function sameAccount(address: string, account: string): boolean {
  return address === account || address.split('/')[0] === account;
}

function unique<T>(values: readonly T[]): T[] {
  return [...new Set(values)];
}
