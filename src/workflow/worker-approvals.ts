/**
 * Jobs a worker holds for approval (design.md §6; specs/protocol.md §9): the policy rule that
 * admitted the request says `requires_approval`, so the job waits in the approvals store until
 * the worker's owner decides (`mx-agent approvals approve|deny`). The worker polls the store
 * while it holds anything. An approval is not a blank cheque: at release everything that may
 * have changed is checked again (trust, the policy as it is now, the concurrency caps) before
 * the job runs like any admitted one. No decision before the expiry, a worker that stops or
 * restarts, a requester that cancels: the job is refused, never run later (fail closed).
 */
import { messageOf } from '../errors.ts';
import type { SignedEnvelope } from '../protocol/signed.ts';
import type { ApprovalStatus, ApprovalStore, HeldJob } from '../security/approvals.ts';
import type { AuditFields } from '../security/audit-log.ts';
import type { PolicyDecision, Requester } from '../security/policy-types.ts';
import type { JsonObject, Target } from '../transport/transport.ts';
import { heldToJson } from './task-held.ts';
import { TASK_KINDS, type TaskSpec } from './task-protocol.ts';

/** How long a held job waits for a decision unless configured otherwise: 10 minutes. */
export const APPROVAL_WINDOW_MS = 10 * 60_000;
/** How often the worker looks for decisions while it holds a job. */
export const APPROVAL_POLL_MS = 500;

/** The part of the approvals store a worker uses. */
export type ApprovalStoreLike = Pick<ApprovalStore, 'hold' | 'get' | 'settle' | 'orphans'>;

/** Where held jobs wait; opened by the first one (most hosts never hold a job). */
export interface ApprovalStoreSource {
  open(): ApprovalStoreLike;
  /** Whether a store is on file already: jobs held before a restart may be in it. */
  exists(): boolean;
}

/** A job held in this process: what the store cannot keep (env values) and where to answer. */
export interface HeldTask {
  readonly id: string;
  readonly replyTo: Target;
  readonly request: SignedEnvelope;
  readonly spec: TaskSpec;
  readonly requester: Requester;
  readonly expiresAt: number;
}

/** A re-check's verdict at release. */
export type Recheck =
  | { readonly ok: true; readonly decision: PolicyDecision }
  | { readonly ok: false; readonly reason: string };

/** What the held jobs need from their worker. */
export interface HeldTasksDeps {
  readonly store: ApprovalStoreSource;
  readonly audit: { append(fields: AuditFields): unknown };
  readonly log: (level: 'debug' | 'info' | 'warn', message: string) => void;
  readonly now: () => number;
  readonly windowMs: number;
  readonly pollMs: number;
  readonly keepaliveMs: number;
  /** Sign and send an answer; never throws. */
  readonly answer: (to: Target, kind: string, nonce: string, body: JsonObject) => Promise<void>;
  /** Say the task is still waiting (`task.alive`). */
  readonly alive: (to: Target, nonce: string) => void;
  /** Trust, the policy as it is now and the concurrency caps, for the job about to run. */
  readonly recheck: (task: HeldTask) => Recheck;
  /** Run a released job exactly like an admitted one. */
  readonly run: (task: HeldTask, decision: PolicyDecision) => Promise<void>;
  /** Follow work the worker must wait for when it stops. */
  readonly track: (work: Promise<void>) => void;
}

/** The jobs one worker holds for approval. */
export class HeldTasks {
  readonly #deps: HeldTasksDeps;
  readonly #held = new Map<string, HeldTask>();
  #timer: NodeJS.Timeout | undefined;
  #lastAlive = 0;

  constructor(deps: HeldTasksDeps) {
    this.#deps = deps;
  }

  /** Jobs held now. */
  get size(): number {
    return this.#held.size;
  }

  /** Refuse what an earlier worker of ours (`address`) or a dead one held: nobody runs it now. */
  start(address: string): void {
    if (!this.#deps.store.exists()) return;
    const reason =
      'the worker restarted while the job waited for approval: a held job never runs after a restart; ask again';
    try {
      const store = this.#deps.store.open();
      const now = this.#deps.now();
      for (const job of store.orphans(bare(address))) {
        if (!store.settle(job.id, ['pending', 'approved'], 'expired', reason, now)) continue;
        this.#record('approval expired', 'denied', job.id, job.requester, reason);
        const to: Target = { kind: 'direct', address: job.requester.address };
        this.#deps.track(this.#deps.answer(to, TASK_KINDS.rejected, job.nonce, refusal(reason)));
      }
    } catch (error) {
      this.#deps.log('warn', `held jobs of an earlier run not checked: ${messageOf(error)}`);
    }
  }

  /** Hold an admitted request whose rule requires approval, and tell its requester. */
  async hold(
    task: Omit<HeldTask, 'id' | 'expiresAt'>,
    decision: PolicyDecision,
    holder: string,
  ): Promise<void> {
    const { request, requester, spec, replyTo } = task;
    const now = this.#deps.now();
    const expiresAt = now + this.#deps.windowMs;
    let job: HeldJob;
    try {
      job = this.#deps.store.open().hold({
        nonce: request.nonce,
        requester,
        run: spec.run,
        job: spec.job,
        step: spec.step,
        ...shown(spec, decision),
        env: Object.entries(spec.env).map(([name, value]) => ({ name, length: value.length })),
        rule: decision.rule ?? 0,
        heldAt: now,
        expiresAt,
        holder: { address: bare(holder), pid: process.pid },
      });
    } catch (error) {
      const reason = `the policy requires approval, and this worker cannot hold the job: ${messageOf(error)}`;
      this.#record('approval refused', 'denied', undefined, requester, reason);
      await this.#deps.answer(replyTo, TASK_KINDS.rejected, request.nonce, refusal(reason));
      return;
    }
    try {
      this.#record(
        'approval held',
        'info',
        job.id,
        requester,
        `allow[${String(job.rule)}] requires approval`,
        {
          nonce: request.nonce,
          // Not the arguments: like the rest of the log, no values a requester may have sent.
          summary: `${spec.run}/${spec.job}/${spec.step}: ${job.command}`,
          expires: new Date(expiresAt).toISOString(),
        },
      );
    } catch (error) {
      // Nothing waits for approval without a record of it.
      this.#deps.store.open().settle(job.id, ['pending'], 'refused', messageOf(error), now);
      throw error;
    }
    this.#held.set(job.id, { ...task, id: job.id, expiresAt });
    await this.#deps.answer(
      replyTo,
      TASK_KINDS.held,
      request.nonce,
      heldToJson({ approval: job.id, expires: expiresAt, keepaliveMs: this.#deps.keepaliveMs }),
    );
    this.#timer ??= setInterval(() => {
      this.#poll();
    }, this.#deps.pollMs);
  }

  /** A trusted cancel of a held request by its requester: true when it was held here. */
  cancel(nonce: string, agent: string): boolean {
    const task = [...this.#held.values()].find(
      (t) => t.request.nonce === nonce && t.requester.agent === agent,
    );
    if (!task) return false;
    const reason = 'cancelled by its requester while it waited for approval';
    this.#settle(task, ['pending', 'approved'], 'cancelled', reason, 'cancelled');
    return true;
  }

  /** Refuse everything still held: the worker stops (it waits for the answers it tracks). */
  stop(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
    const reason = 'the worker stopped while the job waited for approval; ask again';
    for (const task of [...this.#held.values()])
      this.#settle(task, ['pending', 'approved'], 'expired', reason);
  }

  #poll(): void {
    const now = this.#deps.now();
    const keepalive = now - this.#lastAlive >= this.#deps.keepaliveMs;
    if (keepalive) this.#lastAlive = now;
    for (const task of [...this.#held.values()]) {
      try {
        this.#check(task, now);
      } catch (error) {
        const reason = `cannot follow its approval: ${messageOf(error)}`;
        try {
          this.#settle(task, ['pending', 'approved'], 'refused', reason);
        } catch (again) {
          this.#held.delete(task.id);
          this.#deps.log('warn', `approval ${task.id} dropped: ${reason}; ${messageOf(again)}`);
        }
      }
      if (keepalive && this.#held.has(task.id)) this.#deps.alive(task.replyTo, task.request.nonce);
    }
    if (this.#held.size === 0) {
      clearInterval(this.#timer);
      this.#timer = undefined;
    }
  }

  #check(task: HeldTask, now: number): void {
    const job = this.#deps.store.open().get(task.id);
    if (job === undefined) {
      this.#settle(task, [], 'refused', `approval ${task.id} is no longer on file`);
      return;
    }
    switch (job.status) {
      case 'pending': {
        if (now < job.expiresAt) return;
        const reason = `no one approved it before ${new Date(job.expiresAt).toISOString()} (approval ${task.id}): refused rather than run unapproved`;
        // Lost to a decision made at the same moment: the next look follows that decision.
        if (this.#deps.store.open().settle(task.id, ['pending'], 'expired', reason, now))
          this.#refuse(task, 'approval expired', reason);
        return;
      }
      case 'approved':
        this.#held.delete(task.id);
        this.#deps.track(this.#release(task, job));
        return;
      case 'denied':
        this.#held.delete(task.id);
        this.#answer(
          task,
          `denied by ${job.decidedBy ?? 'the owner'}${job.reason === undefined ? '' : `: ${job.reason}`}`,
        );
        return;
      case 'expired':
      case 'cancelled':
      case 'released':
      case 'refused':
        // Settled by another process (a CLI that found the worker gone): refuse it all the same.
        this.#held.delete(task.id);
        this.#answer(task, job.reason ?? `approval ${task.id} is ${job.status}`);
    }
  }

  async #release(task: HeldTask, job: HeldJob): Promise<void> {
    const by = job.decidedBy ?? 'the owner';
    const late =
      job.decidedAt === undefined || job.decidedAt > job.expiresAt
        ? `the approval came after its expiry (${new Date(job.expiresAt).toISOString()})`
        : undefined;
    const verdict: Recheck =
      late === undefined ? this.#deps.recheck(task) : { ok: false, reason: late };
    const now = this.#deps.now();
    const store = this.#deps.store.open();
    if (!verdict.ok) {
      const reason = `approved by ${by}, but refused at release: ${verdict.reason}`;
      store.settle(task.id, ['approved'], 'refused', reason, now);
      this.#record('approval refused', 'denied', task.id, task.requester, reason);
      await this.#deps.answer(
        task.replyTo,
        TASK_KINDS.rejected,
        task.request.nonce,
        refusal(reason),
      );
      return;
    }
    if (!store.settle(task.id, ['approved'], 'released', `released after a re-check`, now)) return;
    this.#record(
      'approval released',
      'allowed',
      task.id,
      task.requester,
      `approved by ${by}; re-checked at release: trust, policy allow[${String(verdict.decision.rule ?? 0)}], concurrency`,
    );
    await this.#deps.run(task, verdict.decision);
  }

  /**
   * End a held job that will not run (cancelled, the worker stops, its record is unreadable):
   * mark it `to` in the store when it is still in `from` — a decision made at this very moment
   * does not matter any more, the job is refused all the same — audit and answer.
   */
  #settle(
    task: HeldTask,
    from: readonly ApprovalStatus[],
    to: ApprovalStatus,
    reason: string,
    stage = 'approval',
  ): void {
    try {
      if (from.length > 0)
        this.#deps.store.open().settle(task.id, from, to, reason, this.#deps.now());
    } catch (error) {
      this.#deps.log('warn', `approval ${task.id} not updated: ${messageOf(error)}`);
    }
    this.#refuse(task, to === 'cancelled' ? 'approval cancelled' : `approval ${to}`, reason, stage);
  }

  /** Forget a held job, audit why it will not run, and tell its requester. */
  #refuse(task: HeldTask, event: string, reason: string, stage = 'approval'): void {
    this.#held.delete(task.id);
    const decision = event === 'approval cancelled' ? 'info' : 'denied';
    this.#record(event, decision, task.id, task.requester, reason);
    this.#answer(task, reason, stage);
  }

  #answer(task: HeldTask, reason: string, stage = 'approval'): void {
    this.#deps.track(
      this.#deps.answer(task.replyTo, TASK_KINDS.rejected, task.request.nonce, { stage, reason }),
    );
  }

  #record(
    event: string,
    decision: 'allowed' | 'denied' | 'info',
    approval: string | undefined,
    requester: Requester,
    reason: string,
    extra: Record<string, unknown> = {},
  ): void {
    this.#deps.audit.append({
      event,
      decision,
      stage: 'approval',
      reason,
      requester,
      ...(approval === undefined ? {} : { approval }),
      ...extra,
    });
  }
}

/** What the person deciding reads about the job: the command line, or the tool and its inputs. */
function shown(
  spec: TaskSpec,
  decision: PolicyDecision,
): { command: string; args: readonly string[]; cwd: string } {
  if (!('tool' in spec)) return { command: spec.command, args: spec.args, cwd: spec.cwd };
  return {
    command: `tool ${spec.tool}`,
    args: Object.entries(spec.with).map(([name, value]) => `${name}=${JSON.stringify(value)}`),
    cwd: decision.resolved?.cwd ?? '',
  };
}

function refusal(reason: string): JsonObject {
  return { stage: 'approval', reason };
}

/** An address without its XMPP resource: the same agent after a reconnect. */
function bare(address: string): string {
  return address.split('/')[0] ?? address;
}
