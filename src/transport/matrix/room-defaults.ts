/** What rooms mx-agent creates on Matrix look like (specs/protocol.md §4.2, §4.5). */
import type { Availability } from '../transport.ts';

const MEGOLM = { algorithm: 'm.megolm.v1.aes-sha2' };
export const ENCRYPTION_STATE = { type: 'm.room.encryption', state_key: '', content: MEGOLM };

/** The room type (`m.room.create` content `type`) that marks a room as an mx-agent workspace. */
export const WORKSPACE_ROOM_TYPE = 'org.mxagent.workspace';

/** The power level a publisher holds: enough to publish agent state, nothing more. */
export const PUBLISHER_LEVEL = 10;

/** Power level 100 is the room's owner by Matrix convention (the creator starts there). */
export const OWNER_LEVEL = 100;

/** Agent state (specs/protocol.md §6): only owners and publishers may send these. */
export const AGENT_STATE_EVENTS = ['org.mxagent.agent.card', 'org.mxagent.agent.heartbeat'];

/**
 * Power levels of a workspace we create: agent cards and heartbeats need PUBLISHER_LEVEL, so
 * readers can tell an agent the owner vouched for from any member; every member may write
 * other workspace state (`org.mxagent.*` documents, like PEP on XMPP, where each writer owns
 * its own items); inviting and the room's own settings stay with moderators and the creator.
 * `invite` is explicit because defaults differ (Synapse: 50, 0 with the private presets).
 */
export const WORKSPACE_POWER_LEVELS = {
  state_default: 0,
  invite: 50,
  events: {
    ...Object.fromEntries(AGENT_STATE_EVENTS.map((type) => [type, PUBLISHER_LEVEL])),
    'm.room.name': 50,
    'm.room.topic': 50,
    'm.room.avatar': 50,
    'm.room.canonical_alias': 50,
    'm.room.pinned_events': 50,
    'm.room.join_rules': 100,
    'm.room.guest_access': 100,
    'm.room.history_visibility': 100,
    'm.room.power_levels': 100,
    'm.room.encryption': 100,
    'm.room.server_acl': 100,
    'm.room.tombstone': 100,
    'm.space.child': 50,
    'm.space.parent': 50,
  },
};

/** Our availability as Matrix presence (spec: online, unavailable, offline). */
export const TO_PRESENCE: Record<Availability, 'online' | 'unavailable' | 'offline'> = {
  available: 'online',
  away: 'unavailable',
  busy: 'unavailable',
  offline: 'offline',
};

export function fromPresence(presence: string | undefined): Availability {
  if (presence === 'online') return 'available';
  if (presence === 'unavailable') return 'away';
  if (presence === 'busy' || presence === 'org.matrix.msc3026.busy') return 'busy';
  return 'offline';
}
