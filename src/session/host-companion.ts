/**
 * What runs beside a session host on its own connection (the agent's presence), and the
 * `refresh` request that asks it to apply changed settings now.
 */
import type { Transport } from '../transport/transport.ts';
import type { ClientConnection } from './host-connection.ts';
import type { WorkspaceLeases } from './leases.ts';
import { toWireError } from './protocol.ts';

/**
 * Something that runs beside the host while it serves, on the host's own connection: the
 * agent's presence (card and heartbeats) in the profile's workspaces (src/discovery/).
 */
export interface HostCompanion {
  /** The transport is connected; workspaces it needs are held through `leases` as holder 0. */
  start(transport: Transport, leases: WorkspaceLeases): void;
  /** A command changed what the companion publishes (`workspace join`, `card set`): apply it now. */
  refresh(signal: AbortSignal): Promise<void>;
  /** Say goodbye (a last heartbeat) before the connection closes. */
  stop(): Promise<void>;
}

/** Answer `refresh`: run the companion's refresh (cancellable), or nothing when there is none. */
export function runRefresh(
  client: ClientConnection,
  id: number,
  companion: HostCompanion | undefined,
): void {
  if (!companion) {
    client.send({ id, result: null });
    return;
  }
  const controller = new AbortController();
  client.inFlight.set(id, controller);
  companion
    .refresh(controller.signal)
    .then(
      () => {
        client.send({ id, result: null });
      },
      (error: unknown) => {
        client.send({ id, error: toWireError(error) });
      },
    )
    .finally(() => client.inFlight.delete(id));
}
