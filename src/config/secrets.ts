import { randomBytes } from 'node:crypto';
import { chmodSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError, messageOf } from '../errors.ts';
import { ensurePrivateDir } from './paths.ts';

/**
 * Secrets (passwords, component secrets) live apart from the profile list, one file per
 * profile, mode 0600 in a 0700 directory, written atomically. They are never logged.
 */
export class SecretStore {
  readonly #dir: string;

  constructor(configDir: string) {
    this.#dir = join(configDir, 'secrets');
  }

  /** Replace a profile's secret: write a new private file, then rename it over the old one. */
  write(profile: string, secret: string): void {
    ensurePrivateDir(this.#dir);
    // mkdir's mode does not apply to a directory that already existed.
    chmodSync(this.#dir, 0o700);
    const file = this.path(profile);
    const temp = `${file}.${randomBytes(6).toString('hex')}.tmp`;
    try {
      // 'wx': never write through a file (or symlink) someone placed at the temp name.
      writeFileSync(temp, `${JSON.stringify({ secret })}\n`, { mode: 0o600, flag: 'wx' });
      renameSync(temp, file);
    } catch (error) {
      rmSync(temp, { force: true });
      throw new ConfigError(
        `cannot store the secret of profile "${profile}" in ${this.#dir}: ${messageOf(error)}`,
        { cause: error },
      );
    }
  }

  read(profile: string): string {
    const file = this.path(profile);
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      throw new ConfigError(
        `the secret of profile "${profile}" is missing (${file}); log in again with \`mx-agent login xmpp\``,
      );
    }
    const parsed = parseSecretFile(text);
    if (parsed === undefined)
      throw new ConfigError(
        `the secret file of profile "${profile}" is unreadable (${file}); log in again with \`mx-agent login xmpp\``,
      );
    return parsed;
  }

  remove(profile: string): void {
    rmSync(this.path(profile), { force: true });
  }

  /** The file holding a profile's secret. */
  path(profile: string): string {
    return join(this.#dir, `${profile}.json`);
  }
}

function parseSecretFile(text: string): string | undefined {
  try {
    const parsed: unknown = JSON.parse(text);
    if (typeof parsed === 'object' && parsed !== null && 'secret' in parsed)
      return typeof parsed.secret === 'string' ? parsed.secret : undefined;
  } catch {
    // Reported by the caller, without echoing the file's content.
  }
  return undefined;
}
