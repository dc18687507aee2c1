/**
 * Which client sees which event. A client sees what a transport of its own would have shown it:
 * connection changes always; workspace presence (with the members after the change, so its
 * `members()` stays current) for the workspaces it holds; messages in a workspace when it holds
 * the workspace and listens; direct messages, direct presence and rejected input when it
 * listens. Reactions and confirmations go where messages of the same target go. A direct
 * message nobody listens for waits in the inbox for the next listener; a reaction or a
 * confirmation nobody listens for is dropped.
 */
import type { Transport, TransportEvent } from '../transport/transport.ts';
import type { ClientConnection } from './host-connection.ts';
import type { Inbox } from './inbox.ts';
import type { WorkspaceLeases } from './leases.ts';
import { toWireEvent } from './protocol.ts';

/** The host's state an event is routed through. */
export interface RoutingContext {
  /** Clients that have said hello. */
  readonly clients: readonly ClientConnection[];
  readonly transport: Transport;
  readonly leases: WorkspaceLeases;
  readonly inbox: Inbox;
}

/** Push one transport event to the clients that should see it. */
export function routeEvent(event: TransportEvent, context: RoutingContext): void {
  const { clients, transport, leases } = context;
  const listening = clients.filter((c) => c.subscribed);
  const holding = (workspace: string): ClientConnection[] => {
    const holders = leases.holders(workspace);
    return clients.filter((c) => holders.has(c.id));
  };
  switch (event.type) {
    case 'connection': {
      const message = { event: toWireEvent(event), address: transport.address };
      for (const client of clients) client.send(message);
      return;
    }
    case 'presence': {
      if (event.workspace === undefined) {
        for (const client of listening) client.send({ event });
        return;
      }
      const members = transport.members(event.workspace);
      for (const client of holding(event.workspace)) client.send({ event, members });
      return;
    }
    case 'text':
    case 'payload': {
      if (event.target.kind === 'workspace') {
        for (const client of holding(event.target.workspace))
          if (client.subscribed) client.send({ event });
        return;
      }
      if (listening.length === 0) context.inbox.add(event);
      for (const client of listening) client.send({ event });
      return;
    }
    case 'reaction':
    case 'confirmation':
      // Like the messages they are about, but never kept: a late reaction or answer is moot.
      if (event.target.kind === 'workspace') {
        for (const client of holding(event.target.workspace))
          if (client.subscribed) client.send({ event });
        return;
      }
      for (const client of listening) client.send({ event });
      return;
    case 'rejected':
      for (const client of listening) client.send({ event });
      return;
  }
}
