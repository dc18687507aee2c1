/**
 * Workspaces as MUC rooms (XEP-0045): join (configuring a new room as an instant room, §10.1.2),
 * leave, occupant presence, and rejoin after a reconnect asking only for the history we missed.
 */
import { randomBytes } from 'node:crypto';
import { xml, type Element } from '@xmpp/xml';
import { NetworkError, RefusedError, quote, type MxAgentError } from '../../errors.ts';
import type { Member, TransportEvent, WorkspaceInfo } from '../transport.ts';
import { NS_MUC_USER, availabilityOf, showFor, splitResource } from './codec.ts';
import type { XmppSession } from './session.ts';

const NS_MUC = 'http://jabber.org/protocol/muc';
const NS_MUC_OWNER = 'http://jabber.org/protocol/muc#owner';
const NS_DATA = 'jabber:x:data';

/** How far back to ask for history on rejoin, beyond the moment we lost the stream (clock skew). */
const REJOIN_SLACK_MS = 60_000;

interface Room {
  readonly room: string;
  nick: string;
  readonly members: Map<string, Member>;
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

  constructor(emit: (event: TransportEvent) => void) {
    this.#emit = emit;
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

  /** Join `room` as `nick`; a taken nick gets a short suffix. */
  async join(
    session: XmppSession,
    room: string,
    nick: string,
    timeoutMs: number,
  ): Promise<WorkspaceInfo> {
    let attempt = nick;
    for (let tries = 0; ; tries++) {
      try {
        const created = await this.#enter(session, room, attempt, undefined, timeoutMs);
        if (created) await this.#configureInstant(session, room, timeoutMs);
        const entry = this.#rooms.get(room);
        return {
          workspace: room,
          self: `${room}/${entry?.nick ?? attempt}`,
          created,
          members: this.members(room),
        };
      } catch (error) {
        const conflict = error instanceof RefusedError && error.detail.condition === 'conflict';
        if (!conflict || tries >= 3) throw error;
        attempt = `${nick}-${randomBytes(2).toString('hex')}`;
      }
    }
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
            await this.#configureInstant(session, entry.room, timeoutMs);
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

  /** Send our presence to every room. */
  async broadcastPresence(session: XmppSession, children: Element[]): Promise<void> {
    for (const entry of this.#rooms.values()) {
      await session.entity.send(
        xml('presence', { to: `${entry.room}/${entry.nick}` }, ...children),
      );
    }
  }

  /** Handle a presence stanza if it is from a room we track; returns false otherwise. */
  onPresence(stanza: Element): boolean {
    const [room, nick] = splitResource(stanza.attrs.from ?? '');
    const entry = this.#rooms.get(room);
    if (!entry) return false;
    if (stanza.attrs.type === 'error') {
      this.#failJoin(entry, stanza);
      return true;
    }
    if (!nick) return true;
    const user = stanza.getChild('x', NS_MUC_USER);
    const codes = new Set(user?.getChildren('status').map((s) => s.attrs.code) ?? []);
    const availability = availabilityOf(stanza);
    if (codes.has('110')) {
      entry.nick = nick;
      if (availability === 'offline') {
        // Kicked (307), banned (301), room destroyed or service shutting down (332).
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
      joining?.resolve({ created: codes.has('201') });
      return true;
    }
    const address = `${room}/${nick}`;
    const status = stanza.getChildText('status') ?? undefined;
    const account = user?.getChild('item')?.attrs.jid?.split('/')[0];
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
    const entry: Room = existing ?? { room, nick, members: new Map(), presentAt: Date.now() };
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

  /**
   * XEP-0045 §10.1.3: unlock the new room with the server's defaults except two: members see
   * each other's real addresses (whois = anyone), because agents are identified by account;
   * and the room is persistent, because a workspace is a place, not a meeting: when its last
   * member leaves, the room, its archive (a finished stream, a share) and its name must stay.
   */
  async #configureInstant(session: XmppSession, room: string, timeoutMs: number): Promise<void> {
    const field = (name: string, value: string): Element =>
      xml('field', { var: name }, xml('value', {}, value));
    const submit = xml(
      'x',
      { xmlns: NS_DATA, type: 'submit' },
      field('FORM_TYPE', `${NS_MUC}#roomconfig`),
      field('muc#roomconfig_whois', 'anyone'),
      field('muc#roomconfig_persistentroom', '1'),
    );
    const form = xml('query', { xmlns: NS_MUC_OWNER }, submit);
    await session.iqCaller.set(form, room, timeoutMs);
  }

  #failJoin(entry: Room, stanza: Element): void {
    const error = stanza.getChild('error');
    const condition = error?.getChildElements().find((e) => e.name !== 'text')?.name ?? 'unknown';
    const text = error?.getChildText('text');
    const joining = entry.joining;
    if (!joining) return;
    delete entry.joining;
    const message = `could not join ${quote(entry.room)}: ${condition}${text ? ` (${text})` : ''}`;
    joining.reject(
      condition === 'remote-server-not-found' || condition === 'service-unavailable'
        ? new NetworkError(message, { detail: { condition } })
        : new RefusedError(message, { detail: { condition } }),
    );
  }
}

/** `<show/>`/`<status/>` children for a presence. */
export function presenceChildren(
  availability: Parameters<typeof showFor>[0],
  status?: string,
): Element[] {
  return [...showFor(availability), ...(status ? [xml('status', {}, status)] : [])];
}
