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
  readonly notifications?: Readonly<Record<string, number>>;
}

/** The integer properties the authorization rules check one by one. */
const LEVEL_KEYS = [
  'users_default',
  'events_default',
  'state_default',
  'ban',
  'redact',
  'kick',
  'invite',
] as const;

/** The maps of levels whose entries the authorization rules check one by one. */
const LEVEL_MAPS = ['events', 'notifications'] as const;

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
 * Room version 10 rejects power levels whose levels are not integers (authorization rules,
 * `m.room.power_levels`, and "Integers" in room version 10). Returns what is wrong, if anything.
 */
export function invalidPowerLevels(content: Record<string, unknown>): string | undefined {
  for (const key of LEVEL_KEYS) {
    if (key in content && !Number.isInteger(content[key])) return `${key} must be an integer`;
  }
  for (const key of [...LEVEL_MAPS, 'users'] as const) {
    const map = content[key];
    if (map === undefined) continue;
    if (typeof map !== 'object' || map === null || Array.isArray(map))
      return `${key} must be an object`;
    for (const [name, level] of Object.entries(map)) {
      if (!Number.isInteger(level)) return `${key}[${JSON.stringify(name)}] must be an integer`;
      if (key === 'users' && !/^@[^:]+:.+$/.test(name))
        return `users keys must be user ids, got ${JSON.stringify(name)}`;
    }
  }
  return undefined;
}

/**
 * Rule 10 of the room version 10 authorization rules, for a sender who may send power levels
 * at all: nothing may be set above the sender's own level, nothing already above it may be
 * changed, and no other user at or above the sender's level may be changed or removed.
 * Returns why the change is refused, or undefined when it is allowed.
 */
export function powerLevelsChangeRefused(
  sender: string,
  before: PowerLevels,
  after: PowerLevels,
): string | undefined {
  const mine = userLevel(before, sender);
  const above = (value: number | undefined): boolean => value !== undefined && value > mine;
  const changed = (key: string, was: number | undefined, now: number | undefined) =>
    was === now
      ? undefined
      : above(was)
        ? `${key} is ${String(was)}, above ${sender}'s level ${String(mine)}`
        : above(now)
          ? `${key} may not be set to ${String(now)}, above ${sender}'s level ${String(mine)}`
          : undefined;
  for (const key of LEVEL_KEYS) {
    const why = changed(key, before[key], after[key]);
    if (why) return why;
  }
  for (const map of LEVEL_MAPS) {
    for (const name of keysOf(before[map], after[map])) {
      const why = changed(`${map}[${name}]`, before[map]?.[name], after[map]?.[name]);
      if (why) return why;
    }
  }
  for (const user of keysOf(before.users, after.users)) {
    const was = before.users?.[user];
    const now = after.users?.[user];
    const why = changed(`the level of ${user}`, was, now);
    if (why) return why;
    // Only entries changed or removed count here: adding one for a new user is rule 10.5 only.
    if (was !== now && was !== undefined && user !== sender && was >= mine)
      return `${user} is at level ${String(was)}, not below ${sender}'s level ${String(mine)}`;
  }
  return undefined;
}

function keysOf(
  a: Readonly<Record<string, number>> | undefined,
  b: Readonly<Record<string, number>> | undefined,
): Set<string> {
  return new Set([...Object.keys(a ?? {}), ...Object.keys(b ?? {})]);
}
