/**
 * Prosody for integration tests: one throwaway server per call, gone when the test process
 * exits. When the process fails, the log tail is printed and the directory kept for a look.
 *
 *   MX_AGENT_PROSODY_LOG=debug   log every stanza (prosody.log in the server's dir)
 *   MX_AGENT_KEEP_PROSODY=1      keep the directory even when everything passed
 */
import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import {
  prosodyAvailable,
  startProsody,
  type ProsodyOptions,
  type ProsodyServer,
} from '../../src/devserver/xmpp/prosody.ts';

/** The skip reason for tests that need Prosody on a machine without it. */
export const PROSODY_MISSING = 'prosody not installed: apt-get install prosody';

function cleanUp(server: ProsodyServer, throwaway: boolean, exitCode: number): void {
  // src/devserver/xmpp/process.ts has already killed Prosody: its exit hook was registered first.
  if (exitCode !== 0) {
    const tail = server.log().trimEnd().split('\n').slice(-40).join('\n');
    process.stderr.write(`--- Prosody log tail (${server.dir}/prosody.log) ---\n${tail}\n`);
    return;
  }
  if (!throwaway || process.env.MX_AGENT_KEEP_PROSODY === '1') return;
  try {
    rmSync(server.dir, { recursive: true, force: true, maxRetries: 3 });
  } catch {
    // A leftover temp directory is not worth failing a passing run for.
  }
}

/**
 * A fresh, running Prosody, or undefined when Prosody is not installed: the caller then skips
 * with {@link PROSODY_MISSING}. Stop it in `after()`; process exit kills it regardless.
 */
export async function prosodyForTests(
  options: ProsodyOptions = {},
): Promise<ProsodyServer | undefined> {
  if (!prosodyAvailable()) return undefined;
  const logLevel = process.env.MX_AGENT_PROSODY_LOG === 'debug' ? 'debug' : 'info';
  const server = await startProsody({ logLevel, ...options });
  const throwaway = options.dir === undefined;
  process.once('exit', (code) => {
    cleanUp(server, throwaway, code);
  });
  return server;
}

/** A user name (JID local part) no other test uses: lower case, `prefix-` and 8 hex digits. */
export function uniqueUser(prefix: string): string {
  return `${prefix.toLowerCase()}-${randomBytes(4).toString('hex')}`;
}
