/**
 * A throwaway Prosody on loopback for development and tests: free ports, a temp directory,
 * users registered with prosodyctl, restartable with the same ports and data.
 *
 *   node dev/xmpp/prosody.ts start [--dir D] [--tls]     prints the server as JSON, runs until Ctrl-C
 *   node dev/xmpp/prosody.ts register --dir D USER PASS
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Options for a new server. */
export interface ProsodyOptions {
  /** Directory for config, data and log (default: a new temp dir). */
  readonly dir?: string;
  /** Require STARTTLS and open a direct-TLS port, with a self-signed cert for localhost. */
  readonly tls?: boolean;
}

/** A running (or stopped) Prosody. */
export interface ProsodyServer {
  readonly domain: string;
  readonly host: string;
  readonly c2sPort: number;
  readonly directTlsPort?: number;
  readonly componentPort: number;
  readonly httpPort: number;
  readonly mucDomain: string;
  readonly uploadDomain: string;
  readonly componentDomain: string;
  readonly componentSecret: string;
  readonly caFile?: string;
  readonly dir: string;
  register(user: string, password: string): Promise<void>;
  start(): Promise<void>;
  stop(): Promise<void>;
  restart(): Promise<void>;
  log(): string;
}

const TEMPLATE = fileURLToPath(new URL('./prosody.cfg.lua', import.meta.url));
const running = new Set<ChildProcess>();
process.on('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

/** True when the prosody and prosodyctl commands exist. */
export function prosodyAvailable(): boolean {
  try {
    execFileSync('sh', ['-c', 'command -v prosody && command -v prosodyctl'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** A free TCP port on 127.0.0.1 (the OS picks; we release it for Prosody). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => {
        resolve(port);
      });
    });
  });
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port }, () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => {
      resolve(false);
    });
  });
}

function selfSignedCert(dir: string): string {
  const certs = join(dir, 'certs');
  mkdirSync(certs, { recursive: true });
  const crt = join(certs, 'localhost.crt');
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-days',
      '2',
      '-subj',
      '/CN=localhost',
      '-addext',
      'subjectAltName=DNS:localhost,DNS:*.localhost',
      '-keyout',
      join(certs, 'localhost.key'),
      '-out',
      crt,
    ],
    { stdio: 'ignore' },
  );
  return crt;
}

/** Write the config and start Prosody; resolves when its ports accept connections. */
export async function startProsody(options: ProsodyOptions = {}): Promise<ProsodyServer> {
  const dir = options.dir ?? mkdtempSync(join(tmpdir(), 'mx-agent-prosody-'));
  mkdirSync(join(dir, 'data'), { recursive: true });
  mkdirSync(join(dir, 'certs'), { recursive: true });
  const [c2sPort, componentPort, httpPort, directTlsPort] = await Promise.all([
    freePort(),
    freePort(),
    freePort(),
    freePort(),
  ]);
  const componentSecret = randomBytes(12).toString('hex');
  const caFile = options.tls ? selfSignedCert(dir) : undefined;
  const values: Record<string, string> = {
    RUN_AS_ROOT: String(process.getuid?.() === 0),
    DIR: dir,
    C2S_PORT: String(c2sPort),
    DIRECT_TLS_PORT: options.tls ? String(directTlsPort) : '',
    COMPONENT_PORT: String(componentPort),
    HTTP_PORT: String(httpPort),
    TLS_MODULE: options.tls ? '"tls";' : '',
    DISABLED_TLS: options.tls ? '' : '"tls";',
    REQUIRE_ENCRYPTION: String(options.tls === true),
    SSL: caFile
      ? `ssl = { certificate = "${caFile}"; key = "${join(dir, 'certs', 'localhost.key')}" }`
      : '',
    COMPONENT_SECRET: componentSecret,
  };
  const config = readFileSync(TEMPLATE, 'utf8').replace(
    /@([A-Z0-9_]+)@/g,
    (_m, key: string) => values[key] ?? '',
  );
  const configFile = join(dir, 'prosody.cfg.lua');
  writeFileSync(configFile, config);
  const logFile = join(dir, 'prosody.log');
  let child: ChildProcess | undefined;

  const server: ProsodyServer = {
    domain: 'localhost',
    host: '127.0.0.1',
    c2sPort,
    ...(options.tls ? { directTlsPort } : {}),
    componentPort,
    httpPort,
    mucDomain: 'conference.localhost',
    uploadDomain: 'upload.localhost',
    componentDomain: 'agent.localhost',
    componentSecret,
    ...(caFile ? { caFile } : {}),
    dir,
    register(user, password) {
      // prosodyctl reads the password twice from stdin; it never appears in argv.
      execFileSync('prosodyctl', ['--config', configFile, 'adduser', `${user}@localhost`], {
        input: `${password}\n${password}\n`,
        stdio: ['pipe', 'ignore', 'pipe'],
      });
      return Promise.resolve();
    },
    async start() {
      if (child) return;
      const started = spawn('prosody', ['--config', configFile, '-F'], {
        stdio: ['ignore', 'ignore', 'pipe'],
      });
      let stderr = '';
      const state = { exited: false };
      started.stderr.on('data', (chunk: Buffer) => {
        stderr = (stderr + chunk.toString()).slice(-4000);
      });
      child = started;
      running.add(started);
      // A forgotten server must not keep a test process alive; the exit hook kills it.
      started.unref();
      (started.stderr as { unref?: () => void } | null)?.unref?.();
      started.once('exit', () => {
        state.exited = true;
        running.delete(started);
        if (child === started) child = undefined;
      });
      const deadline = Date.now() + 10_000;
      while (!(await canConnect(c2sPort)) || !(await canConnect(componentPort))) {
        if (Date.now() > deadline || state.exited) {
          throw new Error(
            `prosody did not start within 10 s; stderr:\n${stderr}\nlog tail:\n${server.log().split('\n').slice(-20).join('\n')}`,
          );
        }
        await new Promise((r) => setTimeout(r, 50));
      }
    },
    async stop() {
      const current = child;
      if (!current) return;
      child = undefined;
      const exited = new Promise((resolve) => current.once('exit', resolve));
      current.kill('SIGTERM');
      const timer = setTimeout(() => current.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    },
    async restart() {
      await server.stop();
      await server.start();
    },
    log() {
      return existsSync(logFile) ? readFileSync(logFile, 'utf8') : '';
    },
  };
  await server.start();
  return server;
}

async function main(argv: string[]): Promise<void> {
  const [command, ...rest] = argv;
  const dirIndex = rest.indexOf('--dir');
  const dir = dirIndex >= 0 ? rest[dirIndex + 1] : undefined;
  if (command === 'start') {
    const server = await startProsody({ ...(dir ? { dir } : {}), tls: rest.includes('--tls') });
    // JSON.stringify leaves the methods out.
    console.log(JSON.stringify(server, null, 2));
    const shutdown = (): void => {
      void server.stop().then(() => process.exit(0));
    };
    process.once('SIGINT', shutdown);
    process.once('SIGTERM', shutdown);
    // The server process is unref'd (so tests never hang on it); here we stay up on purpose.
    setInterval(() => undefined, 1 << 30);
    return;
  }
  if (command === 'register' && dir) {
    const [user, password] = rest.filter((_v, i) => i !== dirIndex && i !== dirIndex + 1);
    if (!user || !password)
      throw new Error('usage: node dev/xmpp/prosody.ts register --dir D USER PASS');
    execFileSync(
      'prosodyctl',
      ['--config', join(dir, 'prosody.cfg.lua'), 'adduser', `${user}@localhost`],
      { input: `${password}\n${password}\n`, stdio: ['pipe', 'inherit', 'inherit'] },
    );
    return;
  }
  throw new Error(
    'usage: node dev/xmpp/prosody.ts start [--dir D] [--tls] | register --dir D USER PASS',
  );
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  main(process.argv.slice(2)).catch((error: unknown) => {
    console.error(error instanceof Error ? error.message : String(error));
    process.exit(1);
  });
}
