import Conf from 'conf';
import { ConfigError, quote } from '../errors.ts';
import { ensurePrivateDir, type Paths } from './paths.ts';
import type { Profile } from './profile.ts';
import { SecretStore } from './secrets.ts';

interface Store {
  defaultProfile?: string;
  profiles: Record<string, Profile>;
}

/** The stored profiles of one config directory. */
export class Profiles {
  readonly #conf: Conf<Store>;
  readonly secrets: SecretStore;

  constructor(paths: Paths) {
    ensurePrivateDir(paths.config);
    this.#conf = new Conf<Store>({
      cwd: paths.config,
      configName: 'profiles',
      configFileMode: 0o600,
      defaults: { profiles: {} },
    });
    this.secrets = new SecretStore(paths.config);
  }

  list(): Profile[] {
    return Object.values(this.#conf.get('profiles')).sort((a, b) => a.name.localeCompare(b.name));
  }

  defaultName(): string | undefined {
    return this.#conf.get('defaultProfile');
  }

  /** A profile by name, or the default one; ConfigError saying what to do when there is none. */
  get(name?: string): Profile {
    const profiles = this.#conf.get('profiles');
    const wanted = name ?? this.defaultName();
    if (wanted === undefined) {
      throw new ConfigError(
        'no profile yet: log in first with `mx-agent login xmpp --jid alice@example.org`',
      );
    }
    const profile = profiles[wanted];
    if (!profile)
      throw new ConfigError(`no profile named ${quote(wanted)}; \`mx-agent profiles\` lists them`);
    return profile;
  }

  /** Store a profile and its secret; the first profile becomes the default. */
  save(profile: Profile, secret: string, makeDefault = false): { isDefault: boolean } {
    this.secrets.write(profile.name, secret);
    this.#conf.set('profiles', { ...this.#conf.get('profiles'), [profile.name]: profile });
    if (makeDefault || this.defaultName() === undefined)
      this.#conf.set('defaultProfile', profile.name);
    return { isDefault: this.defaultName() === profile.name };
  }

  remove(name: string): Profile {
    const profile = this.get(name);
    const { [name]: _removed, ...rest } = this.#conf.get('profiles');
    this.#conf.set('profiles', rest);
    this.secrets.remove(name);
    if (this.defaultName() === name) {
      const next = Object.keys(rest).sort()[0];
      if (next) this.#conf.set('defaultProfile', next);
      else this.#conf.delete('defaultProfile');
    }
    return profile;
  }

  setDefault(name: string): void {
    this.get(name);
    this.#conf.set('defaultProfile', name);
  }
}
