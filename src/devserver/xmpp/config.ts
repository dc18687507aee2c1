/**
 * Files in the development Prosody's directory: the config rendered from prosody-template.ts, the
 * self-signed certificate for TLS mode, and server.json (ports and secret, reused by a later
 * start in the same directory so saved logins keep working).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PROSODY_TEMPLATE } from './prosody-template.ts';

/** Prosody log levels worth choosing between here. */
export type ProsodyLogLevel = 'debug' | 'info';

/** Everything that differs between two runs of the template. */
export interface ProsodyConfigValues {
  readonly dir: string;
  readonly tls: boolean;
  readonly runAsRoot: boolean;
  readonly logLevel: ProsodyLogLevel;
  readonly c2sPort: number;
  readonly directTlsPort: number | undefined;
  readonly componentPort: number;
  readonly httpPort: number;
  readonly componentSecret: string;
}

/** A Lua string literal (long brackets would be nicer to read but cannot hold every string). */
function luaString(value: string): string {
  return `"${value.replace(/[\\"]/g, '\\$&').replace(/\n/g, '\\n')}"`;
}

/** The config text: each `@NAME@` in the template becomes a Lua literal. */
export function renderConfig(values: ProsodyConfigValues): string {
  const literals: Record<string, string> = {
    DIR: luaString(values.dir),
    TLS: String(values.tls),
    RUN_AS_ROOT: String(values.runAsRoot),
    LOG_LEVEL: luaString(values.logLevel),
    C2S_PORT: String(values.c2sPort),
    DIRECT_TLS_PORT: values.directTlsPort === undefined ? 'nil' : String(values.directTlsPort),
    COMPONENT_PORT: String(values.componentPort),
    HTTP_PORT: String(values.httpPort),
    COMPONENT_SECRET: luaString(values.componentSecret),
  };
  return PROSODY_TEMPLATE.replace(/@([A-Z0-9_]+)@/g, (placeholder, name: string) => {
    const literal = literals[name];
    if (literal === undefined) {
      throw new Error(`prosody-template.ts: unknown placeholder ${placeholder}`);
    }
    return literal;
  });
}

/** The certificate and key Prosody uses in TLS mode; the certificate doubles as the CA. */
export interface CertificateFiles {
  readonly certFile: string;
  readonly keyFile: string;
}

/** Paths of the certificate files for 'localhost' in `dir` (created by {@link ensureCertificate}). */
export function certificateFiles(dir: string): CertificateFiles {
  return {
    certFile: join(dir, 'certs', 'localhost.crt'),
    keyFile: join(dir, 'certs', 'localhost.key'),
  };
}

/**
 * A self-signed certificate for localhost (SAN also *.localhost, so the component domains are
 * covered), made once per directory with openssl. EC keys: generating RSA takes noticeably longer.
 */
export function ensureCertificate(dir: string): CertificateFiles {
  const files = certificateFiles(dir);
  if (existsSync(files.certFile) && existsSync(files.keyFile)) return files;
  mkdirSync(join(dir, 'certs'), { recursive: true });
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-days',
      '365',
      '-subj',
      '/CN=localhost',
      '-addext',
      'subjectAltName=DNS:localhost,DNS:*.localhost',
      '-keyout',
      files.keyFile,
      '-out',
      files.certFile,
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  return files;
}

/** What server.json keeps between runs in the same directory. */
export interface SavedServer {
  readonly c2sPort: number;
  readonly directTlsPort?: number;
  readonly componentPort: number;
  readonly httpPort: number;
  readonly componentSecret: string;
}

function isPort(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value > 0 && value < 65536;
}

/** The ports and secret of an earlier run in `dir`, or undefined when there was none. */
export function readSavedServer(dir: string): SavedServer | undefined {
  const file = join(dir, 'server.json');
  if (!existsSync(file)) return undefined;
  const saved: unknown = JSON.parse(readFileSync(file, 'utf8'));
  if (typeof saved !== 'object' || saved === null) return undefined;
  const { c2sPort, directTlsPort, componentPort, httpPort, componentSecret } = saved as Record<
    string,
    unknown
  >;
  if (!isPort(c2sPort) || !isPort(componentPort) || !isPort(httpPort)) return undefined;
  if (typeof componentSecret !== 'string' || componentSecret === '') return undefined;
  return {
    c2sPort,
    componentPort,
    httpPort,
    componentSecret,
    ...(isPort(directTlsPort) ? { directTlsPort } : {}),
  };
}

/** Record the server's public description in `<dir>/server.json` (the CLI prints the same). */
export function writeSavedServer(dir: string, description: object): void {
  writeFileSync(join(dir, 'server.json'), `${JSON.stringify(description, null, 2)}\n`, {
    mode: 0o600,
  });
}
