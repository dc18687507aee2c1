import type { OptionValues } from 'commander';
import { resolvePaths } from '../../config/paths.ts';
import { securityFiles } from '../../config/security-files.ts';
import { WorkspaceList } from '../../config/workspace-list.ts';
import { discoverAgents } from '../../discovery/discover.ts';
import { RefusedError, UsageError, quote } from '../../errors.ts';
import { isAgentId } from '../../protocol/agent-id.ts';
import { FINGERPRINT } from '../../protocol/signed.ts';
import { fingerprintOf, isPublicRaw, publicKeyFromRaw } from '../../security/signing-key.ts';
import { TrustStore, type TrustEntry } from '../../security/trust-store.ts';
import { openProfileStore } from '../connect.ts';
import type { CliContext } from '../context.ts';
import { flagOption, stringOption } from '../option-values.ts';
import { openSession } from '../session-start.ts';

function store(): TrustStore {
  return new TrustStore(securityFiles(resolvePaths()).keyDir);
}

/** `trust list`. */
export function listTrust(context: CliContext): void {
  const entries = store().list();
  context.output.result(entries, (list) =>
    list.length === 0
      ? 'no trusted agents yet: `mx-agent trust add AGENT FINGERPRINT`'
      : list.map(formatEntry).join('\n'),
  );
}

/** `trust add AGENT FINGERPRINT [--key] [--label] [--replace]`. */
export async function addTrust(
  agent: string,
  fingerprint: string,
  values: OptionValues,
  context: CliContext,
): Promise<void> {
  if (!isAgentId(agent))
    throw new UsageError(`expected an agent id like agt-abcdefghijklmnop, got ${quote(agent)}`);
  if (!FINGERPRINT.test(fingerprint))
    throw new UsageError(`expected a key fingerprint like SHA256:…, got ${quote(fingerprint)}`);
  const given = stringOption(values, 'key');
  if (given !== undefined && !isPublicRaw(given))
    throw new UsageError(`expected --key to be an Ed25519 key like ed25519:…, got ${quote(given)}`);
  const key = given ?? (await keyFromCard(agent, fingerprint, context));
  const actual = fingerprintOf(publicKeyFromRaw(key));
  if (actual !== fingerprint)
    throw new RefusedError(
      `the key ${given === undefined ? `on the card of ${agent}` : 'given'} has the fingerprint ${actual}, not ${fingerprint}: do not trust it until you have compared fingerprints with its owner`,
    );
  const label = stringOption(values, 'label');
  const entry = store().add(
    { agent, key, fingerprint, via: 'manual', ...(label === undefined ? {} : { label }) },
    { replace: flagOption(values, 'replace') },
  );
  context.output.result(entry, (e) => `trusted ${formatEntry(e)}`);
}

/** `trust remove AGENT|FINGERPRINT`. */
export function removeTrust(which: string, context: CliContext): void {
  const removed = store().remove(which);
  context.output.result(removed, (list) => list.map((e) => `removed ${formatEntry(e)}`).join('\n'));
}

/** The public key the agent's card carries, from the workspaces of every profile. */
async function keyFromCard(
  agent: string,
  fingerprint: string,
  context: CliContext,
): Promise<string> {
  const profiles = openProfileStore().list();
  const list = new WorkspaceList(resolvePaths());
  const transports = await Promise.all(profiles.map((p) => openSession(p, context)));
  try {
    const { agents } = await discoverAgents(
      profiles.map((p, i) => ({
        profile: p.name,
        transport: transports[i] as (typeof transports)[number],
        workspaces: list.of(p.name),
      })),
      { signal: context.signal },
    );
    const keys = [
      ...new Set(
        agents
          .filter((a) => a.id === agent && a.card.publicKey !== undefined)
          .map((a) => a.card.publicKey as string),
      ),
    ];
    const match = keys.find((k) => fingerprintOf(publicKeyFromRaw(k)) === fingerprint);
    if (match !== undefined) return match;
    if (keys.length > 0)
      throw new RefusedError(
        `the card of ${agent} carries the key ${keys.map((k) => fingerprintOf(publicKeyFromRaw(k))).join(', ')}, not ${fingerprint}: do not trust it until you have compared fingerprints with its owner`,
      );
    throw new UsageError(
      `no card of ${agent} with a signing key in your workspaces: give the key with --key ed25519:… (its owner's \`mx-agent card show\` prints it)`,
    );
  } finally {
    await Promise.allSettled(transports.map((t) => t.close()));
  }
}

/** One trust entry on one line. */
export function formatEntry(e: TrustEntry): string {
  return `${e.agent}  ${e.fingerprint}  (${e.via}, ${e.added.slice(0, 10)})${e.label ? `  ${e.label}` : ''}`;
}
