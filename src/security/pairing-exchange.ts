/**
 * The pairing exchange (specs/protocol.md §8.9, design.md §6): two agents swap their signing
 * keys over direct messages, both show the same short code (pairing.ts), and each person says
 * whether the codes match. The initiator commits to its key and session share before it sees
 * the responder's, and reveals them only after, so a man in the middle cannot pick keys that
 * give both sides the same code. A side trusts the other only when its person said yes AND the
 * other side's `pair.confirm` arrived; anything else — no, a cancel, a bad commitment, a
 * malformed message, a card carrying another key, the deadline — trusts nothing.
 */
import { randomBytes } from 'node:crypto';
import { InterruptedError, NetworkError, RefusedError, messageOf } from '../errors.ts';
import { formatMs } from '../transport/deadline.ts';
import type { Target, Transport } from '../transport/transport.ts';
import { newPairingSession, pairingCode, type PairingSide } from './pairing.ts';
import { PairingInbox, type PairingDelivery } from './pairing-inbox.ts';
import {
  commitmentOf,
  pairingIdOf,
  pairingPayload,
  parsePairingMessage,
  sessionOf,
  type PairingMessage,
} from './pairing-messages.ts';
import { fingerprintOf, publicKeyFromRaw } from './signing-key.ts';

/** How long a side waits for the whole pairing (and the responder for a request) by default. */
export const PAIRING_TIMEOUT_MS = 5 * 60_000;

/** The other side of a pairing, as it proved itself so far. */
export interface PairingPeer {
  readonly agent: string;
  readonly key: string;
  readonly fingerprint: string;
  /** Its transport address, as its messages came from. */
  readonly address: string;
}

/** A pairing both people confirmed: trust `peer` now. */
export interface PairingOutcome {
  readonly peer: PairingPeer;
  readonly code: string;
  readonly pairing: string;
}

/** How far a pairing got, for progress lines. */
export type PairingProgress =
  | { readonly type: 'requested'; readonly address: string }
  | { readonly type: 'waiting'; readonly address: string }
  | { readonly type: 'request'; readonly address: string; readonly agent: string }
  | { readonly type: 'confirming'; readonly peer: PairingPeer };

/** What both sides of a pairing need. */
export interface PairingOptions {
  readonly transport: Transport;
  /** This agent: its id and public key. */
  readonly self: PairingSide;
  /** Show `code` and ask the person whether the other screen shows the same; abort on `signal`. */
  readonly compare: (code: string, peer: PairingPeer, signal: AbortSignal) => Promise<boolean>;
  /** The public keys on the peer agent's card(s) at its address; none when it has no card. */
  readonly cardKeys?: (peer: PairingPeer, signal: AbortSignal) => Promise<readonly string[]>;
  /** A local reason to refuse this peer before the code is shown: throw it (RefusedError). */
  readonly checkPeer?: (peer: PairingPeer) => void;
  readonly progress?: (event: PairingProgress) => void;
  readonly timeoutMs?: number;
  readonly signal?: AbortSignal;
}

/** Thrown when the other side cancelled: no cancel is sent back. */
export class PairingCancelledError extends RefusedError {}

/** Pair with the agent at `address`: send `pair.start` and lead the exchange. */
export async function initiatePairing(
  address: string,
  options: PairingOptions,
): Promise<PairingOutcome> {
  const { transport, self } = options;
  const pairing = randomBytes(16).toString('base64url');
  const share = newPairingSession();
  return run(options, async (inbox, signal, step) => {
    const to: Target = { kind: 'direct', address };
    const send = sender(transport, to, signal);
    step.cancel = (reason) => send({ type: 'pair.cancel', pairing, reason });
    step.expected = `pair.accept from ${address}`;
    await send({
      type: 'pair.start',
      pairing,
      agent: self.agent,
      commitment: commitmentOf(self.key, share),
    });
    options.progress?.({ type: 'requested', address });
    const accept = await receive(inbox, address, pairing, 'pair.accept', signal);
    const peer = peerOf(accept.agent, accept.key, accept.from, self);
    await checkCard(peer, options, signal);
    options.checkPeer?.(peer);
    await send({ type: 'pair.reveal', pairing, key: self.key, share });
    const code = pairingCode(self, peer, sessionOf(share, accept.share));
    return confirm({ inbox, peer, pairing, code, signal, send, step, options });
  });
}

/** Wait for a `pair.start` (from `from` only, when given) and answer the exchange. */
export async function awaitPairing(
  options: PairingOptions & { readonly from?: string },
): Promise<PairingOutcome> {
  const { transport, self } = options;
  const timeoutMs = options.timeoutMs ?? PAIRING_TIMEOUT_MS;
  return run(options, async (inbox, signal, step) => {
    step.expected = `a pairing request${options.from === undefined ? '' : ` from ${options.from}`}`;
    options.progress?.({ type: 'waiting', address: transport.address });
    const start = await firstStart(inbox, options.from, Date.now() - timeoutMs, signal);
    const { pairing } = start;
    options.progress?.({ type: 'request', address: start.from, agent: start.agent });
    const send = sender(transport, { kind: 'direct', address: start.from }, signal);
    step.cancel = (reason) => send({ type: 'pair.cancel', pairing, reason });
    const share = newPairingSession();
    step.expected = `pair.reveal from ${start.from}`;
    await send({ type: 'pair.accept', pairing, agent: self.agent, key: self.key, share });
    const reveal = await receive(inbox, start.from, pairing, 'pair.reveal', signal);
    if (commitmentOf(reveal.key, reveal.share) !== start.commitment)
      throw new RefusedError(
        `${start.from} revealed a key and session share that do not match the commitment of its pair.start (expected sha256 ${start.commitment}, got ${commitmentOf(reveal.key, reveal.share)}): someone may be in the middle; nothing was trusted`,
      );
    const peer = peerOf(start.agent, reveal.key, start.from, self);
    await checkCard(peer, options, signal);
    options.checkPeer?.(peer);
    const code = pairingCode(self, peer, sessionOf(reveal.share, share));
    return confirm({ inbox, peer, pairing, code, signal, send, step, options });
  });
}

/** What the running exchange is waiting for, and how to tell the peer it failed. */
interface Step {
  expected: string;
  cancel?: (reason: string) => Promise<void>;
}

/** Run one side with its deadline; on failure tell the peer (best effort) and say why. */
async function run(
  options: PairingOptions,
  work: (inbox: PairingInbox, signal: AbortSignal, step: Step) => Promise<PairingOutcome>,
): Promise<PairingOutcome> {
  const timeoutMs = options.timeoutMs ?? PAIRING_TIMEOUT_MS;
  const timeout = AbortSignal.timeout(timeoutMs);
  const signal = options.signal ? AbortSignal.any([options.signal, timeout]) : timeout;
  const inbox = new PairingInbox(options.transport);
  const step: Step = { expected: 'the pairing' };
  try {
    return await work(inbox, signal, step);
  } catch (caught) {
    const error =
      options.signal?.aborted === true
        ? new InterruptedError(
            `pairing interrupted while waiting for ${step.expected}; nothing was trusted`,
          )
        : timeout.aborted
          ? new NetworkError(
              `pairing timed out after ${formatWait(timeoutMs)} waiting for ${step.expected}; nothing was trusted`,
            )
          : caught;
    if (!(error instanceof PairingCancelledError) && step.cancel !== undefined)
      await step
        .cancel(messageOf(error).replace(/; nothing was trusted$/, ''))
        .catch(() => undefined);
    throw error;
  } finally {
    inbox.close();
  }
}

/** Compare the codes while watching for the peer's confirm or cancel; both yes → the outcome. */
async function confirm(args: {
  inbox: PairingInbox;
  peer: PairingPeer;
  pairing: string;
  code: string;
  signal: AbortSignal;
  send: (message: PairingMessage) => Promise<void>;
  step: Step;
  options: PairingOptions;
}): Promise<PairingOutcome> {
  const { inbox, peer, pairing, code, signal, send, step, options } = args;
  step.expected = `the codes to be compared on both sides`;
  const stopPrompt = new AbortController();
  const peerConfirmed = receive(inbox, peer.address, pairing, 'pair.confirm', signal);
  peerConfirmed.catch(() => {
    stopPrompt.abort();
  });
  let same = false;
  try {
    same = await options.compare(code, peer, AbortSignal.any([signal, stopPrompt.signal]));
  } catch (error) {
    if (!stopPrompt.signal.aborted) throw error;
  }
  // The peer cancelled, or sent something else, while the person was looking: that error wins.
  if (stopPrompt.signal.aborted) await peerConfirmed;
  signal.throwIfAborted();
  if (!same)
    throw new RefusedError(
      `the codes do not match (this side showed ${code}): someone may be in the middle, or the wrong agent answered; nothing was trusted`,
    );
  step.expected = `${peer.address} to confirm the codes match`;
  await send({ type: 'pair.confirm', pairing });
  options.progress?.({ type: 'confirming', peer });
  await peerConfirmed;
  return { peer, code, pairing };
}

/** Send pairing messages to one peer; a failed send fails the exchange. */
function sender(
  transport: Transport,
  to: Target,
  signal: AbortSignal,
): (message: PairingMessage) => Promise<void> {
  return async (message) => {
    const wait = message.type === 'pair.cancel' ? { timeoutMs: 5000 } : { signal };
    await transport.send(to, { type: 'payload', payload: pairingPayload(message) }, wait);
  };
}

/** The first usable `pair.start`: from `from` when given, sent after `since`, well-formed. */
async function firstStart(
  inbox: PairingInbox,
  from: string | undefined,
  since: number,
  signal: AbortSignal,
): Promise<Extract<PairingMessage, { type: 'pair.start' }> & { from: string }> {
  for (;;) {
    const delivery = await inbox.next(signal);
    if (delivery.payload.kind !== 'pair.start') continue;
    if (from !== undefined && !sameAccount(delivery.from, from)) continue;
    // An old request kept while nobody waited: its sender has given up by now.
    if (delivery.delayed && delivery.timestamp < since) continue;
    const message = parsePairingMessage(delivery.payload);
    if (typeof message === 'string' || message.type !== 'pair.start') continue;
    return { ...message, from: delivery.from };
  }
}

/**
 * The next message of this pairing from the peer, which must be `kind`. Messages of other
 * pairings or from other accounts are ignored; a malformed or unexpected one of this pairing,
 * or a cancel, fails the exchange.
 */
async function receive<K extends 'pair.accept' | 'pair.reveal' | 'pair.confirm'>(
  inbox: PairingInbox,
  peer: string,
  pairing: string,
  kind: K,
  signal: AbortSignal,
): Promise<Extract<PairingMessage, { type: K }> & { from: string }> {
  for (;;) {
    const delivery: PairingDelivery = await inbox.next(signal);
    if (!sameAccount(delivery.from, peer) || pairingIdOf(delivery.payload.body) !== pairing)
      continue;
    const message = parsePairingMessage(delivery.payload);
    if (typeof message === 'string')
      throw new RefusedError(
        `${delivery.from} sent a malformed pairing message (${message}); nothing was trusted`,
      );
    if (message.type === 'pair.cancel')
      throw new PairingCancelledError(
        `${delivery.from} cancelled the pairing: ${message.reason === '' ? 'no reason given' : JSON.stringify(message.reason)}; nothing was trusted`,
      );
    if (message.type !== kind)
      throw new RefusedError(
        `${delivery.from} sent ${message.type} where ${kind} was expected; nothing was trusted`,
      );
    return { ...(message as Extract<PairingMessage, { type: K }>), from: delivery.from };
  }
}

/** The peer as its messages describe it; refused when it claims our own agent id or key. */
function peerOf(agent: string, key: string, address: string, self: PairingSide): PairingPeer {
  if (key === self.key || agent === self.agent)
    throw new RefusedError(
      `${address} offered this agent's own ${key === self.key ? 'key' : 'agent id'} (${key === self.key ? key : agent}): it is not another agent, or it is an impostor; nothing was trusted`,
    );
  return { agent, key, fingerprint: fingerprintOf(publicKeyFromRaw(key)), address };
}

/** Refuse a key that the peer agent's own card contradicts: that is what an impostor looks like. */
async function checkCard(
  peer: PairingPeer,
  options: PairingOptions,
  signal: AbortSignal,
): Promise<void> {
  const keys = (await options.cardKeys?.(peer, signal)) ?? [];
  if (keys.length === 0 || keys.includes(peer.key)) return;
  const onCard = keys.map((k) => fingerprintOf(publicKeyFromRaw(k))).join(', ');
  throw new RefusedError(
    `the card of ${peer.agent} at ${peer.address} carries the key ${onCard}, but the pairing offered ${peer.fingerprint}: someone may be impersonating it; nothing was trusted`,
  );
}

/** "5 min" for whole minutes, else "1.5 s", "300 ms". */
export function formatWait(ms: number): string {
  return ms >= 60_000 && ms % 60_000 === 0 ? `${String(ms / 60_000)} min` : formatMs(ms);
}

/** Two addresses of one account: equal, or equal without an XMPP resource. */
export function sameAccount(a: string, b: string): boolean {
  return a === b || bare(a) === bare(b);
}

function bare(address: string): string {
  return address.startsWith('@') ? address : (address.split('/')[0] ?? address);
}
