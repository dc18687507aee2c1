import { Command } from 'commander';
import type { ContextSource } from '../context.ts';

/** `mx-agent workflow validate`: check a workflow file without running it. */
export function workflowCommand(context: ContextSource): Command {
  const workflow = new Command('workflow')
    .description('workflow files: DAGs of jobs for peer agents')
    .addHelpText(
      'after',
      `
A workflow file (YAML, specs/workflow.schema.json) names jobs, what each needs,
which agent runs it (an agent id, or capabilities to find one by), and its
steps. Running them across agents comes with the worker and orchestrator.

Example:
  $ mx-agent workflow validate ci.yml`,
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
  return workflow;
}
