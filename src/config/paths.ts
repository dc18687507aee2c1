import { mkdirSync } from 'node:fs';
import { homedir } from 'node:os';
import { isAbsolute, join } from 'node:path';

/**
 * Where mx-agent keeps its files. `MX_AGENT_CONFIG_DIR` / `MX_AGENT_DATA_DIR` override; then the
 * XDG base directories (`$XDG_CONFIG_HOME/mx-agent`, `$XDG_DATA_HOME/mx-agent`); then
 * `~/.config/mx-agent` and `~/.local/share/mx-agent`.
 */
export interface Paths {
  readonly config: string;
  readonly data: string;
}

/** Resolve the directories from an environment (defaults to this process's). */
export function resolvePaths(env: NodeJS.ProcessEnv = process.env): Paths {
  const home = env.HOME || homedir();
  return {
    config:
      env.MX_AGENT_CONFIG_DIR ||
      join(xdg(env.XDG_CONFIG_HOME) ?? join(home, '.config'), 'mx-agent'),
    data:
      env.MX_AGENT_DATA_DIR ||
      join(xdg(env.XDG_DATA_HOME) ?? join(home, '.local', 'share'), 'mx-agent'),
  };
}

// XDG Base Directory spec: an empty or relative value is to be ignored.
function xdg(value: string | undefined): string | undefined {
  return value && isAbsolute(value) ? value : undefined;
}

/** Create a private directory (mode 0700, parents too) if needed and return it. */
export function ensurePrivateDir(dir: string): string {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  return dir;
}
