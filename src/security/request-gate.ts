/**
 * The gate every request to act passes before anything runs (design.md §6, specs/protocol.md
 * "Verifying a request"), in this order: parse → trusted key → signature → validity window and
 * nonce → record the nonce → policy. The signature is checked only with a key from the local
 * trust store, never with one the request brings, so an untrusted key cannot pass; the nonce
 * is recorded only after the signature verified, so a forgery cannot burn a genuine nonce.
 * Every outcome, admitted or not, is written to the audit log first: nothing is admitted
 * without a record (an audit failure throws).
 */
import type { KeyObject } from 'node:crypto';
import { messageOf } from '../errors.ts';
import {
  parseEnvelope,
  signEnvelope,
  verifySignature,
  type EnvelopeSigner,
  type SignedEnvelope,
} from '../protocol/signed.ts';
import type { JsonObject } from '../transport/transport.ts';
import type { AuditFields } from './audit-log.ts';
import type { ReplayVerdict } from './replay-guard.ts';
import { fingerprintOf, publicKeyFromRaw } from './signing-key.ts';
import type { TrustEntry } from './trust-store.ts';

/** Where a request stopped. */
export type GateStage = 'malformed' | 'signature' | 'trust' | 'replay' | 'expired' | 'policy';

/** Where a request came from, as the transport saw it. */
export interface RequestOrigin {
  /** The sender's transport address. */
  readonly address?: string;
  /** The workspace it arrived through; absent for a direct message. */
  readonly workspace?: string;
}

/** What the policy judges: a verified, fresh request from a trusted key. */
export interface AdmissionRequest {
  readonly envelope: SignedEnvelope;
  readonly requester: {
    readonly agent: string;
    readonly fingerprint: string;
    readonly address: string;
  };
  readonly workspace?: string;
  readonly trusted: TrustEntry;
}

/** The part of a policy decision the gate reads (security/policy-types.ts PolicyDecision fits). */
export interface PolicyVerdictLike {
  readonly allowed: boolean;
  readonly reasons?: readonly string[];
  readonly reason?: string;
}

/** What the gate needs; each is an interface, so tests and the worker pass their own. */
export interface GateDeps<D extends PolicyVerdictLike> {
  readonly trust: {
    lookup(agent: string, fingerprint: string): TrustEntry | undefined;
    list(): readonly TrustEntry[];
  };
  readonly replay: {
    check(envelope: SignedEnvelope, now: number): ReplayVerdict;
    record(envelope: SignedEnvelope, now: number): boolean;
  };
  readonly policy: (request: AdmissionRequest) => D | Promise<D>;
  readonly audit: { append(fields: AuditFields): unknown };
  readonly now?: () => number;
}

/** The gate's answer. */
export type Admission<D> =
  | {
      readonly admitted: true;
      readonly envelope: SignedEnvelope;
      readonly decision: D;
      readonly trusted: TrustEntry;
    }
  | { readonly admitted: false; readonly stage: GateStage; readonly reason: string };

/** Judge one request that arrived as `raw` (parsed JSON) from `origin`. */
export async function admitRequest<D extends PolicyVerdictLike>(
  raw: unknown,
  deps: GateDeps<D>,
  origin: RequestOrigin = {},
): Promise<Admission<D>> {
  const now = (deps.now ?? Date.now)();
  const address = origin.address ?? '';
  const envelope = parseEnvelope(raw);
  const claimed = typeof envelope === 'string' ? claimsOf(raw) : envelope;
  const record = async (fields: Pick<AuditFields, 'decision' | 'stage' | 'reason'>) => {
    await deps.audit.append({
      event: 'request',
      ...fields,
      requester: { agent: claimed.agent, fingerprint: claimed.key, address: origin.address },
      workspace: origin.workspace,
      kind: claimed.kind,
      nonce: claimed.nonce,
    });
  };
  const refuse = async (stage: GateStage, reason: string): Promise<Admission<D>> => {
    await record({ decision: 'denied', stage, reason });
    return { admitted: false, stage, reason };
  };

  if (typeof envelope === 'string')
    return refuse(
      'malformed',
      `malformed request${address ? ` from ${address}` : ''}: ${envelope}`,
    );
  const { agent, key } = envelope;
  const trusted = deps.trust.lookup(agent, key);
  if (trusted === undefined) return refuse('trust', untrusted(envelope, deps.trust.list()));
  if (!verifySignature(envelope, publicKeyFromRaw(trusted.key)))
    return refuse(
      'signature',
      `request from ${agent} is not validly signed by its trusted key ${key}: it was altered on the way or forged`,
    );
  const window = deps.replay.check(envelope, now);
  if (!window.ok) return refuse(window.stage, window.reason);
  if (!deps.replay.record(envelope, now))
    return refuse('replay', `request from ${agent} reuses nonce ${envelope.nonce}: a replay`);

  let decision: D;
  try {
    decision = await deps.policy({
      envelope,
      requester: { agent, fingerprint: key, address },
      ...(origin.workspace === undefined ? {} : { workspace: origin.workspace }),
      trusted,
    });
  } catch (error) {
    return refuse(
      'policy',
      `the policy could not judge the request from ${agent}: ${messageOf(error)}`,
    );
  }
  const why = decision.reasons?.join('; ') ?? decision.reason;
  if (!decision.allowed)
    return refuse(
      'policy',
      `the policy denies the request from ${agent}: ${why ?? 'no rule allows it'}`,
    );
  await record({ decision: 'allowed', stage: 'admitted', reason: why ?? 'allowed by the policy' });
  return { admitted: true, envelope, decision, trusted };
}

/** Why a request signed by a key we do not hold for its agent is refused, and what to do. */
function untrusted(envelope: SignedEnvelope, entries: readonly TrustEntry[]): string {
  const { agent, key } = envelope;
  const known = entries.filter((e) => e.agent === agent).map((e) => e.fingerprint);
  if (known.length > 0)
    return (
      `request from ${agent} is signed by ${key}, but this agent trusts ${agent} only with ${known.join(', ')}. ` +
      `If ${agent}'s key really changed (reinstalled, key file lost), check the new fingerprint with its owner and run ` +
      `\`mx-agent trust add ${agent} ${key} --replace\`; otherwise someone else is using its name`
    );
  return (
    `request from ${agent} signed by ${key}, which this agent does not trust: ` +
    `\`mx-agent trust add ${agent} ${key}\` once you have checked that fingerprint with its owner`
  );
}

/** What a malformed request claims, for the audit record: short plain tokens only. */
function claimsOf(raw: unknown): Partial<Record<'agent' | 'key' | 'kind' | 'nonce', string>> {
  const fields: Record<string, unknown> = typeof raw === 'object' && raw !== null ? { ...raw } : {};
  const pick = (name: string): string | undefined => {
    const value = fields[name];
    return typeof value === 'string' && /^[\w.:-]{1,128}$/.test(value) ? value : undefined;
  };
  return { agent: pick('agent'), key: pick('key'), kind: pick('kind'), nonce: pick('nonce') };
}

/** How long a result stays valid by default: 10 minutes. */
export const DEFAULT_RESULT_LIFETIME_MS = 10 * 60_000;

/** What an executor says back about one request. */
export interface ResultContent {
  /** The executor's agent id. */
  readonly agent: string;
  /** The nonce of the request this answers, written as the envelope's `re`. */
  readonly requestNonce: string;
  readonly body: JsonObject;
  /** Defaults to `task.result`. */
  readonly kind?: string;
  readonly lifetimeMs?: number;
  readonly now?: number;
}

/** Sign a result with the executor's key, bound to the request by its nonce (`re`). */
export function signResult(key: EnvelopeSigner, content: ResultContent): SignedEnvelope {
  return signEnvelope(key, {
    kind: content.kind ?? 'task.result',
    agent: content.agent,
    body: content.body,
    lifetimeMs: content.lifetimeMs ?? DEFAULT_RESULT_LIFETIME_MS,
    ...(content.now === undefined ? {} : { now: content.now }),
    fields: { re: content.requestNonce },
  });
}

/** Who a result must come from: the executor that was asked, for the request that was sent. */
export interface ExpectedResult {
  readonly agent: string;
  /** The executor's public key (a KeyObject or `ed25519:…`). */
  readonly publicKey: KeyObject | string;
  readonly requestNonce: string;
}

/** Accept a result only when signed by the expected executor for the expected request. */
export function verifyResult(
  raw: unknown,
  expected: ExpectedResult,
):
  | { readonly ok: true; readonly envelope: SignedEnvelope }
  | { readonly ok: false; readonly reason: string } {
  const envelope = parseEnvelope(raw);
  if (typeof envelope === 'string') return { ok: false, reason: `malformed result: ${envelope}` };
  const publicKey =
    typeof expected.publicKey === 'string'
      ? publicKeyFromRaw(expected.publicKey)
      : expected.publicKey;
  const fingerprint = fingerprintOf(publicKey);
  if (envelope.agent !== expected.agent)
    return {
      ok: false,
      reason: `result from ${envelope.agent}, but the request went to ${expected.agent}`,
    };
  if (envelope.key !== fingerprint)
    return {
      ok: false,
      reason: `result signed by ${envelope.key}, not by the executor's key ${fingerprint}`,
    };
  if (envelope.re !== expected.requestNonce)
    return {
      ok: false,
      reason: `result answers request ${JSON.stringify(envelope.re ?? null)}, not ${expected.requestNonce}`,
    };
  if (!verifySignature(envelope, publicKey))
    return {
      ok: false,
      reason: `result from ${envelope.agent} is not validly signed: altered on the way or forged`,
    };
  return { ok: true, envelope };
}
