/**
 * Who may talk to a serve agent, with Fluux Agent's semantics (`[agent] allowed_jids`,
 * `allowed_domains`; ../shared/reference/fluux-agent-and-openclaw.md §1), extended to Matrix
 * ids: the sender's domain (an XMPP JID's, a Matrix id's server name) must be allowed — only
 * the agent's own by default, `"*"` for any — and then the sender itself must be listed in
 * `allowed_jids` (its bare JID or Matrix id; `"*"` for anyone). An empty list admits nobody.
 */

/** What the check needs from the config, and the agent's own domain. */
export interface AccessRules {
  readonly allowedJids: readonly string[];
  readonly allowedDomains: readonly string[];
  /** The agent's own domain (its JID's, its component's, or its Matrix server name). */
  readonly ownDomain: string;
}

/** Whether `sender` (a full or bare JID, or a Matrix id) may talk to the agent. */
export function isAllowed(sender: string, rules: AccessRules): boolean {
  const who = identityOf(sender);
  if (who === undefined) return false;
  const domains = rules.allowedDomains.map((d) => d.toLowerCase());
  const domainOk = domains.includes('*')
    ? true
    : domains.length === 0
      ? who.domain === rules.ownDomain.toLowerCase()
      : domains.includes(who.domain);
  if (!domainOk) return false;
  return rules.allowedJids.some((entry) => entry === '*' || identityOf(entry)?.id === who.id);
}

/** A sender as compared: `local@domain` or `@local:domain`, lower-cased, no resource. */
function identityOf(address: string): { id: string; domain: string } | undefined {
  const matrix = /^@([^:]+):(.+)$/.exec(address);
  if (matrix !== null) {
    const domain = (matrix[2] ?? '').toLowerCase();
    return { id: `@${(matrix[1] ?? '').toLowerCase()}:${domain}`, domain };
  }
  const bare = address.split('/')[0] ?? '';
  const at = bare.lastIndexOf('@');
  if (at <= 0 || at === bare.length - 1) return undefined;
  const domain = bare.slice(at + 1).toLowerCase();
  return { id: `${bare.slice(0, at).toLowerCase()}@${domain}`, domain };
}
