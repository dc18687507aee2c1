/**
 * The environment a requester may set. A rule lists names (`CI`) and prefixes (`npm_config_*`);
 * some names are refused whatever a rule says, because setting them changes which code runs
 * (the loader, an interpreter's start-up files, git's helper programs) or where the worker's
 * own files are: no allowlist entry, not even a prefix that covers them, can admit them.
 */

const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const PATTERN = /^[A-Za-z_][A-Za-z0-9_]*\*?$/;

/** Names a request can never set; `*` ends a prefix. The worker sets PATH and HOME itself. */
export const FORBIDDEN_ENV: readonly string[] = [
  'PATH',
  'HOME',
  'LD_*',
  'DYLD_*',
  'NODE_OPTIONS',
  'NODE_PATH',
  'BASH_ENV',
  'ENV',
  'SHELLOPTS',
  'BASHOPTS',
  'PS4',
  'PROMPT_COMMAND',
  'IFS',
  'CDPATH',
  'PYTHONSTARTUP',
  'PYTHONPATH',
  'PYTHONHOME',
  'PYTHONUSERBASE',
  'PYTHONBREAKPOINT',
  'PERL5OPT',
  'PERL5LIB',
  'PERLLIB',
  'PERL5DB',
  'RUBYOPT',
  'RUBYLIB',
  'GIT_SSH*',
  'GIT_EXEC_PATH',
  'GIT_CONFIG*',
  'GIT_ASKPASS',
  'GIT_PROXY_COMMAND',
  'GIT_EXTERNAL_DIFF',
  'GIT_EDITOR',
  'GIT_PAGER',
  'GIT_TEMPLATE_DIR',
  'GIT_DIR',
  'GIT_WORK_TREE',
  'GIT_COMMON_DIR',
  'GIT_INDEX_FILE',
  'GIT_OBJECT_DIRECTORY',
  'GIT_ALTERNATE_OBJECT_DIRECTORIES',
  'SSH_ASKPASS',
  'SUDO_ASKPASS',
  'EDITOR',
  'VISUAL',
  'PAGER',
  'BROWSER',
];

/** True when `name` matches `pattern`: equal, or starting with the part before a final `*`. */
export function matchesEnvPattern(pattern: string, name: string): boolean {
  return pattern.endsWith('*') ? name.startsWith(pattern.slice(0, -1)) : name === pattern;
}

/** True for a name no request may set. */
export function isForbiddenEnv(name: string): boolean {
  return FORBIDDEN_ENV.some((pattern) => matchesEnvPattern(pattern, name));
}

/** True for a valid allowlist entry: a variable name, optionally ending in `*`. */
export function isEnvPattern(text: string): boolean {
  return PATTERN.test(text);
}

/** True for a name a process environment can carry and a shell can refer to. */
export function isEnvName(text: string): boolean {
  return NAME.test(text);
}
