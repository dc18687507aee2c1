/**
 * How a command gets its profile's connection: through the profile's session host
 * (src/session/), started in the background with this same CLI when none runs. The command then
 * holds a RemoteTransport and never the secret.
 */
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { resolvePaths, type Paths } from '../config/paths.ts';
import type { Profile } from '../config/profile.ts';
import { sessionFiles } from '../session/files.ts';
import { LOCK_WAIT_MS } from '../session/host-process.ts';
import { connectOrStart, spawnHost, type HostCommand } from '../session/launcher.ts';
import type { Transport } from '../transport/transport.ts';
import type { CliContext } from './context.ts';

/** bin/mx-agent.js, from src/cli/ and from dist/cli/ alike. */
const BIN = fileURLToPath(new URL('../../bin/mx-agent.js', import.meta.url));

/**
 * How long a starting host may take to say it is ready: waiting for a predecessor that is
 * still shutting down, then one first connection — longer than any transport's budget for it
 * (connect.ts: 10 s for XMPP, 30 s for Matrix with its crypto store and first sync).
 */
const READY_TIMEOUT_MS = LOCK_WAIT_MS + 60_000;

/** A connected transport served by the profile's session host. */
export async function openSession(profile: Profile, context: CliContext): Promise<Transport> {
  const paths = resolvePaths();
  const files = sessionFiles(profile.name, paths);
  return connectOrStart({
    files,
    network: profile.network,
    signal: context.signal,
    log: (message) => {
      context.output.debug(message);
    },
    start: () =>
      spawnHost(hostCommand(profile.name, paths, context), files, {
        timeoutMs: READY_TIMEOUT_MS,
        signal: context.signal,
      }),
  });
}

/** `node bin/mx-agent.js --profile NAME [-v…] daemon run --background`, in `/`. */
function hostCommand(profile: string, paths: Paths, context: CliContext): HostCommand {
  const verbose = Array.from({ length: context.output.options.verbose }, () => '-v');
  return {
    execPath: process.execPath,
    args: [BIN, '--profile', profile, ...verbose, 'daemon', 'run', '--background'],
    // Absolute directories: the host runs in / so it never keeps a directory busy.
    env: {
      ...process.env,
      MX_AGENT_CONFIG_DIR: resolve(paths.config),
      MX_AGENT_DATA_DIR: resolve(paths.data),
    },
    cwd: '/',
  };
}
