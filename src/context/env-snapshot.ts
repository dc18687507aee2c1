import { arch, platform, release } from 'node:os';
import { posix } from 'node:path';
import type { EnvironmentPart, SystemInfo } from './bundle.ts';
import { scrubEnvironment } from './environment.ts';
import type { WithheldVariable } from './withheld.ts';

/**
 * The environment part of a bundle: allowed variables through the scrubber's allowlist
 * (environment.ts, which withholds secret-looking names and values even when allowed), and a
 * coarse description of the machine.
 */

/**
 * Variables shared when the user names none (`--allow` absent): locale, terminal, time zone,
 * editor, shell and the usual mode switches, which explain how a program behaves and say
 * nothing about who runs it. Left out on purpose: PATH, HOME, PWD, USER and the like (user
 * names and the layout of a machine, and rarely what a peer needs), and anything ending in
 * a secret word, which the scrubber would withhold anyway.
 */
export const DEFAULT_ENV_ALLOW: readonly string[] = [
  'LANG',
  'LANGUAGE',
  'LC_*',
  'TZ',
  'TERM',
  'COLORTERM',
  'SHELL',
  'EDITOR',
  'VISUAL',
  'NODE_ENV',
  'CI',
];

/** The machine this runs on: OS and release, architecture, Node.js version, shell name. */
export function systemInfo(env: Readonly<Record<string, string | undefined>>): SystemInfo {
  const shell = env.SHELL === undefined || env.SHELL === '' ? undefined : posix.basename(env.SHELL);
  return {
    os: `${platform()} ${release()}`,
    arch: arch(),
    node: process.version,
    ...(shell === undefined ? {} : { shell }),
  };
}

/** The environment part of a bundle, and the allowed variables it withheld. */
export interface EnvironmentShare {
  readonly env: EnvironmentPart;
  readonly withheld: readonly WithheldVariable[];
}

/**
 * The allowed variables of `env` (`allow`, or {@link DEFAULT_ENV_ALLOW} when absent), scrubbed,
 * with `system` (this machine unless given). A malformed allowlist entry is a usage error.
 */
export function snapshotEnvironment(
  env: Readonly<Record<string, string | undefined>>,
  allow: readonly string[] | undefined,
  system: SystemInfo = systemInfo(env),
): EnvironmentShare {
  const { kept, withheld } = scrubEnvironment(env, allow ?? DEFAULT_ENV_ALLOW);
  return {
    env: { vars: kept, system },
    withheld: withheld.map((item) => ({ ...item, source: 'env' as const })),
  };
}
