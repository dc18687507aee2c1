/**
 * Workspaces as MUC rooms (XEP-0045): join (configuring a new room as an instant room, §10.1.2),
 * create with given settings, leave, occupant presence and affiliations, and rejoin after a
 * reconnect asking only for the history we missed.
 */
import { randomBytes } from 'node:crypto';
import { xml, type Element } from '@xmpp/xml';
import { NetworkError, RefusedError, type MxAgentError } from '../../errors.ts';
import type { Member, TransportEvent, WorkspaceInfo } from '../transport.ts';
import { splitResource } from './codec.ts';
import { NS_MUC, configureRoom, instantRoomConfig, type RoomConfig } from './room-config.ts';
import { joinFailure, parseOccupantPresence, type Affiliation } from './room-presence.ts';
import type { XmppSession } from './session.ts';
import { iqFailure } from './stanza-errors.ts';

/** How far back to ask for history on rejoin, beyond the moment we lost the stream (clock skew). */
const REJOIN_SLACK_MS = 60_000;

interface Room {
  readonly room: string;
  nick: string;
  readonly members: Map<string, Member>;
  /** Affiliations occupant presence showed, by account; kept after they leave. */
  readonly affiliations: Map<string, Affiliation>;
  /** Ours, from our own presence (status 110). */
  selfAffiliation: Affiliation;
  /** How to configure the room should a rejoin find it gone and create it anew. */
  config: RoomConfig;
  /** When we last knew we were in the room (for history on rejoin). */
  presentAt: number;
  joining?: PendingJoin;
}

interface PendingJoin {
  readonly resolve: (result: { created: boolean }) => void;
  readonly reject: (error: MxAgentError) => void;
}

/** The rooms one transport has joined. */
export class Rooms {
  readonly #rooms = new Map<string, Room>();
  readonly #emit: (event: TransportEvent) => void;
  readonly #rejoining = new Set<string>();
  /** Our current presence children (show, status, caps, agent summary), sent on every entry. */
  readonly #presence: () => Element[];

  constructor(emit: (event: TransportEvent) => void, presence: () => Element[]) {
    this.#emit = emit;
    this.#presence = presence;
  }

  /** Our nick in a joined room. */
  nickIn(room: string): string | undefined {
    const entry = this.#rooms.get(room);
    return entry && !entry.joining ? entry.nick : undefined;
  }

  /** True for a room we are in or are re-entering after a reconnect. */
  tracks(room: string): boolean {
    const entry = this.#rooms.get(room);
    return (entry !== undefined && entry.joining === undefined) || this.#rejoining.has(room);
  }

  joined(): string[] {
    return [...this.#rooms.values()].filter((r) => !r.joining).map((r) => r.room);
  }

  members(room: string): Member[] {
    return [...(this.#rooms.get(room)?.members.values() ?? [])];
  }

  /** Affiliations seen in occupant presence (accounts whose real address the room shows). */
  affiliationsSeen(room: string): ReadonlyMap<string, Affiliation> {
    return this.#rooms.get(room)?.affiliations ?? new Map();
  }

  /** Our own affiliation in a joined room. */
  selfAffiliation(room: string): Affiliation {
    return this.#rooms.get(room)?.selfAffiliation ?? 'none';
  }

  /** Join `room` as `nick` (a taken nick gets a short suffix), creating it if absent. */
  async join(
    session: XmppSession,
    room: string,
    nick: string,
    timeoutMs: number,
  ): Promise<WorkspaceInfo> {
    const created = await this.#enterAs(session, room, nick, timeoutMs);
    if (created) await this.#configureOrLeave(session, room, instantRoomConfig(), timeoutMs);
    return this.#info(room, created);
  }

  /**
   * Create `room` configured with `config` and stay in it. When it exists already (the server
   * did not answer status 201, §10.1.1) we leave again and reject with condition `exists`.
   */
  async create(
    session: XmppSession,
    room: string,
    nick: string,
    config: RoomConfig,
    timeoutMs: number,
  ): Promise<WorkspaceInfo> {
    if (this.#rooms.has(room)) throw exists(room);
    let created: boolean;
    try {
      created = await this.#enterAs(session, room, nick, timeoutMs);
    } catch (error) {
      // Refused entry (members-only, banned, password) proves the room is there.
      if (error instanceof RefusedError && REFUSED_ENTRY.has(error.detail.condition ?? ''))
        throw exists(room, error);
      throw error;
    }
    if (!created) {
      await this.leave(session, room);
      throw exists(room);
    }
    await this.#configureOrLeave(session, room, config, timeoutMs);
    return this.#info(room, true);
  }

  /** Leave a room (XEP-0045 §7.14). */
  async leave(session: XmppSession | undefined, room: string): Promise<void> {
    const entry = this.#rooms.get(room);
    if (!entry) return;
    this.#rooms.delete(room);
    if (!session) return;
    await session.entity.send(
      xml('presence', { to: `${room}/${entry.nick}`, type: 'unavailable' }),
    );
  }

  /** After a reconnect: enter every room again, asking for what was said while we were away. */
  async rejoinAll(
    session: XmppSession,
    timeoutMs: number,
    onError: (room: string, error: unknown) => void,
  ): Promise<void> {
    await Promise.all(
      [...this.#rooms.values()].map(async (entry) => {
        entry.members.clear();
        const since = new Date(entry.presentAt - REJOIN_SLACK_MS);
        this.#rejoining.add(entry.room);
        try {
          // A server restart destroys temporary rooms; whoever comes back first recreates it.
          if (await this.#enter(session, entry.room, entry.nick, since, timeoutMs))
            await this.#configure(session, entry.room, entry.config, timeoutMs);
        } catch (error) {
          onError(entry.room, error);
        } finally {
          this.#rejoining.delete(entry.room);
        }
      }),
    );
  }

  /** The stream died: remember when we were last surely present. */
  lostStream(): void {
    const now = Date.now();
    for (const entry of this.#rooms.values()) if (!entry.joining) entry.presentAt = now;
  }

  /** Send our current presence to every room. */
  async broadcastPresence(session: XmppSession): Promise<void> {
    for (const entry of this.#rooms.values()) {
      await session.entity.send(
        xml('presence', { to: `${entry.room}/${entry.nick}` }, ...this.#presence()),
      );
    }
  }

  /** Handle a presence stanza if it is from a room we track; returns false otherwise. */
  onPresence(stanza: Element): boolean {
    const [room, nick] = splitResource(stanza.attrs.from ?? '');
    const entry = this.#rooms.get(room);
    if (!entry) return false;
    if (stanza.attrs.type === 'error') {
      const joining = entry.joining;
      delete entry.joining;
      joining?.reject(joinFailure(room, stanza));
      return true;
    }
    if (!nick) return true;
    const presence = parseOccupantPresence(stanza);
    const { availability, affiliation, account, status } = presence;
    if (presence.self) {
      // An unavailable self-presence while we are entering is the server's answer to an
      // earlier leave of this room (left and re-entered at once): not about this entry.
      if (availability === 'offline' && entry.joining) return true;
      entry.nick = nick;
      entry.selfAffiliation = affiliation;
      if (availability === 'offline') {
        // Kicked (307), banned (301), affiliation lost in a members-only room (321, 322),
        // room destroyed or service shutting down (332).
        this.#rooms.delete(room);
        this.#emit({
          type: 'presence',
          from: `${room}/${nick}`,
          workspace: room,
          availability: 'offline',
          status: 'removed from the workspace',
        });
        return true;
      }
      entry.presentAt = Date.now();
      const joining = entry.joining;
      delete entry.joining;
      joining?.resolve({ created: presence.created });
      return true;
    }
    const address = `${room}/${nick}`;
    if (account) {
      // Affiliations outlive presence; an unaffiliated occupant who leaves is gone.
      if (availability === 'offline' && affiliation === 'none') entry.affiliations.delete(account);
      else entry.affiliations.set(account, affiliation);
    }
    if (availability === 'offline') entry.members.delete(address);
    else
      entry.members.set(address, {
        address,
        availability,
        ...(account ? { account } : {}),
        ...(status ? { status } : {}),
      });
    this.#emit({
      type: 'presence',
      from: address,
      workspace: room,
      availability,
      ...(status ? { status } : {}),
    });
    return true;
  }

  async #enter(
    session: XmppSession,
    room: string,
    nick: string,
    since: Date | undefined,
    timeoutMs: number,
  ): Promise<boolean> {
    const existing = this.#rooms.get(room);
    const entry: Room = existing ?? {
      room,
      nick,
      members: new Map(),
      affiliations: new Map(),
      selfAffiliation: 'none',
      config: instantRoomConfig(),
      presentAt: Date.now(),
    };
    entry.nick = nick;
    this.#rooms.set(room, entry);
    const { promise, resolve, reject } = Promise.withResolvers<{ created: boolean }>();
    entry.joining = { resolve, reject };
    // XEP-0045 §7.2.15: no history on a first join (it is not new input); on rejoin only what we missed.
    const history = since
      ? { since: since.toISOString().replace(/\.\d+Z$/, 'Z') }
      : { maxstanzas: '0' };
    const timer = setTimeout(() => {
      reject(new NetworkError(`no answer from ${room} within ${String(timeoutMs)} ms`));
    }, timeoutMs);
    try {
      await session.entity.send(
        xml(
          'presence',
          { to: `${room}/${nick}` },
          xml('x', { xmlns: NS_MUC }, xml('history', history)),
          ...this.#presence(),
        ),
      );
      return (await promise).created;
    } catch (error) {
      if (!existing) this.#rooms.delete(room);
      else delete entry.joining;
      throw error;
    } finally {
      clearTimeout(timer);
    }
  }

  /** Enter as `nick`, or with a short suffix when the nick is taken; true when we created it. */
  async #enterAs(
    session: XmppSession,
    room: string,
    nick: string,
    timeoutMs: number,
  ): Promise<boolean> {
    let attempt = nick;
    for (let tries = 0; ; tries++) {
      try {
        return await this.#enter(session, room, attempt, undefined, timeoutMs);
      } catch (error) {
        const conflict = error instanceof RefusedError && error.detail.condition === 'conflict';
        if (!conflict || tries >= 3) throw error;
        attempt = `${nick}-${randomBytes(2).toString('hex')}`;
      }
    }
  }

  /** XEP-0045 §10.1.3: unlock a room we just created, remembering how for a re-creation. */
  async #configure(
    session: XmppSession,
    room: string,
    config: RoomConfig,
    timeoutMs: number,
  ): Promise<void> {
    try {
      await configureRoom(session, room, config, timeoutMs);
    } catch (error) {
      throw iqFailure(error, `configuring the new room ${room}`);
    }
    const entry = this.#rooms.get(room);
    if (entry) entry.config = config;
  }

  /** Configure, or leave: a locked room admits nobody else, and the server drops it once empty. */
  async #configureOrLeave(
    session: XmppSession,
    room: string,
    config: RoomConfig,
    timeoutMs: number,
  ): Promise<void> {
    try {
      await this.#configure(session, room, config, timeoutMs);
    } catch (error) {
      await this.leave(session, room);
      throw error;
    }
  }

  #info(room: string, created: boolean): WorkspaceInfo {
    return {
      workspace: room,
      self: `${room}/${this.#rooms.get(room)?.nick ?? ''}`,
      created,
      members: this.members(room),
    };
  }
}

/** Entry refusals that show a room exists (XEP-0045 §7.2.6, §7.2.7, §7.2.5). */
const REFUSED_ENTRY = new Set(['registration-required', 'not-authorized', 'forbidden']);

function exists(room: string, cause?: unknown): RefusedError {
  return new RefusedError(
    `workspace ${room} exists already: join it with "mx-agent workspace join ${room}"`,
    { cause, detail: { condition: 'exists' } },
  );
}
