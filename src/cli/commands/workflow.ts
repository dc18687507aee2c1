import { Command } from 'commander';
import type { ContextSource } from '../context.ts';
import { collect } from '../option-values.ts';

/** `mx-agent workflow validate|run`: check a workflow file, or run it across peer agents. */
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
    .description('run a workflow across the agents of your workspaces')
    .argument('<file>', 'the workflow file')
    .option('--input <name=value>', 'a workflow input (repeatable)', collect)
    .addHelpText(
      'after',
      `
Jobs run on the agent named by runs-on, or on a live agent you trust whose card
offers the capabilities; independent jobs run at once, a failed job's
dependents are skipped (with why), retries follow the file. Output is shown
line by line with the job's name (--json: one event per line). Exits 0 when
the workflow succeeded, 7 when it failed, 130 on Ctrl-C (running steps are
cancelled on their agents).

Examples:
  $ mx-agent workflow run ci.yml
  $ mx-agent --json workflow run ci.yml --input ref=v1.2`,
    )
    .action(async (file: string, values: Record<string, unknown>) => {
      const { runWorkflowFile } = await import('./workflow-run-action.ts');
      await runWorkflowFile(file, values, context());
    });
  return workflow;
}
