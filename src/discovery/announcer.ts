/**
 * The agent's presence while its session host runs: it stays in the profile's workspaces,
 * publishes its card there (and network-wide, `advertise`), and beats every interval. On a
 * clean stop it writes a last `stopped` heartbeat so peers see it offline at once; after a
 * crash peers see it turn stale, then offline.
 */
import { cpus, loadavg } from 'node:os';
import { messageOf } from '../errors.ts';
import type { Advertisement, Transport } from '../transport/transport.ts';
import { CARD_TYPE, cardToJson, type AgentCard } from './card.ts';
import { HEARTBEAT_TYPE, heartbeatToJson, type Heartbeat } from './heartbeat.ts';

/** How the announcer holds workspaces (the session host's leases). */
export interface WorkspaceHold {
  join(workspace: string, signal: AbortSignal): Promise<void>;
  leave(workspace: string): Promise<void>;
}

/** What to announce, re-read on every refresh. */
export interface AnnouncerOptions {
  /** The card as it should be now. */
  readonly card: () => AgentCard;
  /** The workspaces to be in now. */
  readonly workspaces: () => readonly string[];
  readonly log: (level: 'debug' | 'info' | 'warn', message: string) => void;
  /** Jobs running now (the worker's count; 0 for a command line). */
  readonly jobs?: () => number;
}

const PUBLISH_TIMEOUT_MS = 20_000;
const GOODBYE_TIMEOUT_MS = 3000;

/** The feature string for a capability in XMPP disco#info. */
export function capabilityFeature(capability: string): string {
  return `urn:mx-agent:0:capability:${capability}`;
}

/** Publishes one agent's card and heartbeats. */
export class Announcer {
  readonly #options: AnnouncerOptions;
  #transport: Transport | undefined;
  #hold: WorkspaceHold | undefined;
  #timer: NodeJS.Timeout | undefined;
  readonly #joined = new Set<string>();
  /** Workspaces where the card is published, with the card text published there. */
  readonly #published = new Map<string, string>();
  #advertised = '';
  #running: Promise<void> = Promise.resolve();
  readonly #stopping = new AbortController();

  constructor(options: AnnouncerOptions) {
    this.#options = options;
  }

  /** Begin on a connected transport. */
  start(transport: Transport, hold: WorkspaceHold): void {
    this.#transport = transport;
    this.#hold = hold;
    void this.#serial(() => this.#tick());
  }

  /** Apply changed settings now. */
  refresh(signal: AbortSignal): Promise<void> {
    return this.#serial(() => this.#tick(signal));
  }

  /** Stop beating and say goodbye where the card was published. */
  async stop(): Promise<void> {
    clearTimeout(this.#timer);
    this.#stopping.abort();
    await this.#running.catch(() => undefined);
    const transport = this.#transport;
    if (!transport) return;
    const card = this.#safeCard();
    if (!card) return;
    const beat = heartbeatToJson(this.#beat(card, 'stopped'));
    await Promise.allSettled(
      [...this.#published.keys()].map(async (ws) => {
        await transport.putState(ws, HEARTBEAT_TYPE, card.id, beat, {
          timeoutMs: GOODBYE_TIMEOUT_MS,
        });
      }),
    );
  }

  #serial(work: () => Promise<void>): Promise<void> {
    const next = this.#running.then(work, work);
    this.#running = next.catch(() => undefined);
    return next;
  }

  async #tick(signal?: AbortSignal): Promise<void> {
    clearTimeout(this.#timer);
    const transport = this.#transport;
    const hold = this.#hold;
    if (!transport || !hold || this.#stopping.signal.aborted) return;
    const card = this.#safeCard();
    if (!card) return;
    const wait = AbortSignal.any([this.#stopping.signal, ...(signal ? [signal] : [])]);
    try {
      await this.#advertise(transport, card, wait);
      const wanted = new Set(this.#options.workspaces());
      for (const ws of [...this.#joined].filter((w) => !wanted.has(w))) {
        this.#joined.delete(ws);
        if (this.#published.delete(ws)) {
          // Seen leaving, not crashing: offline at once rather than stale.
          const beat = heartbeatToJson(this.#beat(card, 'stopped'));
          await transport
            .putState(ws, HEARTBEAT_TYPE, card.id, beat, { timeoutMs: GOODBYE_TIMEOUT_MS })
            .catch(() => undefined);
        }
        await hold.leave(ws).catch(() => undefined);
      }
      await Promise.all([...wanted].map((ws) => this.#announceIn(transport, hold, ws, card, wait)));
    } finally {
      if (!this.#stopped())
        this.#timer = setTimeout(() => void this.#serial(() => this.#tick()), card.heartbeatMs);
    }
  }

  async #announceIn(
    transport: Transport,
    hold: WorkspaceHold,
    workspace: string,
    card: AgentCard,
    signal: AbortSignal,
  ): Promise<void> {
    const options = { signal, timeoutMs: PUBLISH_TIMEOUT_MS };
    try {
      if (!this.#joined.has(workspace)) {
        await hold.join(workspace, signal);
        this.#joined.add(workspace);
      }
      const text = JSON.stringify(cardToJson(card));
      if (this.#published.get(workspace) !== text) {
        await transport.putState(workspace, CARD_TYPE, card.id, cardToJson(card), options);
        this.#published.set(workspace, text);
        this.#options.log('info', `published agent card ${card.id} in ${workspace}`);
      }
      const beat = heartbeatToJson(this.#beat(card, 'running'));
      await transport.putState(workspace, HEARTBEAT_TYPE, card.id, beat, options);
    } catch (error) {
      if (signal.aborted) return;
      this.#options.log(
        'warn',
        `could not announce the agent in ${workspace}: ${messageOf(error)}`,
      );
    }
  }

  async #advertise(transport: Transport, card: AgentCard, signal: AbortSignal): Promise<void> {
    const advertisement: Advertisement = {
      name: card.name,
      kind: card.kind === 'serve' ? 'bot' : 'console',
      features: card.capabilities.map(capabilityFeature),
      card: cardToJson(card),
    };
    const text = JSON.stringify(advertisement);
    if (text === this.#advertised) return;
    try {
      await transport.advertise(advertisement, { signal, timeoutMs: PUBLISH_TIMEOUT_MS });
      this.#advertised = text;
    } catch (error) {
      if (!signal.aborted)
        this.#options.log('warn', `could not advertise the agent: ${messageOf(error)}`);
    }
  }

  #beat(card: AgentCard, status: Heartbeat['status']): Heartbeat {
    const cpu = Math.round(((loadavg()[0] ?? 0) * 100) / Math.max(1, cpus().length));
    return {
      at: Date.now(),
      intervalMs: card.heartbeatMs,
      status,
      load: { cpuPercent: Math.min(cpu, 10_000), jobs: this.#options.jobs?.() ?? 0 },
    };
  }

  #stopped(): boolean {
    return this.#stopping.signal.aborted;
  }

  #safeCard(): AgentCard | undefined {
    try {
      return this.#options.card();
    } catch (error) {
      this.#options.log('warn', `cannot read the agent card settings: ${messageOf(error)}`);
      return undefined;
    }
  }
}
