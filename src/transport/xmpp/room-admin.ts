/**
 * Roles in a workspace as MUC affiliations (XEP-0045 §5.2): owner and admin → `owner`, member →
 * `publisher`, none (a present occupant) → `member`. Reads the affiliation lists (§9.5, §10.5),
 * changes affiliations (§9.3) and sends mediated invitations (§7.8.2).
 */
import { xml } from '@xmpp/xml';
import { RefusedError } from '../../errors.ts';
import type { RoleEntry, WorkspaceRole } from '../transport.ts';
import { NS_DISCO_INFO } from './citizenship.ts';
import { NS_MUC_USER } from './codec.ts';
import { formValues } from './data-forms.ts';
import type { Affiliation } from './room-presence.ts';
import type { Rooms } from './rooms.ts';
import type { XmppSession } from './session.ts';
import { iqFailure, isForbidden } from './stanza-errors.ts';

const NS_MUC_ADMIN = 'http://jabber.org/protocol/muc#admin';
/** The lists that give a role, highest first. */
const LISTED = ['owner', 'admin', 'member'] as const;
const ROLE_RANK: Record<WorkspaceRole, number> = { owner: 0, publisher: 1, member: 2 };
const ONLY_OWNERS = "only the workspace's owners and admins may do that";

/** What the admin operations need from the transport. */
export interface RoomAdminDeps {
  readonly session: () => XmppSession;
  readonly rooms: Rooms;
  /** Our own account (bare JID, or the component's domain). */
  readonly self: () => string;
}

/** Affiliation reads and changes for the rooms one transport has joined. */
export class RoomAdmin {
  readonly #deps: RoomAdminDeps;

  constructor(deps: RoomAdminDeps) {
    this.#deps = deps;
  }

  /**
   * Account → affiliation (owner, admin, member). From the lists we may read; for a list the
   * server will not show us (§9.5: admins and up; Prosody also lets members read them in a
   * members-only room whose real addresses everyone sees), from occupant presence instead.
   */
  async affiliations(room: string, timeoutMs: number): Promise<Map<string, Affiliation>> {
    const lists = await Promise.all(LISTED.map((a) => this.#list(room, a, timeoutMs)));
    const unreadable = new Set(LISTED.filter((_, i) => lists[i] === undefined));
    const seen = new Map(this.#deps.rooms.affiliationsSeen(room));
    seen.set(this.#deps.self(), this.#deps.rooms.selfAffiliation(room));
    const result = new Map<string, Affiliation>();
    for (const [account, affiliation] of seen)
      if (unreadable.has(affiliation as (typeof LISTED)[number])) result.set(account, affiliation);
    // Lowest first, so an account listed twice keeps its highest affiliation.
    for (const i of [2, 1, 0])
      for (const account of lists[i] ?? []) result.set(account, LISTED[i] ?? 'none');
    return result;
  }

  /** Everyone with a role: affiliated accounts, then present occupants without one as members. */
  async roles(room: string, timeoutMs: number): Promise<RoleEntry[]> {
    const roles = new Map<string, WorkspaceRole>();
    for (const [account, affiliation] of await this.affiliations(room, timeoutMs))
      roles.set(account, affiliation === 'member' ? 'publisher' : 'owner');
    const present = [
      this.#deps.self(),
      ...this.#deps.rooms.members(room).flatMap((m) => (m.account ? [m.account] : [])),
    ];
    for (const account of present) if (!roles.has(account)) roles.set(account, 'member');
    return [...roles]
      .map(([account, role]) => ({ account, role }))
      .sort((a, b) => ROLE_RANK[a.role] - ROLE_RANK[b.role] || a.account.localeCompare(b.account));
  }

  /**
   * Make `account` a member when we administer the room (so it may enter a members-only room),
   * then send it a mediated invitation. Without admin rights only the invitation goes, which an
   * open room is enough for; a members-only room refuses it (§7.8.2), so we say so first.
   */
  async invite(room: string, account: string, timeoutMs: number): Promise<void> {
    const mine = this.#deps.rooms.selfAffiliation(room);
    if (mine === 'owner' || mine === 'admin') {
      const current = (await this.affiliations(room, timeoutMs)).get(account);
      if (current === undefined || current === 'none' || current === 'outcast')
        await this.#setAffiliation(room, account, 'member', timeoutMs);
    } else if (await this.#closedToOurInvites(room, timeoutMs)) {
      throw new RefusedError(
        `cannot invite ${account} into ${room}: it is private and ${ONLY_OWNERS}`,
        { detail: { condition: 'forbidden' } },
      );
    }
    await this.#deps
      .session()
      .entity.send(
        xml(
          'message',
          { to: room },
          xml('x', { xmlns: NS_MUC_USER }, xml('invite', { to: account })),
        ),
      );
  }

  /**
   * `publisher` → affiliation member, `member` → none. In a members-only (private) room, none
   * also means "may not enter": the server removes the account (status 321). Owners and
   * admins are never demoted.
   */
  async setRole(
    room: string,
    account: string,
    role: Exclude<WorkspaceRole, 'owner'>,
    timeoutMs: number,
  ): Promise<void> {
    const current = (await this.affiliations(room, timeoutMs)).get(account);
    if (current === 'owner' || current === 'admin') {
      throw new RefusedError(
        `${account} is an ${current} of ${room}; mx-agent does not demote owners`,
        { detail: { condition: 'not-allowed' } },
      );
    }
    await this.#setAffiliation(room, account, role === 'publisher' ? 'member' : 'none', timeoutMs);
  }

  /** Accounts affiliated with the room (they may hold its state); [] when that cannot be read. */
  async affiliatedAccounts(room: string, timeoutMs: number): Promise<string[]> {
    const affiliations = await this.affiliations(room, timeoutMs).catch(
      () => new Map(this.#deps.rooms.affiliationsSeen(room)),
    );
    return [...affiliations]
      .filter(([, a]) => a === 'owner' || a === 'admin' || a === 'member')
      .map(([account]) => account);
  }

  /** One affiliation list (§9.5), or undefined when the room will not show it to us. */
  async #list(room: string, affiliation: string, timeoutMs: number): Promise<string[] | undefined> {
    try {
      const query = await this.#deps
        .session()
        .iqCaller.get(
          xml('query', { xmlns: NS_MUC_ADMIN }, xml('item', { affiliation })),
          room,
          timeoutMs,
        );
      return (query?.getChildren('item') ?? []).flatMap((item) =>
        item.attrs.jid ? [item.attrs.jid.split('/')[0] ?? ''] : [],
      );
    } catch (error) {
      if (isForbidden(error)) return undefined;
      throw iqFailure(error, `reading the ${affiliation} list of ${room}`);
    }
  }

  async #setAffiliation(
    room: string,
    account: string,
    affiliation: Affiliation,
    timeoutMs: number,
  ): Promise<void> {
    const item = xml('item', { affiliation, jid: account });
    try {
      await this.#deps
        .session()
        .iqCaller.set(xml('query', { xmlns: NS_MUC_ADMIN }, item), room, timeoutMs);
    } catch (error) {
      const hint = isForbidden(error) ? ONLY_OWNERS : undefined;
      throw iqFailure(error, `making ${account} ${affiliation} of ${room}`, hint);
    }
  }

  /**
   * True when the room is members-only and does not let members invite (XEP-0045 §7.8.2;
   * `muc#roomconfig_allowinvites` in its extended disco#info, where the server says).
   */
  async #closedToOurInvites(room: string, timeoutMs: number): Promise<boolean> {
    const info = await this.#deps
      .session()
      .iqCaller.get(xml('query', { xmlns: NS_DISCO_INFO }), room, timeoutMs)
      .catch((error: unknown) => {
        throw iqFailure(error, `disco#info of ${room}`);
      });
    const membersOnly = info?.getChildren('feature').some((f) => f.attrs.var === 'muc_membersonly');
    const allow = formValues(info, 'http://jabber.org/protocol/muc#roominfo').get(
      'muc#roomconfig_allowinvites',
    );
    return membersOnly === true && allow !== '1' && allow !== 'true';
  }
}
