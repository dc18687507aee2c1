/**
 * Heartbeats (specs/protocol.md §6.2): workspace state `agent.heartbeat` keyed by the agent id,
 * rewritten every interval while the agent runs, and once more marked `stopped` when it stops
 * cleanly. Liveness is read from its age: a missed beat or two is `stale`, more is `offline`.
 */
import type { JsonObject } from '../transport/transport.ts';

/** State type of heartbeats. */
export const HEARTBEAT_TYPE = 'agent.heartbeat';

/** How often an agent beats unless told otherwise. */
export const DEFAULT_HEARTBEAT_MS = 60_000;

/** One heartbeat. */
export interface Heartbeat {
  /** When it was sent (sender's clock, ms since the epoch). */
  readonly at: number;
  readonly intervalMs: number;
  /** `stopped`: the agent said goodbye. */
  readonly status: 'running' | 'stopped';
  /** CPU load in percent of the machine (1-minute average), and jobs running. */
  readonly load: { readonly cpuPercent: number; readonly jobs: number };
}

/** How alive an agent looks. */
export type Liveness = 'active' | 'stale' | 'offline';

/** Beats may be this late (in intervals) before the agent is stale, then offline. */
const STALE_AFTER = 2.5;
const OFFLINE_AFTER = 6;
/** Slack for clock skew between machines (at most one interval). */
const SKEW_MS = 5000;

/** The heartbeat as a JSON document. */
export function heartbeatToJson(beat: Heartbeat): JsonObject {
  return {
    at: beat.at,
    interval_ms: beat.intervalMs,
    status: beat.status,
    load: { cpu_pct: beat.load.cpuPercent, jobs: beat.load.jobs },
  };
}

/** Read a heartbeat; undefined when malformed. */
export function parseHeartbeat(json: JsonObject): Heartbeat | undefined {
  const { at, interval_ms: intervalMs, status, load } = json;
  if (!isCount(at) || !isCount(intervalMs) || intervalMs < 100) return undefined;
  if (status !== 'running' && status !== 'stopped') return undefined;
  const cpu = isObject(load) && isCount(load.cpu_pct) ? load.cpu_pct : 0;
  const jobs = isObject(load) && isCount(load.jobs) ? load.jobs : 0;
  return { at, intervalMs, status, load: { cpuPercent: cpu, jobs } };
}

/** Liveness of an agent whose last heartbeat is `beat`, at time `now`. */
export function livenessOf(beat: Heartbeat | undefined, now: number): Liveness {
  if (!beat || beat.status === 'stopped') return 'offline';
  const age = now - beat.at;
  const skew = Math.min(SKEW_MS, beat.intervalMs);
  if (age <= beat.intervalMs * STALE_AFTER + skew) return 'active';
  if (age <= beat.intervalMs * OFFLINE_AFTER + skew) return 'stale';
  return 'offline';
}

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isCount(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}
