/**
 * Reading Matrix power levels (spec: `m.room.power_levels`) as workspace roles: who owns a
 * workspace, who may publish agent state, and the levels a role change needs.
 */
import type { WorkspaceRole } from '../transport.ts';
import { AGENT_STATE_EVENTS, OWNER_LEVEL, PUBLISHER_LEVEL } from './room-defaults.ts';

/** The content of `m.room.power_levels`, as far as roles need it. */
export interface PowerLevelsContent {
  readonly users?: Readonly<Record<string, number>>;
  readonly users_default?: number;
  readonly events?: Readonly<Record<string, number>>;
  readonly state_default?: number;
  readonly invite?: number;
  readonly [key: string]: unknown;
}

/**
 * A room's power levels and its creators. From room version 12 on the creators (the sender of
 * `m.room.create` and its `additional_creators`) outrank every level and are not in `users`.
 */
export interface RoomPower {
  readonly levels: PowerLevelsContent;
  readonly creators: ReadonlySet<string>;
}

/** Room versions where creators have infinite power (spec: room version 12). */
const CREATOR_VERSIONS = new Set(['12']);

/** The creators with infinite power, from the content and sender of `m.room.create`. */
export function privilegedCreators(
  create: { content?: Record<string, unknown>; sender?: string } | undefined,
): Set<string> {
  const version = create?.content?.room_version;
  if (typeof version !== 'string' || !CREATOR_VERSIONS.has(version)) return new Set();
  const extra = create?.content?.additional_creators;
  return new Set([
    ...(create?.sender ? [create.sender] : []),
    ...(Array.isArray(extra) ? extra.filter((u): u is string => typeof u === 'string') : []),
  ]);
}

/** An account's level. */
export function levelOf(power: RoomPower, account: string): number {
  if (power.creators.has(account)) return Number.POSITIVE_INFINITY;
  return power.levels.users?.[account] ?? power.levels.users_default ?? 0;
}

/** The level needed to send a state event of `type` (spec: state_default is 50 when absent). */
export function stateLevel(levels: PowerLevelsContent, type: string): number {
  return levels.events?.[type] ?? levels.state_default ?? 50;
}

/** The level from which an account owns the workspace: 100, or less where the room lets it administer roles. */
export function ownerLevel(levels: PowerLevelsContent): number {
  return Math.min(OWNER_LEVEL, stateLevel(levels, 'm.room.power_levels'));
}

/** The level that lets an account publish agent state in this room. */
export function publisherLevel(levels: PowerLevelsContent): number {
  return Math.max(...AGENT_STATE_EVENTS.map((type) => stateLevel(levels, type)));
}

/** The role an account at `level` has. */
export function roleAt(levels: PowerLevelsContent, level: number): WorkspaceRole {
  if (level >= ownerLevel(levels)) return 'owner';
  return level >= publisherLevel(levels) ? 'publisher' : 'member';
}

/** The level a publisher is given here: ours, or more where the room asks more for agent state. */
export function grantLevel(levels: PowerLevelsContent): number {
  return Math.max(PUBLISHER_LEVEL, publisherLevel(levels));
}
