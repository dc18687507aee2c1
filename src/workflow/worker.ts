/**
 * The worker: what a session host runs so that peers can send it jobs (design.md §6). A
 * `task.request` arriving in a direct conversation goes through the request gate — signature,
 * trust, replay, policy, every decision audited — and only then runs, sandboxed per policy,
 * with its output streamed back and a signed result. Nothing else runs anything.
 */
import { messageOf } from '../errors.ts';
import type { SignedEnvelope } from '../protocol/signed.ts';
import { parseEnvelope, verifySignature } from '../protocol/signed.ts';
import { admitRequest, type GateDeps } from '../security/request-gate.ts';
import { evaluatePolicy } from '../security/policy-evaluate.ts';
import { evaluateToolCall } from '../security/policy-tools.ts';
import type { Policy, PolicyDecision } from '../security/policy-types.ts';
import { detectSandbox, type SandboxSupport } from '../security/sandbox.ts';
import { publicKeyFromRaw } from '../security/signing-key.ts';
import type { EnvelopeSigner } from '../protocol/signed.ts';
import type { InboundMessage, Target, Transport } from '../transport/transport.ts';
import { bringArtifacts, movesArtifacts, takeArtifacts } from './artifacts.ts';
import { runJobProcess } from './job-process.ts';
import { WorkerReplies } from './worker-replies.ts';
import {
  KEEPALIVE_MS,
  REQUEST_LIFETIME_MS,
  TASK_KINDS,
  TASK_VERSION,
  acceptedToJson,
  parseTaskSpec,
  resultToJson,
  type TaskSpec,
} from './task-protocol.ts';
import { TaskOutputStreams } from './task-stream.ts';
import {
  APPROVAL_POLL_MS,
  APPROVAL_WINDOW_MS,
  HeldTasks,
  type ApprovalStoreSource,
  type HeldTask,
  type Recheck,
} from './worker-approvals.ts';

/** What a worker needs; the composition root passes the real ones, tests their own. */
export interface WorkerOptions {
  /** Our agent id and signing key: acceptances, rejections and results are signed with it. */
  readonly agent: string;
  readonly key: EnvelopeSigner;
  readonly trust: GateDeps<PolicyDecision>['trust'];
  readonly replay: GateDeps<PolicyDecision>['replay'];
  readonly audit: GateDeps<PolicyDecision>['audit'];
  /** The policy as loaded now; a policy that does not load denies everything (its error says why). */
  readonly policy: () => Policy | Error;
  /** How often a running task says it still runs (`task.alive`); KEEPALIVE_MS by default. */
  readonly keepaliveMs?: number;
  /** What sandbox this machine has; detected at the first job when absent. */
  readonly sandboxSupport?: SandboxSupport;
  readonly log: (level: 'debug' | 'info' | 'warn', message: string) => void;
  readonly now?: () => number;
  /** Where jobs wait for approval (`requires_approval`); without it they are refused. */
  readonly approvals?: ApprovalStoreSource;
  /** How long a held job waits for a decision; APPROVAL_WINDOW_MS by default. */
  readonly approvalWindowMs?: number;
  /** How often held jobs look for a decision; APPROVAL_POLL_MS by default. */
  readonly approvalPollMs?: number;
}

interface RunningTask {
  readonly agent: string;
  readonly rule: number;
  readonly controller: AbortController;
}

const SEND_TIMEOUT_MS = 30_000;
/** Early cancels remembered at most (each for a request's lifetime). */
const MAX_EARLY_CANCELS = 1000;
/** A nonce as envelopes spell it: base64url of 16 bytes, no padding (protocol/signed.ts). */
const NONCE = /^[A-Za-z0-9_-]{21}[AQgw]$/;

/** Serves task requests on one transport. */
export class Worker {
  readonly #options: WorkerOptions;
  readonly #running = new Map<string, RunningTask>();
  /** Cancels that arrived before their request was admitted: nonce → the requester's agent. */
  readonly #cancelledEarly = new Map<string, string>();
  readonly #done = new Set<Promise<void>>();
  #transport: Transport | undefined;
  #unsubscribe: (() => void) | undefined;
  readonly #held: HeldTasks | undefined;
  readonly #replies: WorkerReplies;

  constructor(options: WorkerOptions) {
    this.#options = options;
    this.#replies = new WorkerReplies(options);
    this.#held = options.approvals && this.#holdJobs(options.approvals);
  }

  /** Jobs running now. */
  get running(): number {
    return this.#running.size;
  }

  /** Listen for requests. */
  start(transport: Transport): void {
    this.#transport = transport;
    this.#replies.use(transport);
    this.#held?.start(transport.address);
    this.#unsubscribe = transport.subscribe((event) => {
      if (event.type !== 'payload' || event.payload.version !== TASK_VERSION) return;
      if (event.payload.kind === TASK_KINDS.request) this.#track(this.#onRequest(event));
      else if (event.payload.kind === TASK_KINDS.cancel) this.#onCancel(event);
    });
  }

  /** Stop listening, cancel what runs, and wait for its results to go out. */
  async stop(): Promise<void> {
    this.#unsubscribe?.();
    this.#held?.stop();
    for (const task of this.#running.values()) task.controller.abort();
    await Promise.allSettled([...this.#done]);
  }

  #track(work: Promise<void>): void {
    const done = work.catch((error: unknown) => {
      this.#options.log('warn', `a task failed unexpectedly: ${messageOf(error)}`);
    });
    this.#done.add(done);
    void done.finally(() => this.#done.delete(done));
  }

  async #onRequest(message: InboundMessage & { type: 'payload' }): Promise<void> {
    const transport = this.#transport;
    if (!transport) return;
    const replyTo: Target = { kind: 'direct', address: message.from };
    const raw = message.payload.body;
    // Junk whose nonce is not one cannot be answered: a signed answer's `re` must be a nonce.
    const nonce = typeof raw.nonce === 'string' && NONCE.test(raw.nonce) ? raw.nonce : undefined;
    if (message.target.kind !== 'direct') {
      this.#options.log(
        'warn',
        `ignored a task request in ${message.target.workspace}: send it directly`,
      );
      return;
    }
    let spec: TaskSpec | undefined;
    const admission = await admitRequest<PolicyDecision>(
      raw,
      {
        trust: this.#options.trust,
        replay: this.#options.replay,
        audit: this.#options.audit,
        ...(this.#options.now ? { now: this.#options.now } : {}),
        policy: (request) => {
          // A signature for something else (a cancel, a result) is not a request to run.
          if (request.envelope.kind !== TASK_KINDS.request)
            return {
              allowed: false,
              reasons: [`it is signed as ${request.envelope.kind}, not as ${TASK_KINDS.request}`],
            };
          const parsed = parseTaskSpec(request.envelope.body);
          if (typeof parsed === 'string')
            return { allowed: false, reasons: [`not a task request: ${parsed}`] };
          spec = parsed;
          return this.#decide(request.requester, parsed);
        },
      },
      { address: message.from },
    );
    if (!admission.admitted) {
      if (nonce !== undefined)
        await this.#replies.answer(replyTo, TASK_KINDS.rejected, nonce, {
          stage: admission.stage,
          reason: admission.reason,
        });
      return;
    }
    const decision = admission.decision;
    if (!spec || !decision.limits || !decision.resolved) return;
    const limits = decision.limits;
    if (limits.requiresApproval && this.#held) {
      const { agent, key: fingerprint, nonce } = admission.envelope;
      // Unless its cancel overtook it: then #run answers that, and runs nothing.
      if (this.#cancelledEarly.get(nonce) !== agent) {
        const requester = { agent, fingerprint, address: message.from };
        const task = { replyTo, request: admission.envelope, spec, requester };
        await this.#held.hold(task, decision, transport.address);
        return;
      }
    } else if (limits.requiresApproval) {
      await this.#replies.answer(replyTo, TASK_KINDS.rejected, admission.envelope.nonce, {
        stage: 'policy',
        reason:
          'the policy requires approval for this job, and this worker cannot ask for it yet: it is refused rather than run unapproved',
      });
      return;
    }
    await this.#run(replyTo, admission.envelope, spec, decision);
  }

  #decide(
    requester: { agent: string; fingerprint: string; address: string },
    spec: TaskSpec,
  ): PolicyDecision {
    const policy = this.#options.policy();
    if (policy instanceof Error)
      return { allowed: false, reasons: [`this worker's policy does not load: ${policy.message}`] };
    const runningByRule: number[] = [];
    for (const task of this.#running.values())
      runningByRule[task.rule] = (runningByRule[task.rule] ?? 0) + 1;
    const jobs = {
      running: this.#running.size,
      runningByRule: policy.rules.map((_, i) => runningByRule[i] ?? 0),
    };
    // A tool is looked up in the policy as it is now, its inputs checked and filled in there.
    const artifacts = movesArtifacts(spec) ? { artifacts: true } : {};
    if ('tool' in spec)
      return evaluateToolCall(
        policy,
        { requester, tool: spec.tool, with: spec.with, env: spec.env, ...artifacts },
        jobs,
      );
    return evaluatePolicy(
      policy,
      {
        requester,
        command: spec.command,
        args: spec.args,
        cwd: spec.cwd,
        env: spec.env,
        ...artifacts,
      },
      jobs,
    );
  }

  async #run(
    replyTo: Target,
    request: SignedEnvelope,
    spec: TaskSpec,
    decision: PolicyDecision,
  ): Promise<void> {
    const transport = this.#transport;
    const limits = decision.limits;
    const resolved = decision.resolved;
    if (!transport || !limits || !resolved) return;
    const controller = new AbortController();
    this.#running.set(request.nonce, {
      agent: request.agent,
      rule: decision.rule ?? 0,
      controller,
    });
    // Its cancel overtook it (both are sent at once when a run stops right after asking).
    if (this.#cancelledEarly.get(request.nonce) === request.agent) {
      this.#cancelledEarly.delete(request.nonce);
      this.#running.delete(request.nonce);
      await this.#replies.answer(replyTo, TASK_KINDS.rejected, request.nonce, {
        stage: 'cancelled',
        reason: 'cancelled by its requester before it started',
      });
      return;
    }
    const timeoutMs = Math.min(limits.timeoutMs, spec.timeoutMs ?? limits.timeoutMs);
    const output = new TaskOutputStreams(transport, replyTo, request.nonce, this.#options.log);
    const keepaliveMs = this.#options.keepaliveMs ?? KEEPALIVE_MS;
    // So the requester can tell a long quiet job from a dead worker.
    const alive = setInterval(() => {
      this.#replies.alive(replyTo, request.nonce);
    }, keepaliveMs);
    let acceptance: Promise<void> = Promise.resolve();
    try {
      const sandbox = limits.requireSandbox ? 'required' : 'preferred';
      // Asked for on the first job, not at start: most hosts never run one.
      const support = this.#options.sandboxSupport ?? detectSandbox();
      const willSandbox = support.kind === 'bubblewrap';
      // Sent while the process starts rather than before: on a busy conversation the send
      // queues behind earlier answers, and the job need not queue with it. The result and a
      // late rejection still go after it (#answer never throws).
      acceptance = this.#replies.answer(
        replyTo,
        TASK_KINDS.accepted,
        request.nonce,
        acceptedToJson({
          sandboxed: willSandbox,
          timeoutMs,
          maxOutputBytes: limits.maxOutputBytes,
          keepaliveMs,
        }),
      );
      // Files of the jobs this one needs, checked, into its working directory first.
      await bringArtifacts(transport, spec, resolved.cwd, SEND_TIMEOUT_MS);
      const result = await runJobProcess({
        command: resolved.command,
        args: resolved.args,
        cwd: resolved.cwd,
        env: resolved.env,
        timeoutMs,
        maxOutputBytes: limits.maxOutputBytes,
        sandbox,
        network: limits.network,
        signal: controller.signal,
        onOutput: (stream, chunk) => {
          output.push(stream, chunk);
        },
        sandboxSupport: support,
      });
      await output.end(result.exitCode, result.signal, SEND_TIMEOUT_MS);
      const taken = await takeArtifacts(transport, spec, resolved.cwd, result, SEND_TIMEOUT_MS);
      const body = resultToJson({ ...result, outputs: output.outputs(), ...taken });
      this.#options.audit.append({
        event: 'task finished',
        decision: 'info',
        requester: { agent: request.agent },
        kind: TASK_KINDS.result,
        summary: `${spec.run}/${spec.job}/${spec.step}${'tool' in spec ? ` (tool ${spec.tool})` : ''}: exit ${String(result.exitCode)}${result.timedOut ? ', timed out' : ''}${result.cancelled ? ', cancelled' : ''}`,
      });
      await acceptance;
      await this.#replies.answer(replyTo, TASK_KINDS.result, request.nonce, body);
    } catch (error) {
      await output.end(null, null, SEND_TIMEOUT_MS);
      await acceptance;
      this.#options.audit.append({
        event: 'task failed to start',
        decision: 'failed',
        requester: { agent: request.agent },
        reason: messageOf(error),
      });
      await this.#replies.answer(replyTo, TASK_KINDS.rejected, request.nonce, {
        stage: 'failed',
        reason: messageOf(error),
      });
    } finally {
      clearInterval(alive);
      this.#running.delete(request.nonce);
    }
  }

  /** A cancel counts only when signed by a trusted key of the agent that asked. */
  #onCancel(message: InboundMessage & { type: 'payload' }): void {
    const envelope = parseEnvelope(message.payload.body);
    if (typeof envelope === 'string') return;
    const target = envelope.body.re;
    if (typeof target !== 'string') return;
    const task = this.#running.get(target);
    const trusted = this.#options.trust.lookup(envelope.agent, envelope.key);
    if (!trusted || (task && task.agent !== envelope.agent)) return;
    if (!verifySignature(envelope, publicKeyFromRaw(trusted.key))) return;
    if (!task && this.#held?.cancel(target, envelope.agent)) return;
    if (!task) {
      // Its request may still be on the way or in the gate: remember the cancel for a while.
      if (this.#cancelledEarly.size >= MAX_EARLY_CANCELS) this.#cancelledEarly.clear();
      this.#cancelledEarly.set(target, envelope.agent);
      setTimeout(() => this.#cancelledEarly.delete(target), REQUEST_LIFETIME_MS).unref();
      return;
    }
    this.#options.audit.append({
      event: 'task cancelled',
      decision: 'info',
      requester: { agent: envelope.agent, fingerprint: envelope.key },
      kind: TASK_KINDS.cancel,
    });
    task.controller.abort();
  }

  /** Held jobs, wired to this worker's gate, runner and answers (worker-approvals.ts). */
  #holdJobs(store: ApprovalStoreSource): HeldTasks {
    const options = this.#options;
    return new HeldTasks({
      store,
      audit: options.audit,
      log: options.log,
      now: options.now ?? Date.now,
      windowMs: options.approvalWindowMs ?? APPROVAL_WINDOW_MS,
      pollMs: options.approvalPollMs ?? APPROVAL_POLL_MS,
      keepaliveMs: options.keepaliveMs ?? KEEPALIVE_MS,
      answer: (to, kind, nonce, body) => this.#replies.answer(to, kind, nonce, body),
      alive: (to, nonce) => {
        this.#replies.alive(to, nonce);
      },
      recheck: (task) => this.#recheck(task),
      run: (task, decision) => this.#run(task.replyTo, task.request, task.spec, decision),
      track: (work) => {
        this.#track(work);
      },
    });
  }

  /** At release: is the requester's key still trusted, and does the policy as it is now admit it? */
  #recheck(task: HeldTask): Recheck {
    const { agent, fingerprint } = task.requester;
    if (!this.#options.trust.lookup(agent, fingerprint))
      return { ok: false, reason: `${agent}'s key ${fingerprint} is no longer trusted here` };
    const decision = this.#decide(task.requester, task.spec);
    if (!decision.allowed || !decision.limits || !decision.resolved)
      return {
        ok: false,
        reason: `the policy no longer admits it: ${decision.reasons.join('; ') || 'no rule allows it'}`,
      };
    return { ok: true, decision };
  }
}
