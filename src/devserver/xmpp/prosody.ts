/**
 * A throwaway Prosody on loopback for development and integration tests: free ports, its own
 * directory (config, data, log), users registered with prosodyctl, restartable on the same ports
 * with the same data (dev/xmpp/README.md). Used by the tests, `mx-agent demo` and the
 * command-line wrapper dev/xmpp/prosody.ts.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import {
  ensureCertificate,
  readSavedServer,
  renderConfig,
  writeSavedServer,
  type ProsodyLogLevel,
} from './config.ts';
import { freePorts, waitForPorts } from './ports.ts';
import { findExecutable, requireExecutable, spawnProsody, type ProsodyProcess } from './process.ts';

export { freePort, freePorts } from './ports.ts';
export type { ProsodyLogLevel } from './config.ts';

const START_TIMEOUT_MS = 10_000;
const STOP_GRACE_MS = 5_000;
const PROSODYCTL_TIMEOUT_MS = 10_000;
/** The domain of the development server's users. */
export const DOMAIN = 'localhost';

/** True when the prosody and prosodyctl commands exist (on PATH or in /usr/bin). */
export function prosodyAvailable(): boolean {
  return findExecutable('prosody') !== undefined && findExecutable('prosodyctl') !== undefined;
}

/** Options for {@link startProsody}. */
export interface ProsodyOptions {
  /** Directory for config, data and log (default: a new temp dir). Ports are kept per dir. */
  readonly dir?: string;
  /** Require STARTTLS and open a direct-TLS port, with a self-signed cert for localhost. */
  readonly tls?: boolean;
  /** Log level of prosody.log (default info; debug logs every stanza). */
  readonly logLevel?: ProsodyLogLevel;
}

/** A Prosody started by {@link startProsody}; stop() and start() keep ports, secret and data. */
export interface ProsodyServer {
  readonly domain: string;
  readonly host: string;
  /** Client port: plaintext, or STARTTLS offered and required when tls is on. */
  readonly c2sPort: number;
  /** XEP-0368 direct TLS client port, only when tls is on. */
  readonly directTlsPort?: number;
  /** XEP-0114 component port. */
  readonly componentPort: number;
  /** Loopback HTTP port serving XEP-0363 uploads. */
  readonly httpPort: number;
  readonly mucDomain: string;
  readonly uploadDomain: string;
  readonly componentDomain: string;
  readonly componentSecret: string;
  /** PEM file of the self-signed certificate for localhost, only when tls is on. */
  readonly caFile?: string;
  readonly dir: string;
  /** Create the account user@localhost (or set its password); works while stopped too. */
  register(user: string, password: string): Promise<void>;
  /** Start with the same ports and data; resolves once the c2s and component ports accept. */
  start(): Promise<void>;
  /** SIGTERM, and SIGKILL if Prosody has not exited after 5 s. */
  stop(): Promise<void>;
  restart(): Promise<void>;
  /** The whole Prosody log, for printing when a test fails. */
  log(): string;
}

/** The server's data fields, as the CLI prints them and server.json keeps them. */
export type ProsodyDescription = Omit<
  ProsodyServer,
  'register' | 'start' | 'stop' | 'restart' | 'log'
>;

/** Create or update an account with `prosodyctl register` (the password is a test password). */
export function registerUser(configFile: string, user: string, password: string): Promise<void> {
  const args = ['--config', configFile, 'register', user, DOMAIN, password];
  return new Promise((resolvePromise, reject) => {
    execFile(
      requireExecutable('prosodyctl'),
      args,
      { timeout: PROSODYCTL_TIMEOUT_MS },
      (error, stdout, stderr) => {
        if (!error) {
          resolvePromise();
          return;
        }
        // Not error.message: it repeats the command line, password included.
        const output = `${stderr}${stdout}`.trim() || `exit code ${String(error.code)}`;
        reject(new Error(`prosodyctl register ${user}@${DOMAIN} failed: ${output}`));
      },
    );
  });
}

function tail(text: string, lines: number): string {
  return text.trimEnd().split('\n').slice(-lines).join('\n');
}

/** Why a start failed, in a few words: the exit, the log's complaint, or the timeout. */
function startFailure(child: ProsodyProcess, error: unknown, ports: readonly number[]): string {
  const reason: unknown = child.exited.aborted ? child.exited.reason : error;
  if (reason instanceof Error && reason.name !== 'TimeoutError') return reason.message;
  return `not listening on 127.0.0.1 ports ${ports.join(', ')} after ${START_TIMEOUT_MS / 1000} s`;
}

async function pickPorts(dir: string, tls: boolean): Promise<Omit<ProsodyDescription, 'dir'>> {
  const saved = readSavedServer(dir);
  const taken = saved ? [saved.c2sPort, saved.componentPort, saved.httpPort] : [];
  const fresh = (await freePorts(7)).filter((port) => !taken.includes(port));
  const next = (): number => {
    const port = fresh.shift();
    if (port === undefined) throw new Error('expected enough free loopback ports, ran out');
    return port;
  };
  const directTlsPort = tls ? (saved?.directTlsPort ?? next()) : undefined;
  return {
    domain: DOMAIN,
    host: '127.0.0.1',
    c2sPort: saved?.c2sPort ?? next(),
    ...(directTlsPort === undefined ? {} : { directTlsPort }),
    componentPort: saved?.componentPort ?? next(),
    httpPort: saved?.httpPort ?? next(),
    mucDomain: `conference.${DOMAIN}`,
    uploadDomain: `upload.${DOMAIN}`,
    componentDomain: `agent.${DOMAIN}`,
    componentSecret: saved?.componentSecret ?? randomBytes(16).toString('hex'),
  };
}

/** Write the config for a new (or reused) directory and start Prosody; resolves when it listens. */
export async function startProsody(options: ProsodyOptions = {}): Promise<ProsodyServer> {
  const dir = resolve(options.dir ?? mkdtempSync(join(tmpdir(), 'mx-agent-prosody-')));
  mkdirSync(join(dir, 'data'), { recursive: true, mode: 0o700 });
  mkdirSync(join(dir, 'certs'), { recursive: true, mode: 0o700 });
  const tls = options.tls === true;
  const ports = await pickPorts(dir, tls);
  const caFile = tls ? ensureCertificate(dir).certFile : undefined;
  const description: ProsodyDescription = { ...ports, ...(caFile ? { caFile } : {}), dir };
  const configFile = join(dir, 'prosody.cfg.lua');
  const logFile = join(dir, 'prosody.log');
  writeFileSync(
    configFile,
    renderConfig({
      dir,
      tls,
      runAsRoot: process.getuid?.() === 0,
      logLevel: options.logLevel ?? 'info',
      c2sPort: ports.c2sPort,
      directTlsPort: ports.directTlsPort,
      componentPort: ports.componentPort,
      httpPort: ports.httpPort,
      componentSecret: ports.componentSecret,
    }),
  );
  writeSavedServer(dir, description);

  const readyPorts = [ports.c2sPort, ports.componentPort];
  let current: { readonly child: ProsodyProcess; readonly ready: Promise<void> } | undefined;

  /**
   * Prosody's own log must confirm the ports: one that accepts could belong to another program
   * (possible when a reused directory's saved ports were taken), and then Prosody only logs it.
   */
  function confirmedByLog(logStart: number): boolean {
    const fresh = server.log().slice(logStart);
    const failure = /Failed to open server port [^\n]*/.exec(fresh);
    if (failure) throw new Error(failure[0]);
    return readyPorts.every((port) =>
      new RegExp(`Activated service '\\w+' on .*\\[127\\.0\\.0\\.1\\]:${port}\\b`).test(fresh),
    );
  }

  async function waitUntilReady(child: ProsodyProcess, logStart: number): Promise<void> {
    try {
      await waitForPorts(readyPorts, {
        timeoutMs: START_TIMEOUT_MS,
        signal: child.exited,
        confirm: () => confirmedByLog(logStart),
      });
    } catch (error) {
      const why = startFailure(child, error, readyPorts);
      await child.stop(STOP_GRACE_MS);
      current = undefined;
      throw new Error(
        [
          `Prosody did not start (${why}).`,
          `config: ${configFile}`,
          ...(child.stderr().trim() ? ['stderr:', tail(child.stderr(), 20)] : []),
          `log tail (${logFile}):`,
          tail(server.log().slice(logStart), 30),
        ].join('\n'),
        { cause: error },
      );
    }
  }

  const server: ProsodyServer = {
    ...description,
    register: (user, password) => registerUser(configFile, user, password),
    start() {
      if (current && !current.child.exited.aborted) return current.ready;
      const logStart = server.log().length;
      const child = spawnProsody(configFile);
      const ready = waitUntilReady(child, logStart);
      current = { child, ready };
      return ready;
    },
    async stop() {
      const stopping = current;
      current = undefined;
      await stopping?.child.stop(STOP_GRACE_MS);
    },
    async restart() {
      await server.stop();
      await server.start();
    },
    log: () => (existsSync(logFile) ? readFileSync(logFile, 'utf8') : ''),
  };
  await server.start();
  return server;
}
