import { Command } from 'commander';
import type { ContextSource } from '../context.ts';

/** `mx-agent trust list|add|pair|remove`: the signing keys this agent accepts requests from. */
export function trustCommand(context: ContextSource): Command {
  const trust = new Command('trust')
    .description('the signing keys of agents this one accepts requests and results from')
    .addHelpText(
      'after',
      `
Nothing runs here for a peer unless its request is signed by a key you trusted
(and your policy.toml allows it). Trust is never implicit: not from a workspace,
not from an address. Compare the fingerprint with the agent's owner (\`mx-agent
card show\` prints yours) before you add it, or pair: compare a short code on
both screens instead (\`trust pair\`).

Examples:
  $ mx-agent trust add agt-abcdefghijklmnop SHA256:Jx3…
  $ mx-agent trust pair bob@example.org
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
    .command('pair')
    .description('trust another agent, and be trusted by it, by comparing a code on both screens')
    .argument(
      '[agent-or-address]',
      'the agent to pair with: its address, or its id or name as `discover` shows it (with --wait: accept only it)',
    )
    .option('--wait', 'wait for the other side to start the pairing')
    .option('--label <text>', 'a note for yourself')
    .option('--replace', 'replace the key trusted for this agent so far')
    .addHelpText(
      'after',
      `
One side starts the pairing, the other waits for it; each runs in a terminal.
The agents swap their signing keys (the starter commits to its key before it
sees the other's) and both screens show a 12-digit code, the same on both when
nobody is in the middle. Compare the codes (side by side, or read aloud on a
call) and answer y on both sides: then each agent trusts the other (via
pairing). No, a mismatch, a cancel or 5 minutes without an answer trust
nothing. A key that differs from the one on the agent's card is refused.

There is no --yes: a person must compare the codes, so stdin must be a
terminal. Without one, compare fingerprints and use \`trust add\` instead.

Examples:
  $ mx-agent trust pair --wait                    # on bob's machine
  $ mx-agent trust pair bob@example.org           # on alice's machine
  $ mx-agent trust pair agt-abcdefghijklmnop --label 'build box'`,
    )
    .action(async (target: string | undefined, values: Record<string, unknown>) => {
      const { pairTrust } = await import('./trust-pair-action.ts');
      await pairTrust(target, values, context());
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
