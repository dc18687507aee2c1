/**
 * Durable workspace state on XMPP, kept in each writer's own PEP service (XEP-0163): every
 * account may publish there on any server, unlike a shared PubSub service where node creation
 * is usually reserved to admins. Node `urn:mx-agent:0/state/<room>/<type>`, item id = key,
 * access model `open` so workspace peers can read it. A read asks the PEP of every writer we
 * know in the room (ourselves, the members whose real address the room reveals, and the
 * accounts affiliated with it, present or not) and keeps the newest entry per key.
 */
import type { Element } from '@xmpp/xml';
import { xml } from '@xmpp/xml';
import { NetworkError, UsageError, quote } from '../../errors.ts';
import { parseJsonObject } from '../payload.ts';
import { STATE_TYPE, type JsonObject, type StateEntry } from '../transport.ts';
import { NS_MX } from './codec.ts';
import { NS_PUBSUB, publishToPep } from './pubsub.ts';
import type { XmppSession } from './session.ts';

interface Stamped extends StateEntry {
  readonly updated: number;
}

/** State reads and writes for one transport. */
export class PepState {
  readonly #session: () => XmppSession;
  /** Accounts (bare JIDs) whose PEP may hold state for a room. */
  readonly #writers: (room: string) => Promise<string[]>;

  constructor(session: () => XmppSession, writers: (room: string) => Promise<string[]>) {
    this.#session = session;
    this.#writers = writers;
  }

  async put(workspace: string, type: string, key: string, content: JsonObject): Promise<void> {
    const node = nodeName(workspace, type);
    const state = xml(
      'state',
      { xmlns: NS_MX, type, key, updated: String(Date.now()) },
      JSON.stringify(content),
    );
    try {
      // XEP-0060 §7.1.5 publish-options: create the node open and persistent on first use.
      await publishToPep(this.#session(), {
        node,
        id: key,
        payload: state,
        options: {
          'pubsub#access_model': 'open',
          'pubsub#persist_items': 'true',
          'pubsub#max_items': 'max',
        },
      });
    } catch (error) {
      throw wrap(error, `writing state ${type}/${key}`);
    }
  }

  async get(workspace: string, type: string, key: string): Promise<JsonObject | undefined> {
    return (await this.#collect(workspace, type, key)).find((e) => e.key === key)?.content;
  }

  async list(workspace: string, type: string): Promise<StateEntry[]> {
    return (await this.#collect(workspace, type)).map(({ type: t, key, content, sender }) => ({
      type: t,
      key,
      content,
      ...(sender ? { sender } : {}),
    }));
  }

  /** Newest entry per key across all known writers. */
  async #collect(workspace: string, type: string, key?: string): Promise<Stamped[]> {
    const node = nodeName(workspace, type);
    const writers = [...new Set(await this.#writers(workspace))];
    const lists = await Promise.all(writers.map((writer) => this.#items(writer, node, key)));
    const newest = new Map<string, Stamped>();
    for (const entry of lists.flat()) {
      const seen = newest.get(entry.key);
      if (!seen || entry.updated > seen.updated) newest.set(entry.key, entry);
    }
    return [...newest.values()].sort((a, b) => a.key.localeCompare(b.key));
  }

  async #items(writer: string, node: string, key?: string): Promise<Stamped[]> {
    const request = xml(
      'items',
      { node },
      key === undefined ? undefined : xml('item', { id: key }),
    );
    try {
      const result = await this.#session().iqCaller.get(
        xml('pubsub', { xmlns: NS_PUBSUB }, request),
        writer,
        10_000,
      );
      return (result?.getChild('items')?.getChildren('item') ?? []).flatMap((item) =>
        decode(item, writer),
      );
    } catch (error) {
      const condition = (error as { condition?: string }).condition;
      // No such node, or a writer who keeps it private: nothing to read there.
      if (
        condition === 'item-not-found' ||
        condition === 'forbidden' ||
        condition === 'not-authorized'
      )
        return [];
      throw wrap(error, `reading state from ${writer}`);
    }
  }
}

function nodeName(workspace: string, type: string): string {
  if (!STATE_TYPE.test(type))
    throw new UsageError(`expected a state type like "agent.card", got ${quote(type)}`);
  return `${NS_MX}/state/${workspace}/${type}`;
}

function decode(item: Element, writer: string): Stamped[] {
  const state = item.getChild('state', NS_MX);
  const content = state ? parseJsonObject(state.text()) : undefined;
  if (!state || !content) return [];
  const updated = Number(state.attrs.updated ?? 0);
  return [
    {
      type: state.attrs.type ?? '',
      key: item.attrs.id ?? '',
      content,
      sender: writer,
      updated: Number.isFinite(updated) ? updated : 0,
    },
  ];
}

function wrap(error: unknown, what: string): NetworkError {
  const condition = (error as { condition?: string }).condition;
  return new NetworkError(`${what} failed: ${condition ?? (error as Error).message}`, {
    cause: error,
    ...(condition ? { detail: { condition } } : {}),
  });
}
