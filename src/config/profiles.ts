import Conf from 'conf';
import { ConfigError, quote } from '../errors.ts';
import { withFileLock } from './file-lock.ts';
import { ensurePrivateDir, type Paths } from './paths.ts';
import type { Profile } from './profile.ts';
import { SecretStore } from './secrets.ts';

interface StoredProfiles {
  defaultProfile?: string;
  profiles: Record<string, Profile>;
}

/**
 * The stored profiles of one config directory: `profiles.json` (conf, mode 0600) holds the
 * accounts and which one is the default; secrets live in their own files (secrets.ts).
 */
export class ProfileStore {
  readonly #conf: Conf<StoredProfiles>;
  readonly #secrets: SecretStore;

  constructor(paths: Pick<Paths, 'config'>) {
    ensurePrivateDir(paths.config);
    this.#conf = new Conf<StoredProfiles>({
      cwd: paths.config,
      configName: 'profiles',
      configFileMode: 0o600,
      defaults: { profiles: {} },
    });
    this.#secrets = new SecretStore(paths.config);
  }

  /** All profiles, sorted by name. */
  list(): Profile[] {
    return Object.values(this.#conf.get('profiles')).sort((a, b) => a.name.localeCompare(b.name));
  }

  /** The name of the default profile, if there is one. */
  defaultName(): string | undefined {
    return this.#conf.get('defaultProfile');
  }

  /** A profile by name, or the default one; ConfigError saying what to do when there is none. */
  get(name?: string): Profile {
    const wanted = name ?? this.defaultName();
    if (wanted === undefined)
      throw new ConfigError(
        'no profile yet; log in first with `mx-agent login xmpp --jid alice@example.org`',
      );
    const profile = this.#conf.get('profiles')[wanted];
    if (profile === undefined)
      throw new ConfigError(`no profile named ${quote(wanted)}; \`mx-agent profiles\` lists them`);
    return profile;
  }

  /**
   * Store (or replace) a profile and its secret. The first profile becomes the default, and so
   * does one saved with `makeDefault`. The secret is written first: a profile without its
   * secret would be unusable.
   */
  save(
    profile: Profile,
    secret: string,
    options: { makeDefault?: boolean } = {},
  ): {
    isDefault: boolean;
  } {
    this.#secrets.write(profile.name, secret);
    return this.#locked(() => {
      this.#conf.set('profiles', { ...this.#conf.get('profiles'), [profile.name]: profile });
      if (options.makeDefault === true || this.defaultName() === undefined)
        this.#conf.set('defaultProfile', profile.name);
      return { isDefault: this.defaultName() === profile.name };
    });
  }

  /** The secret of a stored profile. Never print or log it. */
  readSecret(name: string): string {
    return this.#secrets.read(name);
  }

  /** Forget a profile and its secret; the default passes to the first remaining profile. */
  remove(name: string): { removed: Profile; defaultName: string | undefined } {
    return this.#locked(() => {
      const removed = this.get(name);
      const { [name]: _removed, ...rest } = this.#conf.get('profiles');
      this.#conf.set('profiles', rest);
      this.#secrets.remove(name);
      if (this.defaultName() === name) {
        const next = Object.keys(rest).sort()[0];
        if (next === undefined) this.#conf.delete('defaultProfile');
        else this.#conf.set('defaultProfile', next);
      }
      return { removed, defaultName: this.defaultName() };
    });
  }

  /** Make an existing profile the default. */
  setDefault(name: string): Profile {
    return this.#locked(() => {
      const profile = this.get(name);
      this.#conf.set('defaultProfile', name);
      return profile;
    });
  }

  /** Read-modify-write of profiles.json, one process at a time (concurrent logins). */
  #locked<T>(fn: () => T): T {
    return withFileLock(this.#conf.path, fn);
  }

  /** Where a profile's secret lives (tests, diagnostics). */
  secretPath(name: string): string {
    return this.#secrets.path(name);
  }
}
