/**
 * Requests a worker must refuse, crafted with the real signing code (design.md §6): unsigned,
 * forged, signed by a key other than the one trusted for the agent, by an unknown agent,
 * expired, denied by the policy, escaping the allowed directory, naming a look-alike program,
 * setting the loader's environment. Each one's command would create its own sentinel file, so
 * a test can tell that none of them ran.
 */
import { mkdirSync, realpathSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { signEnvelope, type SignedEnvelope } from '../../src/protocol/signed.ts';
import { generateSigningKey, type SigningKey } from '../../src/security/signing-key.ts';
import { verifyResult, type ExpectedResult } from '../../src/security/request-gate.ts';
import type { JsonObject, Transport } from '../../src/transport/transport.ts';
import {
  REQUEST_LIFETIME_MS,
  TASK_KINDS,
  TASK_VERSION,
  parseRejected,
  parseResult,
  taskSpecToJson,
} from '../../src/workflow/task-protocol.ts';

/** One request to refuse, and how. */
export interface Attack {
  readonly name: string;
  /** The payload body as it goes on the wire. */
  readonly raw: JsonObject;
  /** Its nonce: the worker answers to it. */
  readonly nonce: string;
  /** The gate stage and reason the refusal must carry. */
  readonly stage: string;
  readonly reason: RegExp;
}

/** Unsigned junk without a nonce to answer to: refused and audited, never answered. */
export interface Junk {
  readonly name: string;
  readonly raw: JsonObject;
  /** What the audit log records as its claimed nonce, if anything. */
  readonly nonce?: string;
  readonly reason: RegExp;
}

/** The whole matrix. */
export interface AttackMatrix {
  readonly attacks: readonly Attack[];
  readonly junk: readonly Junk[];
  /** A genuine request that runs once; sent again it must be refused as a replay. */
  readonly replay: { readonly raw: JsonObject; readonly nonce: string; readonly ranFile: string };
  /** Where the sentinels would appear: it must stay empty. */
  readonly sentinels: string;
}

/** Where the attacks point and who they pretend to be. */
export interface AttackSetup {
  /** The requester the worker trusts, and its key. */
  readonly agent: string;
  readonly key: SigningKey;
  /** The directory the policy allows (absolute, real). */
  readonly dir: string;
  /** A fresh directory for sentinels, fake programs and symlink targets. */
  readonly scratch: string;
}

const STRANGER = 'agt-strangerstranger';

/** `text` as a RegExp matching it literally. */
export function literal(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}

/** Every attack of the matrix, with the files they need created under `setup.scratch`. */
export function craftAttacks(setup: AttackSetup): AttackMatrix {
  const { agent, key, dir, scratch } = setup;
  const sentinels = join(scratch, 'sentinels');
  const outside = join(scratch, 'outside');
  const fakeBin = join(scratch, 'bin');
  for (const d of [sentinels, outside, fakeBin]) mkdirSync(d, { recursive: true });
  symlinkSync(outside, join(dir, 'escape'));
  const fakeNpm = join(fakeBin, 'npm');
  writeFileSync(fakeNpm, `#!/bin/sh\ntouch ${join(sentinels, 'fake-npm')}\n`, { mode: 0o755 });
  const parent = realpathSync(dirname(dir));
  const realOutside = realpathSync(outside);
  const fp = literal(key.fingerprint);
  const sentinel = (name: string): string => join(sentinels, name);
  const touch = (name: string, fields: Partial<Spec> = {}): JsonObject =>
    spec({ command: '/bin/sh', args: ['-c', `touch ${sentinel(name)}`], cwd: dir, ...fields });
  const sign = (
    body: JsonObject,
    signer: SigningKey = key,
    as = agent,
    now = Date.now(),
  ): SignedEnvelope =>
    signEnvelope(signer, {
      kind: TASK_KINDS.request,
      agent: as,
      body,
      lifetimeMs: REQUEST_LIFETIME_MS,
      now,
    });
  const attack = (
    name: string,
    envelope: JsonObject & { nonce: string },
    stage: string,
    reason: RegExp,
  ): Attack => ({
    name,
    raw: envelope,
    nonce: envelope.nonce,
    stage,
    reason,
  });
  const wrongKey = generateSigningKey();
  const strangerKey = generateSigningKey();
  const { sig: _sig, ...unsigned } = sign(touch('unsigned'));
  const denied = (what: string): RegExp =>
    new RegExp(`^the policy denies the request from ${agent}: .*${what}`);
  const replayed = sign(
    spec({ command: '/bin/sh', args: ['-c', `echo ran >> ${join(scratch, 'ran')}`], cwd: dir }),
  );
  const junk: Junk[] = [
    {
      name: 'junk',
      raw: touch('junk'),
      reason: /^malformed request from \S+: v: expected 1, got nothing/,
    },
    {
      name: 'junk-nonce',
      raw: { ...touch('junk-nonce'), nonce: 'not-a-nonce' },
      nonce: 'not-a-nonce',
      reason: /^malformed request from \S+: v: expected 1, got nothing/,
    },
  ];
  const attacks = [
    attack(
      'unsigned',
      unsigned,
      'malformed',
      /^malformed request from \S+: sig: expected base64url of a 64-byte Ed25519 signature, got nothing$/,
    ),
    attack(
      'forged',
      {
        ...sign(touch('forged')),
        sig: Buffer.from(key.sign(Buffer.from('other bytes'))).toString('base64url'),
      },
      'signature',
      new RegExp(
        `^request from ${agent} is not validly signed by its trusted key ${fp}: it was altered on the way or forged$`,
      ),
    ),
    attack(
      'wrong-key',
      sign(touch('wrong-key'), wrongKey),
      'trust',
      new RegExp(
        `^request from ${agent} is signed by ${literal(wrongKey.fingerprint)}, but this agent trusts ${agent} only with ${fp}\\.`,
      ),
    ),
    attack(
      'untrusted',
      sign(touch('untrusted'), strangerKey, STRANGER),
      'trust',
      new RegExp(
        `^request from ${STRANGER} signed by ${literal(strangerKey.fingerprint)}, which this agent does not trust`,
      ),
    ),
    attack(
      'expired',
      sign(touch('expired'), key, agent, Date.now() - 2 * REQUEST_LIFETIME_MS),
      'expired',
      new RegExp(
        `^request from ${agent} expired \\d+(\\.\\d+)? s ago \\(.*\\); the sender must sign it anew$`,
      ),
    ),
    attack(
      'policy-denied',
      sign(spec({ command: 'touch', args: [sentinel('policy-denied')], cwd: dir })),
      'policy',
      denied('command touch \\(\\S+\\) is not one of its commands'),
    ),
    attack(
      'cwd-dotdot',
      sign(touch('cwd-dotdot', { cwd: `${dir}/..` })),
      'policy',
      denied(`cwd ${literal(parent)} is not inside its directories \\(${literal(dir)}\\)`),
    ),
    attack(
      'cwd-symlink',
      sign(touch('cwd-symlink', { cwd: join(dir, 'escape') })),
      'policy',
      denied(`cwd ${literal(realOutside)} is not inside its directories \\(${literal(dir)}\\)`),
    ),
    attack(
      'fake-npm',
      sign(spec({ command: fakeNpm, args: [], cwd: dir })),
      'policy',
      denied(
        `command ${literal(fakeNpm)} \\(${literal(realpathSync(fakeNpm))}\\) is not one of its commands \\([^)]*npm → `,
      ),
    ),
    attack(
      'ld-preload',
      sign(touch('ld-preload', { env: { LD_PRELOAD: join(realOutside, 'evil.so') } })),
      'policy',
      denied('env: LD_PRELOAD can never be set by a request, whatever the policy says'),
    ),
  ];
  return {
    attacks,
    junk,
    replay: { raw: replayed, nonce: replayed.nonce, ranFile: join(scratch, 'ran') },
    sentinels,
  };
}

interface Spec {
  readonly command: string;
  readonly args: readonly string[];
  readonly cwd: string;
  readonly env: Readonly<Record<string, string>>;
}

function spec(fields: Partial<Spec> & Pick<Spec, 'command' | 'cwd'>): JsonObject {
  return taskSpecToJson({
    run: 'security',
    job: 'attack',
    step: '0',
    attempt: 1,
    args: [],
    env: {},
    ...fields,
  });
}

/** The worker's verified last word on one request. */
export type RawAnswer =
  | { readonly kind: 'rejected'; readonly stage: string; readonly reason: string }
  | { readonly kind: 'result'; readonly exitCode: number | null };

/**
 * Send `raw` as a task request to `address` as it is, bypassing the task client, and wait for
 * the rejection or result answering `expected.requestNonce`, believed only when signed by the
 * expected worker.
 */
export async function sendRawRequest(
  transport: Transport,
  address: string,
  raw: JsonObject,
  expected: ExpectedResult,
  timeoutMs = 30_000,
): Promise<RawAnswer> {
  const answered = Promise.withResolvers<RawAnswer>();
  const unsubscribe = transport.subscribe((event) => {
    if (event.type !== 'payload') return;
    const { kind, body } = event.payload;
    if (kind !== TASK_KINDS.rejected && kind !== TASK_KINDS.result) return;
    const verdict = verifyResult(body, expected);
    if (!verdict.ok || verdict.envelope.kind !== kind) return;
    const rejected =
      kind === TASK_KINDS.rejected ? parseRejected(verdict.envelope.body) : undefined;
    const result = kind === TASK_KINDS.result ? parseResult(verdict.envelope.body) : undefined;
    if (rejected) answered.resolve({ kind: 'rejected', ...rejected });
    if (result) answered.resolve({ kind: 'result', exitCode: result.exitCode });
  });
  const timer = setTimeout(() => {
    answered.reject(
      new Error(`no answer to ${expected.requestNonce} within ${String(timeoutMs)} ms`),
    );
  }, timeoutMs);
  try {
    await transport.send(
      { kind: 'direct', address },
      { type: 'payload', payload: { kind: TASK_KINDS.request, version: TASK_VERSION, body: raw } },
      { timeoutMs },
    );
    return await answered.promise;
  } finally {
    clearTimeout(timer);
    unsubscribe();
  }
}
