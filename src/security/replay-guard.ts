/**
 * Refuses a signed request twice, or outside its validity window (design.md §6; the numbers
 * are specs/protocol.md's). Nonces are kept in SQLite (node:sqlite) in the data directory
 * rather than in an append-only file because the primary key (agent, nonce) makes "record"
 * atomic across processes — of two workers that both checked a nonce, only one insert wins —
 * and pruning is one indexed DELETE instead of rewriting a file under a lock. The store
 * survives restarts, so a request replayed after a worker restart is still refused.
 *
 * A nonce needs keeping only until its envelope is too old to pass the window check anyway
 * (expires + skew); later entries are pruned.
 */
import { join } from 'node:path';
import type { DatabaseSync } from 'node:sqlite';
import { UsageError } from '../errors.ts';
import { openPrivateDatabase } from './private-database.ts';
import type { SignedEnvelope } from '../protocol/signed.ts';

/** The store's file name inside the data directory. */
export const REPLAY_FILE = 'replay.sqlite';

/** Longest validity window a request may ask for (expires − issued): 10 minutes. */
export const DEFAULT_MAX_LIFETIME_MS = 10 * 60_000;

/** How far the two clocks may disagree: 60 s. */
export const DEFAULT_SKEW_MS = 60_000;

/** The window rules. */
export interface ReplayLimits {
  readonly maxLifetimeMs: number;
  readonly skewMs: number;
}

/** The parts of an envelope the guard looks at. */
export type ReplayFields = Pick<SignedEnvelope, 'agent' | 'nonce' | 'issued' | 'expires'>;

/** Pass, or why not: `expired` for the window rules, `replay` for a nonce already used. */
export type ReplayVerdict =
  | { readonly ok: true }
  | { readonly ok: false; readonly stage: 'expired' | 'replay'; readonly reason: string };

/** The nonce store of one data directory. */
export class ReplayGuard {
  /** The rules this guard applies. */
  readonly limits: ReplayLimits;
  /** The SQLite file. */
  readonly path: string;
  readonly #db: DatabaseSync;

  constructor(dataDir: string, limits: Partial<ReplayLimits> = {}) {
    this.limits = {
      maxLifetimeMs: limits.maxLifetimeMs ?? DEFAULT_MAX_LIFETIME_MS,
      skewMs: limits.skewMs ?? DEFAULT_SKEW_MS,
    };
    for (const [name, value] of Object.entries(this.limits))
      if (!Number.isSafeInteger(value) || value < 0)
        throw new UsageError(
          `${name}: expected a non-negative integer of ms, got ${String(value)}`,
        );
    this.path = join(dataDir, REPLAY_FILE);
    this.#db = openStore(dataDir, this.path);
  }

  /** Whether `envelope` may pass at `now` (ms): its window, then its nonce. Records nothing. */
  check(envelope: ReplayFields, now: number): ReplayVerdict {
    const { maxLifetimeMs, skewMs } = this.limits;
    const { agent, nonce, issued, expires } = envelope;
    const lifetime = expires - issued;
    const expired = (reason: string): ReplayVerdict => ({ ok: false, stage: 'expired', reason });
    if (lifetime <= 0)
      return expired(
        `request from ${agent} expires (${iso(expires)}) before it was issued (${iso(issued)})`,
      );
    if (lifetime > maxLifetimeMs)
      return expired(
        `request from ${agent} asks to stay valid for ${seconds(lifetime)}, longer than the ${seconds(maxLifetimeMs)} allowed`,
      );
    if (issued > now + skewMs)
      return expired(
        `request from ${agent} was issued ${seconds(issued - now)} in the future (${iso(issued)}), beyond the ${seconds(skewMs)} of clock skew allowed; check the clocks of both machines`,
      );
    if (now > expires + skewMs)
      return expired(
        `request from ${agent} expired ${seconds(now - expires)} ago (${iso(expires)}); the sender must sign it anew`,
      );
    if (this.#seen(agent, nonce))
      return {
        ok: false,
        stage: 'replay',
        reason: `request from ${agent} reuses nonce ${nonce}, already accepted once: a replay`,
      };
    return { ok: true };
  }

  /**
   * Remember the nonce of `envelope` — only once its signature has verified. False when it
   * was already recorded (another process won a race for it): refuse the request then.
   */
  record(envelope: ReplayFields, now: number = Date.now()): boolean {
    this.prune(now);
    const keepUntil = envelope.expires + this.limits.skewMs;
    const result = this.#db
      .prepare('INSERT OR IGNORE INTO nonces (agent, nonce, keep_until) VALUES (?, ?, ?)')
      .run(envelope.agent, envelope.nonce, keepUntil);
    return result.changes === 1;
  }

  /** Forget nonces whose envelopes can no longer pass the window check; how many went. */
  prune(now: number): number {
    const result = this.#db.prepare('DELETE FROM nonces WHERE keep_until < ?').run(now);
    return Number(result.changes);
  }

  /** Close the store. */
  close(): void {
    if (this.#db.isOpen) this.#db.close();
  }

  #seen(agent: string, nonce: string): boolean {
    const row = this.#db
      .prepare('SELECT 1 AS seen FROM nonces WHERE agent = ? AND nonce = ?')
      .get(agent, nonce);
    return row !== undefined;
  }
}

function openStore(dataDir: string, path: string): DatabaseSync {
  return openPrivateDatabase(
    dataDir,
    path,
    `CREATE TABLE IF NOT EXISTS nonces (
        agent TEXT NOT NULL,
        nonce TEXT NOT NULL,
        keep_until INTEGER NOT NULL,
        PRIMARY KEY (agent, nonce)
      );
      CREATE INDEX IF NOT EXISTS nonces_keep_until ON nonces (keep_until);`,
    'replay store',
  );
}

function iso(ms: number): string {
  const date = new Date(ms);
  return Number.isNaN(date.getTime()) ? String(ms) : date.toISOString();
}

function seconds(ms: number): string {
  // Exact to the ms: "600.001 s, longer than the 600 s allowed" must not read as equal.
  return ms >= 1000 ? `${String(ms / 1000)} s` : `${String(ms)} ms`;
}
