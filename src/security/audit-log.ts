/**
 * The audit log (design.md §6): one JSON line per decision, hash-chained so an edited,
 * deleted, reordered or cut-off record shows. Each line is the canonical JSON of a record plus
 * its own `hash` (SHA-256 of the record's canonical bytes without `hash`); each `prev` is the
 * previous record's hash (64 zeros for the first). The chain cannot stop someone with write
 * access from rewriting the whole tail: a head hash kept elsewhere anchors it. Appends from
 * several processes are serialised by a lock (`withLock`): read the last record, write one
 * line with O_APPEND, fsync, unlock.
 */
import { createHash } from 'node:crypto';
import { chmodSync, closeSync, fstatSync, fsyncSync, mkdirSync, openSync } from 'node:fs';
import { readFileSync, readSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { ConfigError, RefusedError, UsageError, messageOf } from '../errors.ts';
import { canonicalBytes, canonicalJson } from '../protocol/canonical-json.ts';
import type { JsonValue } from '../transport/transport.ts';

/** The `prev` of the first record. */
export const GENESIS = '0'.repeat(64);

/** What became of a request (or another audited event). */
export type AuditDecision = 'allowed' | 'denied' | 'failed' | 'info';

/** Who asked: what the envelope claims and where it came from. */
export interface AuditRequester {
  readonly agent?: string;
  readonly fingerprint?: string;
  /** The transport address it arrived from. */
  readonly address?: string;
}

/** What the caller records; `seq`, `at`, `prev` and `hash` are the log's. */
export interface AuditFields {
  /** What happened, e.g. `request`. */
  readonly event: string;
  readonly decision?: AuditDecision;
  readonly stage?: string;
  /** Why, as a sentence. */
  readonly reason?: string;
  readonly requester?: AuditRequester;
  readonly kind?: string;
  readonly summary?: string;
  readonly [field: string]: unknown;
}

/** One record as stored. */
export interface AuditRecord {
  readonly seq: number;
  /** When it was written, ISO 8601. */
  readonly at: string;
  /** The previous record's hash, or GENESIS. */
  readonly prev: string;
  /** SHA-256 (hex) of this record's canonical bytes without `hash`. */
  readonly hash: string;
  readonly event: string;
  readonly [field: string]: JsonValue;
}

const RESERVED = ['seq', 'at', 'prev', 'hash'];
const LOCK_WAIT_MS = 10_000;

/** An append-only, hash-chained JSONL audit log at `path` (mode 0600). */
export class AuditLog {
  /** The log file. */
  readonly path: string;
  readonly #now: () => number;

  constructor(path: string, options: { now?: () => number } = {}) {
    this.path = path;
    this.#now = options.now ?? Date.now;
  }

  /**
   * Append one record and fsync it; returns the record as written. Throws (and writes
   * nothing) when the log's last line is damaged: a broken chain is not extended silently.
   */
  append(fields: AuditFields): AuditRecord {
    const clash = Object.keys(fields).find((name) => RESERVED.includes(name));
    if (clash !== undefined)
      throw new UsageError(`audit fields: "${clash}" is the log's own field`);
    mkdirSync(dirname(this.path), { recursive: true, mode: 0o700 });
    return withLock(`${this.path}.lock`, () => this.#write(fields));
  }

  #write(fields: AuditFields): AuditRecord {
    const fd = openSync(this.path, 'a+', 0o600);
    try {
      const last = lastRecord(fd, this.path);
      const record: Record<string, unknown> = {
        ...withoutUndefined(fields),
        seq: (last?.seq ?? 0) + 1,
        at: new Date(this.#now()).toISOString(),
        prev: last?.hash ?? GENESIS,
      };
      const stored = { ...record, hash: hashOf(record) };
      writeSync(fd, `${canonicalJson(stored)}\n`);
      fsyncSync(fd);
      return stored as AuditRecord;
    } finally {
      closeSync(fd);
    }
  }
}

/** A copy without undefined properties, also in nested plain objects (JSON has no undefined). */
function withoutUndefined(object: object): Record<string, unknown> {
  const plain = (value: unknown): value is object =>
    typeof value === 'object' &&
    value !== null &&
    Object.getPrototypeOf(value) === Object.prototype;
  const entries = Object.entries(object).filter(([, value]) => value !== undefined);
  return Object.fromEntries(entries.map(([k, v]) => [k, plain(v) ? withoutUndefined(v) : v]));
}

/** SHA-256 (hex) of a record's canonical bytes. */
export function hashOf(record: Readonly<Record<string, unknown>>): string {
  return createHash('sha256').update(canonicalBytes(record)).digest('hex');
}

/** The last record of the open log, checked; undefined when the log is empty. */
function lastRecord(fd: number, path: string): { seq: number; hash: string } | undefined {
  const size = fstatSync(fd).size;
  if (size === 0) return undefined;
  const line = tail(fd, size).toString('utf8');
  const record = line.endsWith('\n')
    ? readRecord(line.slice(0, -1))
    : 'it ends in the middle of a record';
  if (typeof record === 'string')
    throw new ConfigError(
      `the audit log ${path} is damaged (${record}); \`mx-agent audit verify\` names the line — move the file aside to start a new log`,
    );
  return record;
}

/** The bytes of the last line, read backwards in chunks. */
function tail(fd: number, size: number): Buffer {
  const chunks: Buffer[] = [];
  for (let end = size; end > 0;) {
    const start = Math.max(0, end - 65_536);
    const chunk = Buffer.alloc(end - start);
    readSync(fd, chunk, 0, chunk.length, start);
    chunks.unshift(chunk);
    // The last newline before the final byte ends the line before the last one.
    const newline = chunk.subarray(0, end === size ? -1 : undefined).lastIndexOf(0x0a);
    if (newline >= 0) return Buffer.concat(chunks).subarray(newline + 1);
    end = start;
  }
  return Buffer.concat(chunks);
}

/**
 * Run `fn` holding the lock `path`: an SQLite write transaction (BEGIN IMMEDIATE) on an empty
 * database file. Node has no flock; SQLite's file locks are the operating system's, so a
 * holder that crashes releases the lock with its last breath — no stale lock to detect, no
 * pid to trust (pids mean nothing across containers sharing a volume) — and a waiting process
 * gets it in turn (busy timeout). A live holder is never overtaken: a paused holder that
 * resumed would write after us and fork the chain.
 */
function withLock<T>(path: string, fn: () => T): T {
  let db: DatabaseSync | undefined;
  try {
    db = new DatabaseSync(path, { timeout: LOCK_WAIT_MS });
    chmodSync(path, 0o600);
    db.exec('BEGIN IMMEDIATE');
  } catch (error) {
    db?.close();
    throw new RefusedError(
      `cannot lock the audit log (${path}) within ${LOCK_WAIT_MS / 1000} s: ${messageOf(error)}; another mx-agent process may be stuck writing it`,
      { cause: error },
    );
  }
  try {
    return fn();
  } finally {
    db.exec('ROLLBACK');
    db.close();
  }
}

/** The result of checking a log: every record chained, or the first bad line (1-based). */
export type AuditVerdict =
  | { readonly ok: true; readonly records: number; readonly head: string }
  | { readonly ok: false; readonly line: number; readonly reason: string };

/**
 * Check the whole chain of the log at `path`: each line canonical JSON whose hash matches its
 * content, `seq` counting from 1, `prev` the hash of the line before. Names the first bad line.
 * `head` is the last hash: keep it elsewhere to notice a rewritten or shortened tail.
 */
export function verifyAuditLog(path: string): AuditVerdict {
  let text: string;
  try {
    text = readFileSync(path, 'utf8'); // whole: a verification is rare, a log is megabytes
  } catch (error) {
    throw new ConfigError(`cannot read the audit log ${path}: ${messageOf(error)}`, {
      cause: error,
    });
  }
  const lines = text.split('\n');
  const last = lines.pop(); // '' when the file ends with a newline, as a whole log does
  if (last !== '') lines.push(last ?? '');
  let prev = GENESIS;
  for (const [index, line] of lines.entries()) {
    const complete = index < lines.length - 1 || last === '';
    const record = complete ? readRecord(line) : TRUNCATED;
    if (typeof record === 'string') return { ok: false, line: index + 1, reason: record };
    const reason = chainProblem(record, index + 1, prev);
    if (reason !== undefined) return { ok: false, line: index + 1, reason };
    prev = record.hash;
  }
  return { ok: true, records: lines.length, head: prev };
}

const TRUNCATED = 'the log ends in the middle of this record: truncated, or a write was cut off';

/** Why a sound record does not continue the chain at `line` after `prev`, if it does not. */
function chainProblem(record: { seq: number; prev: unknown }, line: number, prev: string) {
  if (record.seq !== line)
    return `seq is ${record.seq} where ${line} was expected: a record was deleted, inserted or moved`;
  if (record.prev === prev) return undefined;
  return line === 1
    ? 'the first record does not start the chain (prev is not 64 zeros): the log lost its beginning'
    : `prev does not match the hash of line ${line - 1}: a record was deleted, inserted or moved`;
}

/** One line's record with its hash checked against its content, or what is wrong with it. */
function readRecord(text: string): { seq: number; prev: unknown; hash: string } | string {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    return `not JSON: ${messageOf(error)}`;
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) return 'not a JSON object';
  const { hash, ...record } = json as Record<string, unknown>;
  try {
    if (canonicalJson(json) !== text) return 'not in canonical JSON form: the line was rewritten';
  } catch (error) {
    return messageOf(error);
  }
  if (typeof hash !== 'string' || hash !== hashOf(record))
    return 'its content does not match its hash: the record was edited';
  const { seq } = record;
  if (typeof seq !== 'number' || typeof record.at !== 'string' || typeof record.event !== 'string')
    return 'a record needs seq, at and event';
  return { seq, prev: record.prev, hash };
}
