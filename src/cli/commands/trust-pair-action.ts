/**
 * `trust pair`: trust another agent by comparing a short code on both screens (specs/protocol.md
 * §8.9). The exchange is src/security/pairing-exchange.ts; this file finds the peer, asks the
 * person, and writes the trust entry once both sides said yes.
 */
import type { OptionValues } from 'commander';
import { AgentSettingsStore } from '../../config/agent-settings.ts';
import { resolvePaths } from '../../config/paths.ts';
import type { Profile } from '../../config/profile.ts';
import { securityFiles } from '../../config/security-files.ts';
import { WorkspaceList } from '../../config/workspace-list.ts';
import type { DiscoveredAgent } from '../../discovery/agents.ts';
import { discoverAgents } from '../../discovery/discover.ts';
import { RefusedError, UsageError, messageOf, quote } from '../../errors.ts';
import {
  PAIRING_TIMEOUT_MS,
  awaitPairing,
  formatWait,
  initiatePairing,
  sameAccount,
  type PairingOptions,
  type PairingPeer,
  type PairingProgress,
} from '../../security/pairing-exchange.ts';
import { loadOrCreateSigningKey } from '../../security/signing-key.ts';
import { TrustStore } from '../../security/trust-store.ts';
import type { Transport } from '../../transport/transport.ts';
import { withProfileTransport } from '../connect.ts';
import type { CliContext } from '../context.ts';
import type { Output } from '../output.ts';
import { flagOption, stringOption } from '../option-values.ts';
import { askCodesMatch } from './trust-pair-prompt.ts';
import { formatEntry } from './trust-action.ts';

/** The peer named on the command line: where to reach it, and its agent id when known. */
interface NamedPeer {
  readonly address: string;
  readonly agent?: string;
}

/** `trust pair AGENT-OR-ADDRESS` (starts) or `trust pair --wait [AGENT-OR-ADDRESS]` (answers). */
export async function pairTrust(
  input: string | undefined,
  values: OptionValues,
  context: CliContext,
): Promise<void> {
  const wait = flagOption(values, 'wait');
  if (input === undefined && !wait)
    throw new UsageError(
      'say whom to pair with: `mx-agent trust pair AGENT-OR-ADDRESS`, or wait for them to start with `mx-agent trust pair --wait`',
    );
  const { stdio } = context.output;
  // No --yes, and no answer from a pipe: the point is that a person compares the codes.
  if (stdio.stdin.isTTY !== true)
    throw new UsageError(
      'trust pair needs a person at a terminal to compare the codes, and stdin is not a terminal; without one, compare fingerprints instead: `mx-agent card show` on the other side, then `mx-agent trust add AGENT FINGERPRINT`',
    );
  const label = stringOption(values, 'label');
  const replace = flagOption(values, 'replace');
  const paths = resolvePaths();
  const files = securityFiles(paths);
  const store = new TrustStore(files.keyDir);
  const self = {
    agent: new AgentSettingsStore(paths).read().id,
    key: loadOrCreateSigningKey(files.keyDir).publicRaw,
  };
  const outcome = await withProfileTransport(context, async (transport, profile) => {
    const agents = discovery(transport, profile, context);
    const named =
      input === undefined ? undefined : await findPeer(transport, input, agents, context);
    const options: PairingOptions = {
      transport,
      self,
      compare: (code, peer, signal) => askCodesMatch(code, peer, stdio, signal),
      cardKeys: async (peer) => keysOnCards(await agents(), peer),
      checkPeer: (peer) => {
        if (named?.agent !== undefined && named.agent !== peer.agent)
          throw new RefusedError(
            `you asked to pair with ${named.agent}, but ${peer.address} answered as ${peer.agent}; nothing was trusted`,
          );
        refuseChangedKey(store, peer, replace);
      },
      progress: (event) => {
        printProgress(context.output, event);
      },
      signal: context.signal,
    };
    if (!wait && named !== undefined) return initiatePairing(named.address, options);
    return awaitPairing({ ...options, ...(named === undefined ? {} : { from: named.address }) });
  });
  const { peer, code } = outcome;
  const entry = store.add(
    { agent: peer.agent, key: peer.key, via: 'pairing', ...(label === undefined ? {} : { label }) },
    { replace },
  );
  context.output.result(
    { ...entry, address: peer.address, code },
    (e) => `trusted ${formatEntry(e)}`,
  );
}

/** The agents of the profile's workspaces, read once and only when first asked for. */
function discovery(
  transport: Transport,
  profile: Profile,
  context: CliContext,
): () => Promise<readonly DiscoveredAgent[]> {
  let found: Promise<readonly DiscoveredAgent[]> | undefined;
  return () => {
    const workspaces = new WorkspaceList(resolvePaths()).of(profile.name);
    found ??= discoverAgents([{ profile: profile.name, transport, workspaces }], {
      signal: context.signal,
    }).then((report) => {
      for (const problem of report.problems) context.output.debug(`discovery: ${problem}`);
      return report.agents;
    });
    return found;
  };
}

/** An address as such; otherwise the id or name of an agent discovery finds on this network. */
async function findPeer(
  transport: Transport,
  input: string,
  agents: () => Promise<readonly DiscoveredAgent[]>,
  context: CliContext,
): Promise<NamedPeer> {
  let problem: string;
  try {
    const target = await transport.resolveTarget(input, { signal: context.signal });
    if (target.kind === 'direct') return { address: target.address };
    problem = 'that is a workspace, and a pairing is with one agent';
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    problem = messageOf(error);
  }
  const matches = (await agents()).filter((a) => a.id === input || a.card.name === input);
  const here = matches.flatMap((a) =>
    a.card.addresses
      .filter((x) => x.network === transport.network)
      .map((x) => ({ address: x.address, agent: a.id })),
  );
  const [first, ...more] = here;
  if (first !== undefined && more.length === 0) return first;
  if (first !== undefined)
    throw new UsageError(`${quote(input)} names more than one agent: use its id or an address`);
  throw new UsageError(
    `expected an address, or the id or name of an agent \`mx-agent discover\` shows on ${transport.network}, got ${quote(input)} (${problem})`,
  );
}

/** The keys the peer's own cards carry: cards with its agent id that list its address. */
function keysOnCards(agents: readonly DiscoveredAgent[], peer: PairingPeer): string[] {
  return agents
    .filter((a) => a.id === peer.agent)
    .filter((a) => a.card.addresses.some((x) => sameAccount(x.address, peer.address)))
    .flatMap((a) => (a.card.publicKey === undefined ? [] : [a.card.publicKey]));
}

/** Refuse, before the code is shown, a peer trusted so far with another key (unless --replace). */
function refuseChangedKey(store: TrustStore, peer: PairingPeer, replace: boolean): void {
  const old = store.list().filter((e) => e.agent === peer.agent && e.key !== peer.key);
  if (old.length === 0 || replace) return;
  throw new RefusedError(
    `${peer.agent} is trusted with ${old.map((e) => e.fingerprint).join(', ')}, and it now offers ${peer.fingerprint}. ` +
      `A key changes when the agent is reinstalled or loses its key file — or when someone else pretends to be it. ` +
      `If its owner confirms the new key, pair again with --replace; nothing was trusted`,
  );
}

function printProgress(output: Output, event: PairingProgress): void {
  switch (event.type) {
    case 'requested':
      output.info(
        `asked ${event.address} to pair; on that side run \`mx-agent trust pair --wait\` (waiting up to ${formatWait(PAIRING_TIMEOUT_MS)}, Ctrl-C to stop)`,
      );
      return;
    case 'waiting':
      output.info(
        `waiting for a pairing request to ${event.address} (up to ${formatWait(PAIRING_TIMEOUT_MS)}, Ctrl-C to stop)`,
      );
      return;
    case 'request':
      output.info(`pairing request from ${event.agent} (${event.address})`);
      return;
    case 'confirming':
      output.info(`waiting for ${event.peer.address} to confirm too`);
      return;
  }
}
