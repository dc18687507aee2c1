/**
 * Agent ids (specs/protocol.md §6.1): `agt-` and 16 lower-case base32 characters, one per
 * installation. The same pattern as the card's; signed envelopes and the trust store name
 * agents by it.
 */

/** An agent id: `agt-` and 16 lower-case base32 characters. */
export const AGENT_ID = /^agt-[a-z2-7]{16}$/;

/** True when `value` is an agent id. */
export function isAgentId(value: unknown): value is string {
  return typeof value === 'string' && AGENT_ID.test(value);
}
