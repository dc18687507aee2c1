/**
 * The workspaces each profile is in as an agent (`mx-agent workspace join|create|leave`):
 * `workspaces.json` in the config directory. The profile's session host stays in them and
 * publishes the agent card there while it runs.
 */
import Conf from 'conf';
import { withFileLock } from './file-lock.ts';
import { ensurePrivateDir, type Paths } from './paths.ts';

interface Stored {
  profiles: Record<string, string[]>;
}

/** The per-profile workspace lists of one config directory. */
export class WorkspaceList {
  readonly #conf: Conf<Stored>;

  constructor(paths: Pick<Paths, 'config'>) {
    ensurePrivateDir(paths.config);
    this.#conf = new Conf<Stored>({
      cwd: paths.config,
      configName: 'workspaces',
      configFileMode: 0o600,
      defaults: { profiles: {} },
    });
  }

  /** The workspaces of a profile, in the order they were joined. */
  of(profile: string): string[] {
    return [...(this.#conf.get('profiles')[profile] ?? [])];
  }

  /** Add a workspace; false when it was there already. */
  add(profile: string, workspace: string): boolean {
    return withFileLock(this.#conf.path, () => {
      const list = this.of(profile);
      if (list.includes(workspace)) return false;
      this.#conf.set('profiles', {
        ...this.#conf.get('profiles'),
        [profile]: [...list, workspace],
      });
      return true;
    });
  }

  /** Remove a workspace; false when it was not there. */
  remove(profile: string, workspace: string): boolean {
    return withFileLock(this.#conf.path, () => {
      const list = this.of(profile);
      if (!list.includes(workspace)) return false;
      const profiles = { ...this.#conf.get('profiles') };
      profiles[profile] = list.filter((w) => w !== workspace);
      this.#conf.set('profiles', profiles);
      return true;
    });
  }
}
