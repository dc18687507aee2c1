/**
 * The agents whose requests this agent may act on (design.md §6): `trust.json` in the config
 * directory, mode 0600. Trust is never implicit: an entry is added by hand (`mx-agent trust
 * add`) or by comparing a pairing code. An entry binds an agent id to one public key; a
 * different key for an already trusted agent is refused unless replacing is asked for,
 * because that is exactly what an impostor looks like.
 */
import { randomBytes } from 'node:crypto';
import {
  chmodSync,
  mkdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { ConfigError, RefusedError, UsageError, messageOf } from '../errors.ts';
import { isAgentId } from '../protocol/agent-id.ts';
import { fingerprintOf, isPublicRaw, publicKeyFromRaw } from './signing-key.ts';

/** The trust file's name inside the config directory. */
export const TRUST_FILE = 'trust.json';

const FILE_VERSION = 1;
const MAX_LABEL = 200;

/** How an entry came to be. */
export type TrustVia = 'manual' | 'pairing';

/** One trusted agent and its key. */
export interface TrustEntry {
  /** The agent id, `agt-…`. */
  readonly agent: string;
  /** Its public key, `ed25519:` + base64url. */
  readonly key: string;
  /** `SHA256:…` of that key, for display and lookup. */
  readonly fingerprint: string;
  readonly label?: string;
  /** When it was added, ISO 8601. */
  readonly added: string;
  readonly via: TrustVia;
}

/** What `add` takes: the fingerprint is computed from the key (and checked when given). */
export interface NewTrustEntry {
  readonly agent: string;
  readonly key: string;
  readonly fingerprint?: string;
  readonly label?: string;
  readonly via: TrustVia;
  readonly added?: string;
}

/** The trust store of one config directory; every call reads the file afresh. */
export class TrustStore {
  /** The file, `<configDir>/trust.json`. */
  readonly path: string;

  constructor(configDir: string) {
    this.path = join(configDir, TRUST_FILE);
  }

  /** Every entry, in the order they were added. */
  list(): TrustEntry[] {
    return this.#read();
  }

  /** The entry trusting `agent` with the key of `fingerprint`, if any. */
  lookup(agent: string, fingerprint: string): TrustEntry | undefined {
    return this.#read().find((e) => e.agent === agent && e.fingerprint === fingerprint);
  }

  /**
   * Trust `entry.agent` with `entry.key`. Adding the same pair again updates its label. A
   * different key for an agent already trusted is refused (RefusedError) unless `replace`.
   */
  add(entry: NewTrustEntry, options: { replace?: boolean } = {}): TrustEntry {
    const fresh = validate(entry);
    const entries = this.#read();
    const same = entries.find((e) => e.agent === fresh.agent && e.key === fresh.key);
    const others = entries.filter((e) => e.agent === fresh.agent && e.key !== fresh.key);
    if (others.length > 0 && options.replace !== true) {
      const old = others.map((e) => e.fingerprint).join(', ');
      throw new RefusedError(
        `${fresh.agent}'s key changed: it is trusted with ${old}, and the key offered now is ${fresh.fingerprint}. ` +
          `A key changes when the agent is reinstalled or loses its key file — or when someone else pretends to be it. ` +
          `Check the new fingerprint with its owner, then replace the old key with \`mx-agent trust add ${fresh.agent} ${fresh.key} --replace\``,
      );
    }
    const kept = entries.filter((e) => e.agent !== fresh.agent);
    const result = same === undefined ? fresh : { ...same, ...labelOf(fresh.label ?? same.label) };
    this.#write([...kept, result]);
    return result;
  }

  /** Stop trusting an agent (every key of it) or one key (by fingerprint); the removed entries. */
  remove(agentOrFingerprint: string): TrustEntry[] {
    const entries = this.#read();
    const gone = entries.filter(
      (e) => e.agent === agentOrFingerprint || e.fingerprint === agentOrFingerprint,
    );
    if (gone.length === 0)
      throw new UsageError(
        `no trusted agent or key matches ${JSON.stringify(agentOrFingerprint)}; \`mx-agent trust list\` shows them`,
      );
    this.#write(entries.filter((e) => !gone.includes(e)));
    return gone;
  }

  #read(): TrustEntry[] {
    let text: string;
    try {
      const stat = statSync(this.path);
      if (process.platform !== 'win32' && (stat.mode & 0o022) !== 0)
        throw new ConfigError(
          `${this.path} may be changed by other users, who could make this agent trust them; make it private with \`chmod 600 ${this.path}\``,
        );
      text = readFileSync(this.path, 'utf8');
    } catch (error) {
      if (error instanceof ConfigError) throw error;
      if (error instanceof Error && 'code' in error && error.code === 'ENOENT') return [];
      throw new ConfigError(`cannot read ${this.path}: ${messageOf(error)}`, { cause: error });
    }
    return parseTrustFile(text, this.path);
  }

  /** Replace the file atomically: a private temp file renamed over it. */
  #write(entries: readonly TrustEntry[]): void {
    const dir = join(this.path, '..');
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const temp = `${this.path}.${randomBytes(6).toString('hex')}.tmp`;
    const text = `${JSON.stringify({ v: FILE_VERSION, agents: entries }, null, 2)}\n`;
    try {
      writeFileSync(temp, text, { mode: 0o600, flag: 'wx', flush: true });
      chmodSync(temp, 0o600);
      renameSync(temp, this.path);
    } catch (error) {
      rmSync(temp, { force: true });
      throw new ConfigError(`cannot write ${this.path}: ${messageOf(error)}`, { cause: error });
    }
  }
}

/** The checked entry to store; UsageError saying what is wrong. */
function validate(entry: NewTrustEntry): TrustEntry {
  if (!isAgentId(entry.agent))
    throw new UsageError(`expected an agent id like agt-…, got ${JSON.stringify(entry.agent)}`);
  const fingerprint = fingerprintOf(publicKeyFromRaw(entry.key));
  if (entry.fingerprint !== undefined && entry.fingerprint !== fingerprint)
    throw new UsageError(
      `the key ${entry.key} has fingerprint ${fingerprint}, not ${entry.fingerprint}: the key or the fingerprint was mistyped`,
    );
  const added = entry.added ?? new Date().toISOString();
  if (Number.isNaN(Date.parse(added)))
    throw new UsageError(`added: expected an ISO 8601 time, got ${JSON.stringify(added)}`);
  if (entry.label !== undefined && !isLabel(entry.label))
    throw new UsageError(
      `label: expected at most ${MAX_LABEL} characters on one line, got ${JSON.stringify(entry.label.slice(0, 60))}`,
    );
  return {
    agent: entry.agent,
    key: entry.key,
    fingerprint,
    ...labelOf(entry.label),
    added,
    via: entry.via,
  };
}

function labelOf(label: string | undefined): { label?: string } {
  return label === undefined ? {} : { label };
}

function isLabel(value: unknown): boolean {
  // No control characters: a label is printed in terminals, where they could forge output.
  return typeof value === 'string' && value.length <= MAX_LABEL && !/\p{Cc}/u.test(value);
}

function parseTrustFile(text: string, path: string): TrustEntry[] {
  const broken = (why: string): ConfigError =>
    new ConfigError(
      `${path} is not a valid trust file (${why}); fix it or move it aside and add the agents again`,
    );
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw broken(messageOf(error));
  }
  if (
    typeof json !== 'object' ||
    json === null ||
    !('agents' in json) ||
    !Array.isArray(json.agents)
  )
    throw broken('expected {"v": 1, "agents": [...]}');
  if ('v' in json && json.v !== FILE_VERSION)
    throw broken(`version ${JSON.stringify(json.v)}, this mx-agent reads version ${FILE_VERSION}`);
  return json.agents.map((item: unknown, index: number) => {
    const entry = item as Partial<Record<keyof TrustEntry, unknown>> | null;
    if (
      entry === null ||
      typeof entry !== 'object' ||
      !isAgentId(entry.agent) ||
      !isPublicRaw(entry.key) ||
      typeof entry.added !== 'string' ||
      (entry.via !== 'manual' && entry.via !== 'pairing') ||
      (entry.label !== undefined && (typeof entry.label !== 'string' || !isLabel(entry.label)))
    )
      throw broken(`entry ${index + 1} is malformed`);
    // The fingerprint is recomputed, never taken from the file: lookups must match the key.
    const fingerprint = fingerprintOf(publicKeyFromRaw(entry.key));
    return {
      agent: entry.agent,
      key: entry.key,
      fingerprint,
      ...labelOf(entry.label),
      added: entry.added,
      via: entry.via,
    };
  });
}
