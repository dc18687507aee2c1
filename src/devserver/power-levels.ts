/**
 * Power levels (spec: `m.room.power_levels`, and the authorization rules of room version 10,
 * simplified to what a single-server development homeserver needs).
 */

/** The content of an `m.room.power_levels` event, as far as we read it. */
export interface PowerLevels {
  readonly users?: Readonly<Record<string, number>>;
  readonly users_default?: number;
  readonly events?: Readonly<Record<string, number>>;
  readonly events_default?: number;
  readonly state_default?: number;
  readonly invite?: number;
  readonly kick?: number;
  readonly ban?: number;
  readonly redact?: number;
}

/** What a new room starts with (the spec's defaults, with the creator at 100). */
export function defaultPowerLevels(creator: string): Record<string, unknown> {
  return {
    users: { [creator]: 100 },
    users_default: 0,
    events: {
      'm.room.name': 50,
      'm.room.power_levels': 100,
      'm.room.history_visibility': 100,
      'm.room.canonical_alias': 50,
      'm.room.avatar': 50,
      'm.room.tombstone': 100,
      'm.room.server_acl': 100,
      'm.room.encryption': 100,
    },
    events_default: 0,
    state_default: 50,
    ban: 50,
    kick: 50,
    redact: 50,
    invite: 0,
  };
}

/** A user's level. */
export function userLevel(levels: PowerLevels, userId: string): number {
  return levels.users?.[userId] ?? levels.users_default ?? 0;
}

/** The level needed to send an event of `type` (a state event when `isState`). */
export function requiredLevel(levels: PowerLevels, type: string, isState: boolean): number {
  return (
    levels.events?.[type] ?? (isState ? (levels.state_default ?? 50) : (levels.events_default ?? 0))
  );
}

/**
 * Rule 10 of the v10 authorization rules, simplified: a sender may not grant a level above
 * its own, nor change the level of a user at or above its own.
 */
export function powerLevelsChangeAllowed(
  sender: string,
  before: PowerLevels,
  after: PowerLevels,
): boolean {
  const mine = userLevel(before, sender);
  const users = new Set([...Object.keys(before.users ?? {}), ...Object.keys(after.users ?? {})]);
  for (const user of users) {
    const was = before.users?.[user];
    const now = after.users?.[user];
    if (was === now) continue;
    if ((now ?? 0) > mine) return false;
    if (user !== sender && (was ?? 0) >= mine) return false;
  }
  return true;
}
