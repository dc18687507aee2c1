/**
 * The agent card (specs/protocol.md §6.1): who an agent is and what it can do, published as
 * workspace state `agent.card` keyed by the agent id. Learnt from the A2A agent card (name,
 * description, provider → owner, skills with schemas, version), plus what peers here need:
 * the kind of agent, its addresses on each network, its signing-key fingerprint.
 */
import { AGENT_ID } from '../protocol/agent-id.ts';
import { fingerprintOf, isPublicRaw, publicKeyFromRaw } from '../security/signing-key.ts';
import type { JsonObject, JsonValue, Network } from '../transport/transport.ts';
import { describeValue } from '../errors.ts';

/** State type of agent cards. */
export const CARD_TYPE = 'agent.card';
/** Current card format version. */
export const CARD_VERSION = 1;

/** A person's command line, or a long-running `serve` agent. */
export type AgentKind = 'cli' | 'serve';

/** A tool or skill an agent offers. */
export interface Skill {
  readonly name: string;
  readonly version?: string;
  readonly description?: string;
  /** JSON Schema of its input. */
  readonly inputSchema?: JsonObject;
}

/** One address of the agent. */
export interface AgentAddress {
  readonly network: Network;
  readonly address: string;
}

/** The card as published. */
export interface AgentCard {
  readonly v: number;
  /** Stable id of the agent (one installation), the state key: `agt-` + 16 base32 characters. */
  readonly id: string;
  readonly name: string;
  readonly description?: string;
  /** The account of the person responsible for it. */
  readonly owner?: string;
  readonly kind: AgentKind;
  readonly capabilities: readonly string[];
  readonly skills: readonly Skill[];
  readonly addresses: readonly AgentAddress[];
  /** Fingerprint of its Ed25519 signing key (`SHA256:…`), when it has one. */
  readonly signingKey?: string;
  /** The public key itself (`ed25519:…`), so a peer can trust it after comparing fingerprints. */
  readonly publicKey?: string;
  readonly software: { readonly name: string; readonly version: string };
  /** How often it sends heartbeats. */
  readonly heartbeatMs: number;
  /** When the card last changed (ms since the epoch). */
  readonly updated: number;
}

/** Capability names: lower-case words joined by `.`, `-` or `_` (`code-review`, `lang.rust`). */
export const CAPABILITY = /^[a-z0-9][a-z0-9._-]{0,63}$/;

const MAX_TEXT = 2000;

/** The card as a JSON document (wire field names, specs/protocol.md §6.1). */
export function cardToJson(card: AgentCard): JsonObject {
  return {
    v: card.v,
    id: card.id,
    name: card.name,
    ...(card.description === undefined ? {} : { description: card.description }),
    ...(card.owner === undefined ? {} : { owner: card.owner }),
    kind: card.kind,
    capabilities: [...card.capabilities],
    skills: card.skills.map((s) => ({
      name: s.name,
      ...(s.version === undefined ? {} : { version: s.version }),
      ...(s.description === undefined ? {} : { description: s.description }),
      ...(s.inputSchema === undefined ? {} : { input_schema: s.inputSchema }),
    })),
    addresses: card.addresses.map((a) => ({ network: a.network, address: a.address })),
    ...(card.signingKey === undefined ? {} : { signing_key: card.signingKey }),
    ...(card.publicKey === undefined ? {} : { public_key: card.publicKey }),
    software: { name: card.software.name, version: card.software.version },
    heartbeat_ms: card.heartbeatMs,
    updated: card.updated,
  };
}

/** Read a card from the network; a string saying what is wrong when it is not one. */
export function parseCard(json: JsonObject): AgentCard | string {
  const text = (name: string, max = MAX_TEXT): string | undefined => {
    const value = json[name];
    return typeof value === 'string' && value.length > 0 && value.length <= max ? value : undefined;
  };
  if (json.v !== CARD_VERSION)
    return `v: expected card version ${String(CARD_VERSION)}, got ${describeValue(json.v)}`;
  const id = text('id', 64);
  if (id === undefined || !AGENT_ID.test(id)) return 'id: expected an agent id like agt-…';
  const name = text('name', 200);
  if (name === undefined) return 'name: expected a non-empty string';
  if (json.kind !== 'cli' && json.kind !== 'serve') return 'kind: expected cli or serve';
  const capabilities = stringList(json.capabilities);
  if (!capabilities || !capabilities.every((c) => CAPABILITY.test(c)))
    return 'capabilities: expected a list of capability names';
  const skills = skillList(json.skills);
  if (typeof skills === 'string') return skills;
  const addresses = addressList(json.addresses);
  if (!addresses) return 'addresses: expected a list of {network, address}';
  const software = json.software;
  if (
    !isObject(software) ||
    typeof software.name !== 'string' ||
    typeof software.version !== 'string'
  )
    return 'software: expected {name, version}';
  const heartbeatMs = json.heartbeat_ms;
  if (!isCount(heartbeatMs) || heartbeatMs < 100) return 'heartbeat_ms: expected milliseconds';
  if (!isCount(json.updated)) return 'updated: expected a time in ms';
  const description = text('description');
  const owner = text('owner', 300);
  const signingKey = text('signing_key', 200);
  const publicKey = text('public_key', 200);
  if (publicKey !== undefined) {
    if (!isPublicRaw(publicKey)) return 'public_key: expected an Ed25519 key like ed25519:…';
    if (signingKey !== fingerprintOf(publicKeyFromRaw(publicKey)))
      return 'signing_key: it is not the fingerprint of public_key';
  }
  return {
    v: CARD_VERSION,
    id,
    name,
    ...(description === undefined ? {} : { description }),
    ...(owner === undefined ? {} : { owner }),
    kind: json.kind,
    capabilities,
    skills,
    addresses,
    ...(signingKey === undefined ? {} : { signingKey }),
    ...(publicKey === undefined ? {} : { publicKey }),
    software: { name: software.name, version: software.version },
    heartbeatMs,
    updated: json.updated,
  };
}

function isObject(value: JsonValue | undefined): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isCount(value: JsonValue | undefined): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

function stringList(value: JsonValue | undefined): string[] | undefined {
  return Array.isArray(value) && value.length <= 200 && value.every((v) => typeof v === 'string')
    ? value
    : undefined;
}

function skillList(value: JsonValue | undefined): Skill[] | string {
  if (!Array.isArray(value) || value.length > 500) return 'skills: expected a list';
  const skills: Skill[] = [];
  for (const [i, item] of value.entries()) {
    if (!isObject(item) || typeof item.name !== 'string' || item.name.length === 0)
      return `skills[${String(i)}]: expected {name, version?, description?, input_schema?}`;
    const { version, description, input_schema: schema } = item;
    skills.push({
      name: item.name,
      ...(typeof version === 'string' ? { version } : {}),
      ...(typeof description === 'string' ? { description } : {}),
      ...(isObject(schema) ? { inputSchema: schema } : {}),
    });
  }
  return skills;
}

function addressList(value: JsonValue | undefined): AgentAddress[] | undefined {
  if (!Array.isArray(value) || value.length > 50) return undefined;
  const out: AgentAddress[] = [];
  for (const item of value) {
    if (!isObject(item) || typeof item.address !== 'string') return undefined;
    if (item.network !== 'matrix' && item.network !== 'xmpp' && item.network !== 'fake')
      return undefined;
    out.push({ network: item.network, address: item.address });
  }
  return out;
}
