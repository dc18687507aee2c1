import { quote, UsageError } from '../errors.ts';
import { kindPriority, type SecretKind } from './secret-kinds.ts';
import { secretNameRule, type NameRule } from './secret-names.ts';
import { scrubText } from './scrub-text.ts';

/**
 * The environment snapshot is an allowlist. Only variables the user (or the command's default
 * list) named are considered at all; the rest are not sent and not mentioned, since listing
 * every variable left out would drown the few that matter. Among the named ones, a
 * secret-looking name (secret-names.ts, the plain rule) or a value in which `scrubText` finds
 * any secret is withheld, always (naming it does not override this), and listed with the reason.
 *
 * Allowlist entries are exact names (case-sensitive, as POSIX environments are) or a prefix
 * followed by one `*` at the end (`LC_*`, `MX_AGENT_*`). No other wildcard: a bare `*` would
 * turn the allowlist into a blocklist, and the snapshot must stay what the user chose.
 */

/** An allowed variable left out of the snapshot, and why (never its value). */
export type Withheld =
  | {
      readonly type: 'withheld';
      readonly name: string;
      readonly reason: 'secret-name';
      readonly rule: NameRule;
    }
  | {
      readonly type: 'withheld';
      readonly name: string;
      readonly reason: 'secret-value';
      readonly kind: SecretKind;
    };

/** What the snapshot sends, and the allowed variables it withheld, both sorted by name. */
export interface EnvironmentSnapshot {
  readonly kept: Record<string, string>;
  readonly withheld: readonly Withheld[];
}

const ENTRY = /^[^*=\0]+\*?$/;

/** The allowlist as a test on names; a malformed entry is a usage error naming it. */
function allowTest(allow: readonly string[]): (name: string) => boolean {
  const exact = new Set<string>();
  const prefixes: string[] = [];
  for (const entry of allow) {
    if (!ENTRY.test(entry))
      throw new UsageError(
        `environment allowlist entry ${quote(entry)} is not a variable name or a prefix pattern: expected a name such as NODE_ENV, or a prefix and one trailing * such as LC_*`,
      );
    if (entry.endsWith('*')) prefixes.push(entry.slice(0, -1));
    else exact.add(entry);
  }
  return (name) => exact.has(name) || prefixes.some((prefix) => name.startsWith(prefix));
}

/**
 * The allowed variables of `env`, minus those withheld by name or by value. An allowed name
 * that is not set is simply absent (it reveals nothing and withholds nothing).
 */
export function scrubEnvironment(
  env: Readonly<Record<string, string | undefined>>,
  allow: readonly string[],
): EnvironmentSnapshot {
  const allowed = allowTest(allow);
  const kept: Record<string, string> = {};
  const withheld: Withheld[] = [];
  for (const name of Object.keys(env).sort()) {
    const value = env[name];
    if (value === undefined || !allowed(name)) continue;
    const rule = secretNameRule(name);
    if (rule !== undefined) {
      withheld.push({ type: 'withheld', name, reason: 'secret-name', rule });
      continue;
    }
    // The whole value goes when any part of it is a secret: a half-redacted variable (a URL
    // with a marker for its password) is rarely what the peer can use, and the reason says why.
    const kinds = scrubText(value).redactions.map((r) => r.kind);
    const kind = kinds.sort((a, b) => kindPriority(b) - kindPriority(a))[0];
    if (kind === undefined) kept[name] = value;
    else withheld.push({ type: 'withheld', name, reason: 'secret-value', kind });
  }
  return { kept, withheld };
}
