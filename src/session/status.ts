import type { ConnectionState, Network } from '../transport/transport.ts';
import { isObject } from './shapes.ts';

/** Where a host is in its life: its transport's state once serving. */
export type HostState = ConnectionState | 'starting' | 'stopping';

/** What `status` reports about a running host (`mx-agent daemon status --json`). */
export interface HostStatus {
  readonly pid: number;
  readonly profile: string;
  readonly network: Network;
  /** The mx-agent version the host runs (it may predate an upgrade). */
  readonly version: string;
  readonly protocol: number;
  readonly address: string;
  readonly state: HostState;
  /** Connected commands, not counting the one asking. */
  readonly clients: number;
  readonly clientPids: readonly number[];
  readonly workspaces: readonly string[];
  readonly startedAt: string;
  readonly uptimeMs: number;
  readonly socket: string;
  /** After this long without clients the host exits; null when it runs until stopped. */
  readonly idleExitMs: number | null;
  /** Direct messages kept for the next command that listens. */
  readonly undelivered: number;
}

const STATES: readonly string[] = [
  'offline',
  'connecting',
  'online',
  'reconnecting',
  'closed',
  'starting',
  'stopping',
];
const NETWORKS: readonly string[] = ['xmpp', 'matrix', 'fake'];

const isNumber = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
const isStringList = (v: unknown): v is string[] =>
  Array.isArray(v) && v.every((x) => typeof x === 'string');

/** A HostStatus, validated. */
export function isHostStatus(value: unknown): value is HostStatus {
  return (
    isObject(value) &&
    isNumber(value.pid) &&
    typeof value.profile === 'string' &&
    typeof value.network === 'string' &&
    NETWORKS.includes(value.network) &&
    typeof value.version === 'string' &&
    isNumber(value.protocol) &&
    typeof value.address === 'string' &&
    typeof value.state === 'string' &&
    STATES.includes(value.state) &&
    isNumber(value.clients) &&
    Array.isArray(value.clientPids) &&
    value.clientPids.every(isNumber) &&
    isStringList(value.workspaces) &&
    typeof value.startedAt === 'string' &&
    isNumber(value.uptimeMs) &&
    typeof value.socket === 'string' &&
    (value.idleExitMs === null || isNumber(value.idleExitMs)) &&
    isNumber(value.undelivered)
  );
}
