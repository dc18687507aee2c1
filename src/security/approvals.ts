/**
 * Held jobs (design.md §6, "approval"): a request the policy admits only with a person's
 * approval waits here until the worker's owner approves or denies it (`mx-agent approvals`),
 * or until it expires. SQLite in the data directory, like the replay store, because two
 * processes use it at once — the session host that holds the job and the CLI that decides —
 * and each change of status is one conditional UPDATE: of an approval and an expiry that race,
 * exactly one wins. Environment values never reach the file (they may be secrets): only their
 * names and lengths, for the person deciding. The worker keeps the job itself in memory.
 */
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import type { DatabaseSync } from 'node:sqlite';
import { RefusedError, UsageError, quote } from '../errors.ts';
import { openPrivateDatabase } from './private-database.ts';

/** The store's file name inside the data directory (next to `replay.sqlite`). */
export const APPROVALS_FILE = 'approvals.sqlite';

/** An approval id: `apr-` and 8 base32 letters. */
export const APPROVAL_ID = /^apr-[a-z2-7]{8}$/;

/**
 * Where a held job is: waiting (`pending`), decided by a person (`approved`, `denied`), ended
 * without a decision (`expired`, `cancelled` by its requester), or settled by the worker after
 * an approval: `released` (re-checked and run) or `refused` (the re-check failed).
 */
export type ApprovalStatus =
  'pending' | 'approved' | 'denied' | 'expired' | 'cancelled' | 'released' | 'refused';

/** What a held job is, as the person deciding sees it. */
export interface HeldJob {
  readonly id: string;
  /** The request's nonce: the requester's answers refer to it. */
  readonly nonce: string;
  readonly requester: {
    readonly agent: string;
    readonly fingerprint: string;
    readonly address: string;
  };
  readonly run: string;
  readonly job: string;
  readonly step: string;
  readonly command: string;
  readonly args: readonly string[];
  readonly cwd: string;
  /** The variables asked for: names and value lengths, never the values. */
  readonly env: readonly { readonly name: string; readonly length: number }[];
  /** Index of the policy rule that asked for approval (`allow[N]`). */
  readonly rule: number;
  /** ms since the epoch. */
  readonly heldAt: number;
  readonly expiresAt: number;
  readonly status: ApprovalStatus;
  readonly decidedAt?: number;
  /** The local user who approved or denied it. */
  readonly decidedBy?: string;
  readonly reason?: string;
  /** The worker holding it: its transport address and process. */
  readonly holder: { readonly address: string; readonly pid: number };
}

/** What the worker writes when it holds a job; the store adds the id and the status. */
export type NewHeldJob = Omit<HeldJob, 'id' | 'status' | 'decidedAt' | 'decidedBy' | 'reason'>;

/** How long settled jobs stay listed by `approvals list --all`. */
const KEEP_SETTLED_MS = 7 * 24 * 3600_000;

const COLUMNS = `id, nonce, requester_agent, requester_fingerprint, requester_address, run, job,
  step, command, args, cwd, env, rule, held_at, expires_at, status, decided_at, decided_by,
  reason, holder_address, holder_pid`;

/** The held jobs of one data directory. */
export class ApprovalStore {
  /** The SQLite file. */
  readonly path: string;
  readonly #db: DatabaseSync;

  constructor(dataDir: string) {
    this.path = join(dataDir, APPROVALS_FILE);
    this.#db = openStore(dataDir, this.path);
  }

  /** Record a held job under a new id (and forget settled ones older than a week). */
  hold(job: NewHeldJob): HeldJob {
    this.#db
      .prepare(`DELETE FROM approvals WHERE status NOT IN ('pending', 'approved') AND held_at < ?`)
      .run(job.heldAt - KEEP_SETTLED_MS);
    for (;;) {
      const id = `apr-${base32(randomBytes(5))}`;
      const result = this.#db
        .prepare(`INSERT OR IGNORE INTO approvals (${COLUMNS}) VALUES (${'?, '.repeat(20)}?)`)
        .run(
          id,
          job.nonce,
          job.requester.agent,
          job.requester.fingerprint,
          job.requester.address,
          job.run,
          job.job,
          job.step,
          job.command,
          JSON.stringify(job.args),
          job.cwd,
          JSON.stringify(job.env),
          job.rule,
          job.heldAt,
          job.expiresAt,
          'pending',
          null,
          null,
          null,
          job.holder.address,
          job.holder.pid,
        );
      // 40 random bits: a clash is rare, and then another id is drawn.
      if (result.changes === 1) return { ...job, id, status: 'pending' };
    }
  }

  /** The held job `id`, if the store has it. */
  get(id: string): HeldJob | undefined {
    const row = this.#db.prepare(`SELECT ${COLUMNS} FROM approvals WHERE id = ?`).get(id);
    return row === undefined ? undefined : fromRow(row);
  }

  /** Pending jobs, oldest first; with `all`, every job still on file. */
  list(options: { all?: boolean } = {}): HeldJob[] {
    const where = options.all === true ? '' : `WHERE status = 'pending'`;
    const rows = this.#db
      .prepare(`SELECT ${COLUMNS} FROM approvals ${where} ORDER BY held_at`)
      .all();
    return rows.map(fromRow);
  }

  /**
   * A person's decision on a pending job, recorded only while it is pending and unexpired at
   * `now`; a RefusedError when it is too late, a UsageError when there is no such job.
   */
  decide(
    id: string,
    verdict: 'approved' | 'denied',
    by: string,
    now: number,
    reason?: string,
  ): HeldJob {
    if (!APPROVAL_ID.test(id))
      throw new UsageError(
        `expected an approval id like apr-abcd2345 (\`mx-agent approvals list\`), got ${quote(id)}`,
      );
    const changed = this.#db
      .prepare(
        `UPDATE approvals SET status = ?, decided_at = ?, decided_by = ?, reason = ?
         WHERE id = ? AND status = 'pending' AND expires_at > ?`,
      )
      .run(verdict, now, by, reason ?? null, id, now);
    const job = this.get(id);
    if (job === undefined)
      throw new UsageError(
        `no held job ${id} on this agent: \`mx-agent approvals list --all\` shows them`,
      );
    if (changed.changes === 1) return job;
    if (job.status === 'pending')
      throw new RefusedError(
        `${id} expired at ${new Date(job.expiresAt).toISOString()}, before it was ${verdict}: the worker refuses it; the requester must ask again`,
      );
    throw new RefusedError(
      `${id} is already ${job.status}${job.decidedBy === undefined ? '' : ` by ${job.decidedBy}`}${job.reason === undefined ? '' : ` (${job.reason})`}: it cannot be ${verdict} now`,
    );
  }

  /** Move `id` from one of `from` to `to`; false when another process moved it first. */
  settle(
    id: string,
    from: readonly ApprovalStatus[],
    to: ApprovalStatus,
    reason: string,
    now: number,
  ): boolean {
    const marks = from.map(() => '?').join(', ');
    const result = this.#db
      .prepare(
        `UPDATE approvals SET status = ?, reason = COALESCE(reason, ?), decided_at = COALESCE(decided_at, ?)
         WHERE id = ? AND status IN (${marks})`,
      )
      .run(to, reason, now, id, ...from);
    return result.changes === 1;
  }

  /** Jobs still waiting (pending or approved) whose worker is `address` or no longer runs. */
  orphans(address: string): HeldJob[] {
    return this.#db
      .prepare(`SELECT ${COLUMNS} FROM approvals WHERE status IN ('pending', 'approved')`)
      .all()
      .map(fromRow)
      .filter((job) => job.holder.address === address || !processRuns(job.holder.pid));
  }

  /** Close the store. */
  close(): void {
    if (this.#db.isOpen) this.#db.close();
  }
}

/** Whether process `pid` exists (EPERM: it does, owned by someone else). */
export function processRuns(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function fromRow(row: Record<string, unknown>): HeldJob {
  const text = (name: string): string => String(row[name]);
  const optional = <T>(value: unknown, as: (v: unknown) => T): T | undefined =>
    value === null || value === undefined ? undefined : as(value);
  const decidedAt = optional(row.decided_at, Number);
  const decidedBy = optional(row.decided_by, String);
  const reason = optional(row.reason, String);
  return {
    id: text('id'),
    nonce: text('nonce'),
    requester: {
      agent: text('requester_agent'),
      fingerprint: text('requester_fingerprint'),
      address: text('requester_address'),
    },
    run: text('run'),
    job: text('job'),
    step: text('step'),
    command: text('command'),
    args: JSON.parse(text('args')) as string[],
    cwd: text('cwd'),
    env: JSON.parse(text('env')) as { name: string; length: number }[],
    rule: Number(row.rule),
    heldAt: Number(row.held_at),
    expiresAt: Number(row.expires_at),
    status: text('status') as ApprovalStatus,
    ...(decidedAt === undefined ? {} : { decidedAt }),
    ...(decidedBy === undefined ? {} : { decidedBy }),
    ...(reason === undefined ? {} : { reason }),
    holder: { address: text('holder_address'), pid: Number(row.holder_pid) },
  };
}

/** RFC 4648 base32, lower case, no padding. */
function base32(bytes: Uint8Array): string {
  const alphabet = 'abcdefghijklmnopqrstuvwxyz234567';
  let bits = 0;
  let value = 0;
  let out = '';
  for (const byte of bytes) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += alphabet.charAt((value >>> (bits - 5)) & 31);
      bits -= 5;
    }
  }
  return bits > 0 ? out + alphabet.charAt((value << (5 - bits)) & 31) : out;
}

function openStore(dataDir: string, path: string): DatabaseSync {
  return openPrivateDatabase(
    dataDir,
    path,
    `CREATE TABLE IF NOT EXISTS approvals (
        id TEXT PRIMARY KEY,
        nonce TEXT NOT NULL,
        requester_agent TEXT NOT NULL,
        requester_fingerprint TEXT NOT NULL,
        requester_address TEXT NOT NULL,
        run TEXT NOT NULL,
        job TEXT NOT NULL,
        step TEXT NOT NULL,
        command TEXT NOT NULL,
        args TEXT NOT NULL,
        cwd TEXT NOT NULL,
        env TEXT NOT NULL,
        rule INTEGER NOT NULL,
        held_at INTEGER NOT NULL,
        expires_at INTEGER NOT NULL,
        status TEXT NOT NULL,
        decided_at INTEGER,
        decided_by TEXT,
        reason TEXT,
        holder_address TEXT NOT NULL,
        holder_pid INTEGER NOT NULL
      );
      CREATE INDEX IF NOT EXISTS approvals_status ON approvals (status);`,
    'approvals store',
  );
}
