/**
 * `mx-agent dev homeserver`: the development homeserver (src/devserver/) in the foreground,
 * until Ctrl-C or SIGTERM.
 */
import { join, resolve } from 'node:path';
import type { OptionValues } from 'commander';
import { resolvePaths } from '../../config/paths.ts';
import { isLoopbackHost } from '../../config/xmpp-account.ts';
import { ConfigError, NetworkError, UsageError, messageOf, quote } from '../../errors.ts';
import type { CliContext } from '../context.ts';
import { flagOption, stringOption } from '../option-values.ts';

/** Synapse's default `rc_message` limit: a burst of 10, then one request every 5 s. */
const SYNAPSE_RATE_LIMIT = { perSecond: 0.2, burst: 10 };

/** How to run the homeserver, from the command line. */
export interface DevHomeserverOptions {
  readonly port: number;
  readonly host: string;
  readonly dataDir: string;
  readonly serverName: string;
  readonly rateLimit?: { readonly perSecond: number; readonly burst: number };
}

/** What `dev homeserver` prints once it listens (the --json form). */
export interface DevHomeserverReport {
  readonly url: string;
  readonly serverName: string;
  readonly dataDir: string;
}

/** Start the homeserver, print where it is, serve until the signal, then close it. */
export async function devHomeserver(values: OptionValues, context: CliContext): Promise<void> {
  const options = parseOptions(values);
  // Ctrl-C is how a server normally stops: exit 0 (src/cli/program.ts).
  context.endsOnInterrupt();
  const { output } = context;
  if (!isLoopbackHost(options.host))
    output.warn(
      `listening on ${options.host}, not loopback: this is a development server, never for production, and anyone who can reach it can register an account`,
    );
  const { startHomeserver } = await import('../../devserver/homeserver.ts');
  const hs = await startHomeserver(options).catch((error: unknown) => {
    throw startFailure(error, options);
  });
  try {
    const report: DevHomeserverReport = {
      url: hs.url,
      serverName: hs.serverName,
      dataDir: options.dataDir,
    };
    output.line(report, (r) =>
      [
        `url:          ${r.url}`,
        `server name:  ${r.serverName}`,
        `data:         ${r.dataDir}`,
      ].join('\n'),
    );
    output.info('development homeserver running (never for production); Ctrl-C stops it');
    await aborted(context.signal);
  } finally {
    await hs.close();
  }
  output.info('development homeserver stopped');
}

/** Validate the options; the data directory defaults to DATA/devserver (config/paths.ts). */
export function parseOptions(
  values: OptionValues,
  env: NodeJS.ProcessEnv = process.env,
): DevHomeserverOptions {
  const serverName = stringOption(values, 'serverName') ?? 'localhost';
  // Spec appendix "Server Name": a host name or IP literal, with an optional port.
  if (!/^(?:[A-Za-z0-9.-]{1,255}|\[[0-9A-Fa-f:.]{2,45}\])(?::\d{1,5})?$/.test(serverName))
    throw new UsageError(
      `expected --server-name to be a host name like localhost or example.org, got ${quote(serverName)}`,
    );
  const data = stringOption(values, 'data');
  return {
    port: parsePort(stringOption(values, 'port') ?? '8008'),
    host: stringOption(values, 'host') ?? '127.0.0.1',
    dataDir: data === undefined ? join(resolvePaths(env).data, 'devserver') : resolve(data),
    serverName,
    ...(flagOption(values, 'rateLimit') ? { rateLimit: SYNAPSE_RATE_LIMIT } : {}),
  };
}

/** A TCP port to listen on, 1-65535. */
export function parsePort(input: string): number {
  const port = Number(input);
  if (!/^\d{1,5}$/.test(input) || port < 1 || port > 65535)
    throw new UsageError(`expected a port number 1-65535, got ${quote(input)}`);
  return port;
}

/** Why the server did not start, as one of our errors, or the error itself if unforeseen. */
export function startFailure(error: unknown, options: DevHomeserverOptions): unknown {
  const { code, syscall, path } = error as { code?: unknown; syscall?: unknown; path?: unknown };
  const where = `${options.host}:${String(options.port)}`;
  if (code === 'EADDRINUSE')
    return new NetworkError(
      `port ${String(options.port)} is in use on ${options.host} (another homeserver?); stop it or choose another --port`,
      { cause: error },
    );
  if (code === 'EACCES' && syscall === 'listen')
    return new NetworkError(
      `not allowed to listen on ${where}: ports below 1024 need privileges; choose another --port`,
      { cause: error },
    );
  if (code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND' || code === 'EAI_AGAIN')
    return new UsageError(
      `cannot listen on ${quote(options.host)}: expected an address of this machine, such as 127.0.0.1`,
      { cause: error },
    );
  if (typeof path === 'string' || code === 'ERR_SQLITE_ERROR')
    return new ConfigError(
      `cannot keep the homeserver's data in ${options.dataDir}: ${messageOf(error)}; choose another --data`,
      { cause: error },
    );
  return error;
}

function aborted(signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    signal.addEventListener(
      'abort',
      () => {
        resolve();
      },
      { once: true },
    );
  });
}
