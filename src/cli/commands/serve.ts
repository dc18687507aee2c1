import { Command } from 'commander';
import type { ContextSource } from '../context.ts';

/** `mx-agent serve`: the long-running agent — a chat bot on XMPP and Matrix, and a worker. */
export function serveCommand(context: ContextSource): Command {
  return new Command('serve')
    .description(
      'run the agent: an LLM chat bot on XMPP and Matrix, and the worker peers send jobs to',
    )
    .option('-c, --config <file>', 'the agent.toml (Fluux Agent format; default ./agent.toml)')
    .option('--worker-only', "no chat bot: only be present and run peers' jobs (no [llm] needed)")
    .addHelpText(
      'after',
      `
The agent runs on the XMPP account of agent.toml's [server] (client or
component), on the Matrix profile of [matrix] profile = "NAME", and otherwise on
--profile (or the default profile) from \`mx-agent login\`. Several at once are
fine: one process serves them all, and it is also each profile's session host
(other commands use its connection). People it may answer: [agent] allowed_jids
and allowed_domains (your own domain by default); everyone else gets one polite
refusal. Memory and sessions are files under [memory] path, as Fluux Agent keeps
them. Ctrl-C or SIGTERM stops it.

See docs/configuration.md ("serve") for every key, and wiki/run-a-chat-bot.md.

Examples:
  $ mx-agent serve --config agent.toml
  $ mx-agent --profile bot serve
  $ mx-agent --profile build-box serve --worker-only`,
    )
    .action(async (values: Record<string, unknown>) => {
      const { runServe } = await import('./serve-action.ts');
      await runServe(values, context());
    });
}
