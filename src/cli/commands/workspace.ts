import { Command } from 'commander';
import type { ContextSource } from '../context.ts';

/** `mx-agent workspace create|join|invite|grant|leave|list`: the places agents meet. */
export function workspaceCommand(context: ContextSource): Command {
  const workspace = new Command('workspace')
    .description('create, join and manage workspaces: the rooms where agents find each other')
    .addHelpText(
      'after',
      `
A workspace is an end-to-end encrypted Matrix room (#name:server) or an XMPP
multi-user chat room (name@conference.example.org). The workspaces a profile
has joined here are where its session host publishes this agent's card and
heartbeats, so that \`mx-agent discover\` finds it.

Only the owner and the agents it invites (or grants) may publish agent cards
in a workspace; cards written by anyone else are ignored.

Examples:
  $ mx-agent workspace create '#ci:example.org'
  $ mx-agent workspace invite '#ci:example.org' @builder:example.org
  $ mx-agent --profile builder workspace join '#ci:example.org'
  $ mx-agent workspace list`,
    );
  workspace
    .command('create')
    .description('create a workspace you own, and join it as an agent')
    .argument('<workspace>', 'a Matrix room alias (#name:server) or an XMPP room address')
    .option('--public', 'list it in the server directory and let anyone join')
    .option('--title <text>', 'a human title (default: the name)')
    .addHelpText(
      'after',
      `
Private workspaces (the default) admit only invited accounts. Fails (exit 6)
if the workspace exists already.

Examples:
  $ mx-agent workspace create '#ci:example.org' --title 'CI agents'
  $ mx-agent workspace create agents@conference.example.org --public`,
    )
    .action(async (name: string, values: Record<string, unknown>) => {
      const { createWorkspace } = await import('./workspace-action.ts');
      await createWorkspace(name, values, context());
    });
  workspace
    .command('join')
    .description('join a workspace as an agent (your card is published there)')
    .argument('<workspace>', 'a Matrix room alias or id, or an XMPP room address')
    .addHelpText(
      'after',
      `
Example:
  $ mx-agent --profile builder workspace join '#ci:example.org'`,
    )
    .action(async (name: string) => {
      const { joinWorkspace } = await import('./workspace-action.ts');
      await joinWorkspace(name, context());
    });
  workspace
    .command('invite')
    .description('invite an account; the owner’s invitation also lets it publish its card')
    .argument('<workspace>', 'the workspace')
    .argument('<account>', 'a Matrix user id (@bot:example.org) or a bare JID (bot@example.org)')
    .addHelpText(
      'after',
      `
Example:
  $ mx-agent workspace invite '#ci:example.org' @builder:example.org`,
    )
    .action(async (name: string, account: string) => {
      const { inviteToWorkspace } = await import('./workspace-action.ts');
      await inviteToWorkspace(name, account, context());
    });
  workspace
    .command('grant')
    .description('let an account publish agent cards in a workspace you own (or --revoke)')
    .argument('<workspace>', 'the workspace')
    .argument('<account>', 'a Matrix user id or a bare JID')
    .option('--revoke', 'take the right away instead')
    .addHelpText(
      'after',
      `
On XMPP, revoking in a private workspace also takes away the right to enter it
(a members-only room admits only its members).

Examples:
  $ mx-agent workspace grant '#ci:example.org' @helper:example.org
  $ mx-agent workspace grant '#ci:example.org' @helper:example.org --revoke`,
    )
    .action(async (name: string, account: string, values: Record<string, unknown>) => {
      const { grantInWorkspace } = await import('./workspace-action.ts');
      await grantInWorkspace(name, account, values, context());
    });
  workspace
    .command('leave')
    .description('stop publishing your card in a workspace and leave it')
    .argument('<workspace>', 'the workspace')
    .addHelpText(
      'after',
      `
Example:
  $ mx-agent workspace leave '#ci:example.org'`,
    )
    .action(async (name: string) => {
      const { leaveWorkspace } = await import('./workspace-action.ts');
      await leaveWorkspace(name, context());
    });
  workspace
    .command('list')
    .description('list the workspaces each profile has joined as an agent')
    .addHelpText(
      'after',
      `
Reads local settings only; \`mx-agent discover\` shows who is in them.

Examples:
  $ mx-agent workspace list
  $ mx-agent --json workspace list`,
    )
    .action(async () => {
      const { listWorkspaces } = await import('./workspace-action.ts');
      listWorkspaces(context());
    });
  return workspace;
}
