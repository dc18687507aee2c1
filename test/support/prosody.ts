import { randomBytes } from 'node:crypto';
import {
  prosodyAvailable,
  startProsody,
  type ProsodyOptions,
  type ProsodyServer,
} from '../../dev/xmpp/prosody.ts';

/**
 * A fresh Prosody for one test file, or undefined when Prosody is not installed (the caller
 * skips with a message saying how to install it). Stopped when the process exits.
 */
export async function prosodyForTests(
  options: ProsodyOptions = {},
): Promise<ProsodyServer | undefined> {
  if (!prosodyAvailable()) return undefined;
  const server = await startProsody(options);
  process.once('exit', () => {
    void server.stop();
  });
  return server;
}

/** A user name no other test uses. */
export function uniqueUser(prefix: string): string {
  return `${prefix}-${randomBytes(4).toString('hex')}`;
}
