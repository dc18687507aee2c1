/**
 * The workspace half of the transport interface on XMPP, behind the argument checks: joining
 * and creating rooms (rooms.ts), roles and invitations (room-admin.ts), and durable state in
 * the writers' PEP (pep-state.ts), each wait bounded by the caller's deadline.
 */
import { UsageError, quote } from '../../errors.ts';
import { DEFAULT_WAIT_MS, withDeadline } from '../deadline.ts';
import type * as T from '../transport.ts';
import { parseAccountAddress, parseRoomAddress } from './address.ts';
import { PepState } from './pep-state.ts';
import { RoomAdmin } from './room-admin.ts';
import { workspaceRoomConfig } from './room-config.ts';
import type { Rooms } from './rooms.ts';
import type { XmppSession } from './session.ts';

/** What the workspace operations need from the transport. */
export interface WorkspacesDeps {
  readonly rooms: Rooms;
  /** The live session; throws NetworkError when there is none. */
  readonly session: () => XmppSession;
  /** Throws NetworkError unless the transport is connected or reconnecting. */
  readonly assertUsable: () => void;
  /** Our account (bare JID, or the component's domain). */
  readonly self: () => string;
  /** The nick we ask for in rooms. */
  readonly nick: string;
  /** An XEP-0114 component: no PEP, so no workspace state. */
  readonly component: boolean;
}

/** Workspace operations for one transport. */
export class Workspaces {
  readonly #deps: WorkspacesDeps;
  readonly #admin: RoomAdmin;
  readonly #state: PepState;

  constructor(deps: WorkspacesDeps) {
    this.#deps = deps;
    this.#admin = new RoomAdmin(deps);
    // Writers: ourselves, present occupants and affiliated accounts, present or not.
    this.#state = new PepState(deps.session, async (room) => [
      deps.self(),
      ...deps.rooms.members(room).flatMap((m) => (m.account ? [m.account] : [])),
      ...(await this.#admin.affiliatedAccounts(room, 10_000)),
    ]);
  }

  async join(workspace: string, options?: T.JoinOptions): Promise<T.WorkspaceInfo> {
    const room = parseRoomAddress(workspace);
    const timeoutMs = options?.timeoutMs ?? DEFAULT_WAIT_MS;
    const nick = options?.nick ?? this.#deps.nick;
    if (nick.trim().length === 0) throw new UsageError('expected a nickname to join with, got ""');
    return this.#deps.rooms.join(this.#deps.session(), room, nick, timeoutMs);
  }

  async create(
    workspace: string,
    settings: T.WorkspaceSettings,
    options?: T.WaitOptions,
  ): Promise<T.WorkspaceInfo> {
    const room = parseRoomAddress(workspace);
    const session = this.#deps.session();
    const config = workspaceRoomConfig(room, settings);
    const timeoutMs = options?.timeoutMs ?? DEFAULT_WAIT_MS;
    return withDeadline(`creating ${room}`, options, () =>
      this.#deps.rooms.create(session, room, this.#deps.nick, config, timeoutMs),
    );
  }

  async invite(workspace: string, account: string, options?: T.WaitOptions): Promise<void> {
    const invitee = parseAccountAddress(account);
    this.#assertInRoom(workspace);
    return withDeadline(`an invitation to ${workspace}`, options, () =>
      this.#admin.invite(workspace, invitee, options?.timeoutMs ?? DEFAULT_WAIT_MS),
    );
  }

  async setRole(
    workspace: string,
    account: string,
    role: Exclude<T.WorkspaceRole, 'owner'>,
    options?: T.WaitOptions,
  ): Promise<void> {
    const target = parseAccountAddress(account);
    this.#assertInRoom(workspace);
    return withDeadline(`a role change in ${workspace}`, options, () =>
      this.#admin.setRole(workspace, target, role, options?.timeoutMs ?? DEFAULT_WAIT_MS),
    );
  }

  async roles(workspace: string, options?: T.WaitOptions): Promise<readonly T.RoleEntry[]> {
    this.#assertInRoom(workspace);
    return withDeadline(`the roles of ${workspace}`, options, () =>
      this.#admin.roles(workspace, options?.timeoutMs ?? DEFAULT_WAIT_MS),
    );
  }

  async putState(
    workspace: string,
    entry: { type: string; key: string; content: T.JsonObject },
    options?: T.WaitOptions,
  ): Promise<void> {
    this.#assertStateUsable(workspace);
    return withDeadline('a state write', options, () =>
      this.#state.put(workspace, entry.type, entry.key, entry.content),
    );
  }

  async getState(
    workspace: string,
    type: string,
    key: string,
    options?: T.WaitOptions,
  ): Promise<T.JsonObject | undefined> {
    this.#assertStateUsable(workspace);
    return withDeadline('a state read', options, () => this.#state.get(workspace, type, key));
  }

  async listState(
    workspace: string,
    type: string,
    options?: T.WaitOptions,
  ): Promise<readonly T.StateEntry[]> {
    this.#assertStateUsable(workspace);
    return withDeadline('a state listing', options, () => this.#state.list(workspace, type));
  }

  #assertInRoom(workspace: string): void {
    this.#deps.assertUsable();
    if (!this.#deps.rooms.tracks(workspace))
      throw new UsageError(`not joined to workspace ${quote(workspace)}: join it first`);
  }

  #assertStateUsable(workspace: string): void {
    if (this.#deps.component) {
      throw new UsageError(
        "workspace state needs a client account (it lives in the account's PEP, XEP-0163); components have none",
      );
    }
    if (!this.#deps.rooms.tracks(workspace))
      throw new UsageError(`not joined to workspace ${quote(workspace)}: join it first`);
  }
}
