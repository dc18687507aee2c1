import { Command } from 'commander';
import type { ContextSource } from '../context.ts';
import { collect } from '../option-values.ts';

/** `mx-agent workflow validate|run|status|logs`: workflow files and their runs across peer agents. */
export function workflowCommand(context: ContextSource): Command {
  const workflow = new Command('workflow')
    .description('workflow files: DAGs of jobs for peer agents')
    .addHelpText(
      'after',
      `
A workflow file (YAML, specs/workflow.schema.json) names jobs, what each needs,
which agent runs it (an agent id, or capabilities to find one by), and its
steps. \`workflow run\` sends each step, signed, to the job's agent; that agent
runs it only if it trusts your key and its policy.toml allows it.

Examples:
  $ mx-agent workflow validate ci.yml
  $ mx-agent workflow run ci.yml --input ref=main`,
    );
  workflow
    .command('validate')
    .description('check a workflow file: every problem with its line and column')
    .argument('<file>', 'the workflow file')
    .addHelpText(
      'after',
      `
Exits 0 and prints the jobs in the order they can run when the file is valid;
exits 2 listing every problem as file:line:column: path: message otherwise.

Examples:
  $ mx-agent workflow validate ci.yml
  $ mx-agent --json workflow validate ci.yml`,
    )
    .action(async (file: string) => {
      const { validateWorkflow } = await import('./workflow-action.ts');
      validateWorkflow(file, context());
    });
  workflow
    .command('run')
    .description('run a workflow across the agents of your workspaces, or resume a run')
    .argument('[file]', 'the workflow file')
    .option('--input <name=value>', 'a workflow input (repeatable)', collect)
    .option('--workspace <workspace>', 'find agents and keep the run in this workspace only')
    .option('--resume <run>', 'go on with a run whose orchestrator stopped (run-…)')
    .addHelpText(
      'after',
      `
Jobs run on the agent named by runs-on, or on a live agent you trust whose card
offers the capabilities, on any network you have a profile for (Matrix and XMPP
agents in one run); independent jobs run at once, a failed job's dependents are
skipped (with why), retries follow the file. An agent that stops answering
mid-job is reported and the job moves to another matching agent.

The run's journal (each job's state, outputs and logs) is kept in a workspace
(--workspace, else your first), end-to-end encrypted on Matrix, so \`workflow
status\` and \`workflow logs\` work from anywhere, and --resume RUN goes on
after the orchestrator died without re-running jobs that succeeded.

Output is shown line by line with the job's name (--json: one event per line).
Exits 0 when the workflow succeeded, 7 when it failed, 130 on Ctrl-C (running
steps are cancelled on their agents).

Examples:
  $ mx-agent workflow run ci.yml
  $ mx-agent --json workflow run ci.yml --input ref=v1.2
  $ mx-agent workflow run --resume run-0123456789ab`,
    )
    .action(async (file: string | undefined, values: Record<string, unknown>) => {
      const { runWorkflowFile } = await import('./workflow-run-action.ts');
      await runWorkflowFile(file, values, context());
    });
  workflow
    .command('status')
    .description("show where each job of a run is, from the run's journal")
    .argument('<run>', 'the run id (run-…), as `workflow run` printed it')
    .option('--workspace <workspace>', 'look in this workspace only')
    .addHelpText(
      'after',
      `
Works from any agent in the workspace the run is kept in, while the run goes
on or after it ended. Says whose key signed the run's records.

Examples:
  $ mx-agent workflow status run-0123456789ab
  $ mx-agent --json workflow status run-0123456789ab`,
    )
    .action(async (run: string, values: Record<string, unknown>) => {
      const { showRunStatus } = await import('./workflow-status-action.ts');
      await showRunStatus(run, values, context());
    });
  workflow
    .command('logs')
    .description("print what a run's steps printed, from the run's journal")
    .argument('<run>', 'the run id (run-…)')
    .argument('[job]', 'only this job')
    .option('--workspace <workspace>', 'look in this workspace only')
    .option('-f, --follow', 'keep printing as the run goes on, until it ends (Ctrl-C stops)')
    .addHelpText(
      'after',
      `
Examples:
  $ mx-agent workflow logs run-0123456789ab
  $ mx-agent workflow logs --follow run-0123456789ab
  $ mx-agent workflow logs run-0123456789ab build
  $ mx-agent --json workflow logs run-0123456789ab build`,
    )
    .action(async (run: string, job: string | undefined, values: Record<string, unknown>) => {
      const { showRunLogs } = await import('./workflow-status-action.ts');
      await showRunLogs(run, job, values, context());
    });
  return workflow;
}
