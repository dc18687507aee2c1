/**
 * Spend caps: tokens per day, per person and for the whole agent, checked before every model
 * call (OpenClaw users' most wanted safeguard: ../shared/reference §3.2). The day is the UTC
 * day. Counts live in one small file beside the memory directory's conversations, so a restart
 * does not hand out a fresh budget.
 */
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Usage } from './llm/types.ts';

/** The caps; 0 means no cap. */
export interface SpendCaps {
  readonly dailyTokens: number;
  readonly dailyTokensPerPerson: number;
}

/** A call refused because a cap is reached. `scope` says whose. */
export class SpendCapError extends Error {
  readonly scope: 'person' | 'agent';
  constructor(scope: 'person' | 'agent', message: string) {
    super(message);
    this.name = 'SpendCapError';
    this.scope = scope;
  }
}

/** The longest counts stay unwritten. */
const FLUSH_MS = 1000;

interface DayCounts {
  day: string;
  total: number;
  people: Record<string, number>;
}

/** Today's token counts, persisted after each recorded call. */
export class SpendLedger {
  readonly #file: string | undefined;
  readonly #caps: SpendCaps;
  readonly #now: () => number;
  #counts: DayCounts;
  #flushTimer: NodeJS.Timeout | undefined;

  constructor(file: string | undefined, caps: SpendCaps, now: () => number = Date.now) {
    this.#file = file;
    this.#caps = caps;
    this.#now = now;
    this.#counts = readCounts(file) ?? { day: '', total: 0, people: {} };
  }

  /** Throw SpendCapError when `person` or the agent has used up today's tokens. */
  check(person: string): void {
    const counts = this.#today();
    const { dailyTokens, dailyTokensPerPerson } = this.#caps;
    if (dailyTokens > 0 && counts.total >= dailyTokens)
      throw new SpendCapError(
        'agent',
        `This agent has used its daily budget of ${String(dailyTokens)} tokens; it answers again after midnight UTC.`,
      );
    const used = counts.people[person] ?? 0;
    if (dailyTokensPerPerson > 0 && used >= dailyTokensPerPerson)
      throw new SpendCapError(
        'person',
        `You have used your daily budget of ${String(dailyTokensPerPerson)} tokens; try again after midnight UTC.`,
      );
  }

  /** Count a call's tokens against `person` and the agent. */
  record(person: string, usage: Usage): void {
    const counts = this.#today();
    const tokens = usage.inputTokens + usage.outputTokens;
    counts.total += tokens;
    counts.people[person] = (counts.people[person] ?? 0) + tokens;
    // Written at most once a second (a rename per model call cost more than the agent's own
    // work under load); a crash loses at most that second's counts.
    this.#flushTimer ??= setTimeout(() => {
      this.flush();
    }, FLUSH_MS).unref();
  }

  /** Write the counts now (on shutdown, and a second after a change). */
  flush(): void {
    clearTimeout(this.#flushTimer);
    this.#flushTimer = undefined;
    writeCounts(this.#file, this.#counts);
  }

  /** Tokens used today by `person` and by everyone. */
  used(person: string): { readonly person: number; readonly total: number } {
    const counts = this.#today();
    return { person: counts.people[person] ?? 0, total: counts.total };
  }

  /** The reply to `/usage`. */
  usageText(person: string): string {
    const { person: mine, total } = this.used(person);
    const { dailyTokens, dailyTokensPerPerson } = this.#caps;
    const of = (cap: number): string => (cap > 0 ? ` of ${String(cap)}` : ' (no cap)');
    return [
      `Tokens used today (UTC): you ${String(mine)}${of(dailyTokensPerPerson)}; this agent ${String(total)}${of(dailyTokens)}.`,
    ].join('\n');
  }

  #today(): DayCounts {
    const day = new Date(this.#now()).toISOString().slice(0, 10);
    if (this.#counts.day !== day) this.#counts = { day, total: 0, people: {} };
    return this.#counts;
  }
}

function readCounts(file: string | undefined): DayCounts | undefined {
  if (file === undefined) return undefined;
  try {
    const v = JSON.parse(readFileSync(file, 'utf8')) as unknown;
    if (typeof v !== 'object' || v === null) return undefined;
    const o = v as Record<string, unknown>;
    if (typeof o.day !== 'string' || typeof o.total !== 'number') return undefined;
    if (typeof o.people !== 'object' || o.people === null) return undefined;
    const people: Record<string, number> = {};
    for (const [k, n] of Object.entries(o.people))
      if (typeof n === 'number' && Number.isFinite(n)) people[k] = n;
    return { day: o.day, total: o.total, people };
  } catch {
    return undefined;
  }
}

function writeCounts(file: string | undefined, counts: DayCounts): void {
  if (file === undefined) return;
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  const temp = `${file}.${String(process.pid)}.tmp`;
  writeFileSync(temp, `${JSON.stringify(counts)}\n`, { mode: 0o600 });
  renameSync(temp, file);
}
