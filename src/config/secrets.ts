import { chmodSync, existsSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError } from '../errors.ts';
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

  write(profile: string, secret: string): void {
    ensurePrivateDir(this.#dir);
    chmodSync(this.#dir, 0o700);
    const file = this.#file(profile);
    const temp = `${file}.${String(process.pid)}.tmp`;
    writeFileSync(temp, JSON.stringify({ secret }), { mode: 0o600 });
    renameSync(temp, file);
  }

  read(profile: string): string {
    const file = this.#file(profile);
    if (!existsSync(file)) {
      throw new ConfigError(
        `the secret of profile "${profile}" is missing (${file}); log in again with \`mx-agent login\``,
      );
    }
    try {
      const parsed = JSON.parse(readFileSync(file, 'utf8')) as { secret?: unknown };
      if (typeof parsed.secret === 'string') return parsed.secret;
    } catch {
      // Fall through to the error below.
    }
    throw new ConfigError(
      `the secret file of profile "${profile}" is unreadable (${file}); log in again`,
    );
  }

  remove(profile: string): void {
    rmSync(this.#file(profile), { force: true });
  }

  /** The path of a profile's secret file (for tests and `whoami`). */
  path(profile: string): string {
    return this.#file(profile);
  }

  #file(profile: string): string {
    return join(this.#dir, `${profile}.json`);
  }
}
