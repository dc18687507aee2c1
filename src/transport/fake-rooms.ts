/**
 * The fake network's workspaces: who may join and publish (roles), and what its public
 * directory lists. Kept apart from fake.ts so that file stays about delivery.
 */
import { RefusedError } from '../errors.ts';
import type {
  Advertisement,
  DirectoryEntry,
  DirectoryQuery,
  Member,
  StateEntry,
  WorkspaceRole,
  WorkspaceSettings,
} from './transport.ts';

/** One fake workspace. */
export interface Room {
  members: Map<string, Member>;
  state: Map<string, StateEntry>;
  /** Everyone with a role: the owner, publishers, and members who joined or were invited. */
  roles: Map<string, WorkspaceRole>;
  /** Private rooms admit only accounts in `roles`. */
  private: boolean;
  /** Listed in the directory. */
  public: boolean;
  title?: string;
}

/** State types only owners and publishers may write (as Matrix power levels enforce). */
export const AGENT_STATE: ReadonlySet<string> = new Set(['agent.card', 'agent.heartbeat']);

/**
 * A new room owned by `creator`. Without settings (created by a plain join) it is open but
 * unlisted, like the defaults the real transports use for that path.
 */
export function newRoom(creator: string, settings?: WorkspaceSettings): Room {
  return {
    members: new Map(),
    state: new Map(),
    roles: new Map([[creator, 'owner']]),
    private: settings ? settings.public !== true : false,
    public: settings?.public === true,
    ...(settings?.title ? { title: settings.title } : {}),
  };
}

/** The public rooms and advertised agents that match `query.text`. */
export function directoryOf(
  rooms: ReadonlyMap<string, Room>,
  adverts: ReadonlyMap<string, Advertisement>,
  query: DirectoryQuery,
): DirectoryEntry[] {
  const listed = [...rooms].flatMap(([workspace, room]): DirectoryEntry[] =>
    room.public
      ? [
          {
            kind: 'workspace',
            address: workspace,
            name: room.title ?? workspace.slice(1),
            members: room.members.size,
            mxAgent: true,
          },
        ]
      : [],
  );
  const agents = [...adverts].map(([address, ad]): DirectoryEntry => ({
    kind: 'agent',
    address,
    name: ad.name,
    mxAgent: true,
    features: ['urn:mx-agent:0', ...ad.features],
  }));
  const text = query.text?.toLowerCase();
  return [...listed, ...agents].filter(
    (e) =>
      text === undefined ||
      [e.address, e.name ?? '', e.description ?? ''].some((v) => v.toLowerCase().includes(text)),
  );
}

/** An invitation: the owner's makes the account a publisher (it vouches), anyone else's a member. */
export function inviteInto(room: Room, inviter: string, account: string): void {
  const byOwner = room.roles.get(inviter) === 'owner';
  const current = room.roles.get(account);
  if (current === undefined || (byOwner && current === 'member'))
    room.roles.set(account, byOwner ? 'publisher' : 'member');
}

/** Set `account`'s role as `by`; RefusedError unless `by` owns the room and `account` does not. */
export function setRoleIn(
  room: Room,
  workspace: string,
  by: string,
  account: string,
  role: 'publisher' | 'member',
): void {
  if (room.roles.get(by) !== 'owner')
    throw new RefusedError(`only the owner of ${workspace} may set roles`);
  if (room.roles.get(account) === 'owner')
    throw new RefusedError(`${account} owns ${workspace}; its role stays`);
  room.roles.set(account, role);
}

/** Write one state document as `entry.sender`; agent state only from owners and publishers. */
export function putStateIn(room: Room, workspace: string, entry: StateEntry): void {
  if (AGENT_STATE.has(entry.type) && room.roles.get(entry.sender ?? '') === 'member')
    throw new RefusedError(`may not publish ${entry.type} in ${workspace}: not a publisher there`);
  room.state.set(`${entry.type}\u0000${entry.key}`, structuredClone(entry));
}
