import { Command } from 'commander';
import type { ContextSource } from '../context.ts';

/** `mx-agent trust list|add|remove`: the signing keys this agent accepts requests from. */
export function trustCommand(context: ContextSource): Command {
  const trust = new Command('trust')
    .description('the signing keys of agents this one accepts requests and results from')
    .addHelpText(
      'after',
      `
Nothing runs here for a peer unless its request is signed by a key you trusted
(and your policy.toml allows it). Trust is never implicit: not from a workspace,
not from an address. Compare the fingerprint with the agent's owner (\`mx-agent
card show\` prints yours) before you add it.

Examples:
  $ mx-agent trust add agt-abcdefghijklmnop SHA256:Jx3…
  $ mx-agent trust list
  $ mx-agent trust remove agt-abcdefghijklmnop`,
    );
  trust
    .command('list')
    .description('list trusted agents and their key fingerprints')
    .addHelpText('after', '\nExample:\n  $ mx-agent --json trust list')
    .action(async () => {
      const { listTrust } = await import('./trust-action.ts');
      listTrust(context());
    });
  trust
    .command('add')
    .description(
      "trust an agent's signing key, found on its card and checked against the fingerprint",
    )
    .argument('<agent>', 'the agent id (agt-…), as `discover` shows it')
    .argument('<fingerprint>', 'its key fingerprint (SHA256:…), as its owner told you')
    .option('--key <key>', 'the public key itself (ed25519:…), instead of reading it from the card')
    .option('--label <text>', 'a note for yourself')
    .option('--replace', 'replace the key trusted for this agent so far')
    .addHelpText(
      'after',
      `
Without --key the key is read from the agent's card in your workspaces, and
refused unless its fingerprint is the one you gave. A different key for an
agent you already trust is refused unless --replace: that is what an impostor
looks like.

Examples:
  $ mx-agent trust add agt-abcdefghijklmnop SHA256:Jx3…
  $ mx-agent trust add agt-abcdefghijklmnop SHA256:Jx3… --key ed25519:q0…`,
    )
    .action(async (agent: string, fingerprint: string, values: Record<string, unknown>) => {
      const { addTrust } = await import('./trust-action.ts');
      await addTrust(agent, fingerprint, values, context());
    });
  trust
    .command('remove')
    .description('stop trusting an agent (or one key fingerprint)')
    .argument('<agent-or-fingerprint>', 'agt-… or SHA256:…')
    .addHelpText('after', '\nExample:\n  $ mx-agent trust remove agt-abcdefghijklmnop')
    .action(async (which: string) => {
      const { removeTrust } = await import('./trust-action.ts');
      removeTrust(which, context());
    });
  return trust;
}
