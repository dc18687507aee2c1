/**
 * Administering a workspace room (specs/protocol.md §4.2): invitations (spec "Room membership",
 * POST /invite) and roles as power levels (spec `m.room.power_levels`): owners at 100 (or the
 * level that may change power levels), publishers at the level agent state needs
 * (PUBLISHER_LEVEL in rooms we create), everyone else a member. An owner's invitation makes
 * the invitee a publisher too.
 */
import { MatrixError, type MatrixClient } from 'matrix-js-sdk';
import { RefusedError } from '../../errors.ts';
import type { RoleEntry, WorkspaceRole } from '../transport.ts';
import { mapMatrixError, protocolDetail } from './matrix-errors.ts';
import {
  grantLevel,
  levelOf,
  ownerLevel,
  privilegedCreators,
  publisherLevel,
  roleAt,
  stateLevel,
  type PowerLevelsContent,
  type RoomPower,
} from './power-levels.ts';

/** The joined workspace room being administered, and who we are. */
export interface AdminTarget {
  readonly client: MatrixClient;
  readonly roomId: string;
  readonly workspace: string;
  readonly self: string;
  /** The caller's deadline: nothing is written after it fired. */
  readonly signal: AbortSignal;
}

interface RoomSnapshot {
  readonly power: RoomPower;
  /** Current membership by user id. */
  readonly memberships: ReadonlyMap<string, string>;
}

type StateEvent = { type?: unknown; state_key?: unknown; sender?: unknown; content?: unknown };

/** The room's power levels and memberships as the server has them now. */
async function snapshot(t: AdminTarget): Promise<RoomSnapshot> {
  let events: StateEvent[];
  try {
    events = await t.client.roomState(t.roomId);
  } catch (error) {
    throw mapMatrixError(error, `read the members of ${t.workspace}`);
  }
  const content = (e: StateEvent | undefined): Record<string, unknown> =>
    typeof e?.content === 'object' && e.content !== null
      ? (e.content as Record<string, unknown>)
      : {};
  const find = (type: string): StateEvent | undefined =>
    events.find((e) => e.type === type && e.state_key === '');
  const create = find('m.room.create');
  const memberships = new Map<string, string>();
  for (const e of events) {
    const membership = content(e).membership;
    if (
      e.type === 'm.room.member' &&
      typeof e.state_key === 'string' &&
      typeof membership === 'string'
    )
      memberships.set(e.state_key, membership);
  }
  return {
    power: {
      levels: content(find('m.room.power_levels')),
      creators: privilegedCreators({
        content: content(create),
        ...(typeof create?.sender === 'string' ? { sender: create.sender } : {}),
      }),
    },
    memberships,
  };
}

const RANK: Record<WorkspaceRole, number> = { owner: 0, publisher: 1, member: 2 };

/**
 * Everyone with a role: joined and invited members, and accounts the power levels make owners
 * or publishers even while they are not in the room (they may be invited later). Accounts that
 * left or were banned are not listed.
 */
export async function listRoles(t: AdminTarget): Promise<RoleEntry[]> {
  const { power, memberships } = await snapshot(t);
  const accounts = new Set([
    ...power.creators,
    ...Object.keys(power.levels.users ?? {}),
    ...memberships.keys(),
  ]);
  const entries = [...accounts].flatMap((account): RoleEntry[] => {
    const membership = memberships.get(account);
    const role = roleAt(power.levels, levelOf(power, account));
    if (membership === undefined) return role === 'member' ? [] : [{ account, role }];
    return membership === 'join' || membership === 'invite' ? [{ account, role }] : [];
  });
  return entries.sort((a, b) => RANK[a.role] - RANK[b.role] || a.account.localeCompare(b.account));
}

/** Give `account` the publisher level, or take it away; see Transport.setRole. */
export async function assignRole(
  t: AdminTarget,
  account: string,
  role: 'publisher' | 'member',
): Promise<void> {
  const { power } = await snapshot(t);
  const { levels } = power;
  const verb = role === 'publisher' ? 'grant publishing' : 'take publishing away';
  const mine = levelOf(power, t.self);
  const needed = stateLevel(levels, 'm.room.power_levels');
  if (mine < needed) {
    throw new RefusedError(
      `only the workspace's owner can ${verb}: changing roles in ${t.workspace} needs power level ${String(needed)}, and ${t.self} has ${String(mine)}`,
    );
  }
  const theirs = levelOf(power, account);
  if (theirs >= ownerLevel(levels) || theirs >= mine) {
    throw new RefusedError(
      account === t.self
        ? `${t.self} owns ${t.workspace}: an owner's role stays`
        : `${account} is an owner of ${t.workspace} (power level ${String(theirs)}): its role cannot be changed by ${t.self}`,
    );
  }
  const publishing = publisherLevel(levels);
  // Without the account's entry; a member is at the default level.
  const users = Object.fromEntries(
    Object.entries(levels.users ?? {}).filter(([u]) => u !== account),
  );
  if (role === 'publisher') {
    if (theirs >= publishing) return;
    users[account] = grantLevel(levels);
  } else {
    if (theirs < publishing) return;
    if ((levels.users_default ?? 0) >= publishing) {
      throw new RefusedError(
        `every member of ${t.workspace} may publish agent state (it needs power level ${String(publishing)}, the level members have): ${account} cannot be made a member alone`,
      );
    }
  }
  await sendPowerLevels(t, { ...levels, users }, verb);
}

async function sendPowerLevels(
  t: AdminTarget,
  content: PowerLevelsContent,
  verb: string,
): Promise<void> {
  if (t.signal.aborted) throw t.signal.reason as Error;
  try {
    await t.client.sendStateEvent(t.roomId, 'm.room.power_levels' as never, content as never, '');
  } catch (error) {
    if (error instanceof MatrixError && error.errcode === 'M_FORBIDDEN') {
      throw new RefusedError(
        `only the workspace's owner can ${verb} in ${t.workspace}: the server refused (M_FORBIDDEN: ${error.data.error ?? error.message})`,
        { cause: error, detail: protocolDetail(error) },
      );
    }
    throw mapMatrixError(error, `change the roles in ${t.workspace}`);
  }
}

/**
 * Invite `account`; an owner's invitation also makes it a publisher (the owner vouches for
 * whom it invites). Idempotent: someone already invited or joined stays in (some servers answer
 * M_FORBIDDEN for a joined account, so a refusal is checked against the room), and is made a
 * publisher by an owner who invites again.
 */
export async function inviteAccount(t: AdminTarget, account: string): Promise<void> {
  await sendInvite(t, account);
  const { power } = await snapshot(t);
  const { levels } = power;
  const mine = levelOf(power, t.self);
  const theirs = levelOf(power, account);
  const grant = grantLevel(levels);
  // Only someone who may change power levels vouches; nobody is lowered, nobody raised past us.
  if (mine < stateLevel(levels, 'm.room.power_levels') || theirs >= publisherLevel(levels)) return;
  if (grant > mine) return;
  await sendPowerLevels(
    t,
    { ...levels, users: { ...levels.users, [account]: grant } },
    'grant publishing',
  );
}

async function sendInvite(t: AdminTarget, account: string): Promise<void> {
  try {
    await t.client.invite(t.roomId, account);
  } catch (error) {
    if (!(error instanceof MatrixError) || error.errcode !== 'M_FORBIDDEN')
      throw mapMatrixError(error, `invite ${account} into ${t.workspace}`);
    const { power, memberships } = await snapshot(t);
    const membership = memberships.get(account);
    if (membership === 'join' || membership === 'invite') return;
    const needed = power.levels.invite ?? 0;
    const mine = levelOf(power, t.self);
    const why =
      membership === 'ban'
        ? `${account} is banned from it`
        : mine < needed
          ? `inviting needs power level ${String(needed)}, and ${t.self} has ${String(mine)}: ask its owner`
          : `the server refused (M_FORBIDDEN: ${error.data.error ?? error.message})`;
    throw new RefusedError(`could not invite ${account} into ${t.workspace}: ${why}`, {
      cause: error,
      detail: protocolDetail(error),
    });
  }
}
