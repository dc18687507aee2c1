/**
 * Who a rule is for and where a request may come from. A rule names requesters by agent id,
 * by signing-key fingerprint, or by transport address; a request matches when any of its three
 * identities is named. Addresses compare the way their networks do: Matrix server names and
 * XMPP addresses are case-insensitive, an XMPP resource names a client, not an account.
 */
import { AGENT_ID } from '../protocol/agent-id.ts';
import type { Requester } from './policy-types.ts';

// SHA-256 digest in base64 (with or without padding), base64url or hex.
const FINGERPRINT = /^SHA256:(?:[A-Za-z0-9+/_-]{43}=?|[0-9a-fA-F]{64})$/;
const MATRIX_ID = /^[@#!][^\s:@#!]+:[A-Za-z0-9.-]+(?::\d{1,5})?$/;
const XMPP_ADDRESS = /^[^\s@/]+@[^\s@/]+$/;

/** What a requester entry in the policy may be. */
export const REQUESTER_FORMS =
  'an agent id like "agt-abcdefghijklmnop", a key fingerprint like "SHA256:…" or an address like "@bob:example.org" or "bob@example.org"';

/** What a workspace entry may be. */
export const WORKSPACE_FORMS =
  'a workspace like "#ci:example.org", "!room:example.org" or "ci@conference.example.org"';

/** True for an entry the `requester` key accepts. */
export function isRequesterPattern(text: string): boolean {
  return (
    AGENT_ID.test(text) ||
    FINGERPRINT.test(text) ||
    (text.startsWith('@') && MATRIX_ID.test(text)) ||
    XMPP_ADDRESS.test(text)
  );
}

/** True for an entry the `workspace` key accepts. */
export function isWorkspacePattern(text: string): boolean {
  return (MATRIX_ID.test(text) && !text.startsWith('@')) || XMPP_ADDRESS.test(text);
}

/**
 * One spelling per identity: fingerprints without base64 padding, Matrix ids with the server
 * name lower-cased, XMPP addresses lower-cased without their resource.
 */
export function normalizeIdentity(text: string): string {
  if (text.startsWith('SHA256:')) return text.replace(/=+$/, '');
  if (/^[@#!]/.test(text)) {
    const colon = text.indexOf(':');
    return colon < 0 ? text : text.slice(0, colon) + text.slice(colon).toLowerCase();
  }
  if (text.includes('@')) return (text.split('/')[0] ?? text).toLowerCase();
  return text;
}

/** True when a rule's (normalised) requester list names any identity of `requester`. */
export function matchesRequester(patterns: readonly string[], requester: Requester): boolean {
  const identities = [requester.agent, requester.fingerprint, requester.address]
    .filter((identity) => identity !== '')
    .map(normalizeIdentity);
  return patterns.some((pattern) => identities.includes(pattern));
}

/** The identities of a requester for a message: `agt-… (key SHA256:…, @bob:example.org)`. */
export function describeRequester(requester: Requester): string {
  return `${requester.agent} (key ${requester.fingerprint}, address ${requester.address})`;
}
