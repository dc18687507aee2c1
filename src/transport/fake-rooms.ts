/**
 * The fake network's workspaces: who may join and publish (roles), and what its public
 * directory lists. Kept apart from fake.ts so that file stays about delivery.
 */
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
