/**
 * `${VAR}` in the values of a serve config (`agent.toml`), replaced from the environment after
 * the TOML is parsed — never in comments or keys, unlike Fluux Agent, which expands the raw
 * text (so a `$VAR` in a comment, or a `$` in a password, breaks its start-up). `${VAR:-text}`
 * gives a default; `$$` is a literal `$`; a bare `$` is left as it is.
 */
import { ConfigError } from '../errors.ts';
import { where, type ValueSource } from '../security/policy-values.ts';

const REFERENCE = /\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g;

/** A copy of `value` with every string expanded; `key` is its path, for errors. */
export function expandValues(
  value: unknown,
  key: string,
  env: Readonly<Record<string, string | undefined>>,
  source: ValueSource,
): unknown {
  if (typeof value === 'string') return expandText(value, key, env, source);
  if (Array.isArray(value))
    return value.map((item, i) => expandValues(item, `${key}[${String(i)}]`, env, source));
  if (typeof value === 'object' && value !== null && !(value instanceof Date))
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => [
        k,
        expandValues(v, key === '' ? k : `${key}.${k}`, env, source),
      ]),
    );
  return value;
}

function expandText(
  text: string,
  key: string,
  env: Readonly<Record<string, string | undefined>>,
  source: ValueSource,
): string {
  return text.replace(
    REFERENCE,
    (whole, name: string | undefined, fallback: string | undefined) => {
      if (whole === '$$') return '$';
      const value = env[name ?? ''];
      if (value !== undefined && value !== '') return value;
      if (fallback !== undefined) return fallback;
      throw new ConfigError(
        `${where(source, key)}: ${key}: expected the environment variable ${name ?? ''} to be set (the value says \${${name ?? ''}}); set it, or write \${${name ?? ''}:-default}`,
      );
    },
  );
}
