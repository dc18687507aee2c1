/**
 * Session hosts in the test process: a real SessionHost on a real Unix socket in a temp
 * directory, serving a transport the test passes in (usually a FakeTransport), and
 * RemoteTransports connected to it.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RemoteTransport } from '../../src/session/client.ts';
import { SessionHost, type SessionHostOptions } from '../../src/session/host.ts';
import type { Transport } from '../../src/transport/transport.ts';

/** A private temp directory, removed by `cleanup`. */
export function tempDir(prefix = 'mx-session-'): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return {
    dir,
    cleanup: () => {
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A host serving `transport` (already connected) on a socket in `dir`. */
export async function serveTransport(
  transport: Transport,
  dir: string,
  options: Partial<SessionHostOptions> = {},
): Promise<SessionHost> {
  const host = new SessionHost({
    socketPath: join(dir, `${transport.address.replace(/\W/g, '_')}.sock`),
    profile: transport.address,
    network: transport.network,
    version: '0.0.0-test',
    ...options,
  });
  await host.listen();
  host.serve(transport);
  return host;
}

/** A client of `host`, not yet connected. */
export function clientOf(host: SessionHost, profile = 'test'): RemoteTransport {
  return new RemoteTransport({ socketPath: host.status().socket, profile, network: 'fake' });
}

/** A client of `host`, connected. */
export async function connectedClient(host: SessionHost): Promise<RemoteTransport> {
  const client = clientOf(host);
  await client.connect({ timeoutMs: 5000 });
  return client;
}
