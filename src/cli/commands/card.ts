import { Command, Option } from 'commander';
import type { ContextSource } from '../context.ts';
import { collect } from '../option-values.ts';

/** `mx-agent card show|set`: this agent's card, as peers see it. */
export function cardCommand(context: ContextSource): Command {
  const card = new Command('card')
    .description("show or edit this agent's card (what `discover` shows peers)")
    .addHelpText(
      'after',
      `
One card describes this installation's agent on every profile: its name,
description, owner, kind, capabilities and skills; the addresses, software
version and heartbeat interval are filled in. Running session hosts publish a
changed card at once.

Examples:
  $ mx-agent card show
  $ mx-agent card set --name builder --capability build --capability test`,
    );
  card
    .command('show')
    .description('print the card as it is published')
    .addHelpText(
      'after',
      `
Examples:
  $ mx-agent card show
  $ mx-agent --json card show`,
    )
    .action(async () => {
      const { showCard } = await import('./card-action.ts');
      showCard(context());
    });
  card
    .command('set')
    .description('change the card; options not given stay as they are')
    .option('--name <name>', 'the name peers see')
    .option('--description <text>', 'what this agent is for ("" clears it)')
    .option('--owner <account>', 'the account of the person responsible ("" clears it)')
    .addOption(new Option('--kind <kind>', 'what kind of agent this is').choices(['cli', 'serve']))
    .option('--capability <name>', 'the capabilities, replacing the list (repeatable)', collect)
    .option('--add-capability <name>', 'add a capability (repeatable)', collect)
    .option('--remove-capability <name>', 'remove a capability (repeatable)', collect)
    .option(
      '--skills-file <file>',
      'the skills: a JSON list of {name, version, description, input_schema}',
    )
    .addHelpText(
      'after',
      `
Capability names are lower-case words joined by . - or _ (code-review, lang.rust).

Examples:
  $ mx-agent card set --name reviewer --description 'reviews Rust PRs'
  $ mx-agent card set --add-capability code-review --add-capability lang.rust
  $ mx-agent card set --skills-file skills.json`,
    )
    .action(async (values: Record<string, unknown>) => {
      const { setCard } = await import('./card-action.ts');
      await setCard(values, context());
    });
  return card;
}
