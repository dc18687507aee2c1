/**
 * Which conversation a message belongs to, as a stream sees it: a workspace by name, a direct
 * conversation by the peer's bare address (XMPP delivers from a full JID, one per client).
 */
import type { Target } from '../transport/transport.ts';

/** True when an inbound message belongs to the conversation the stream is published in. */
export function sameConversation(where: Target, target: Target): boolean {
  if (target.kind === 'workspace')
    return where.kind === 'workspace' && where.workspace === target.workspace;
  if (where.kind !== 'direct') return false;
  const bare = (a: string): string => a.split('/')[0] ?? a;
  return bare(where.address) === bare(target.address);
}
