import { readFileSync } from 'node:fs';
import { UsageError, messageOf, quote } from '../../errors.ts';
import { topologicalOrder } from '../../workflow/dag.ts';
import { parseWorkflow } from '../../workflow/workflow-parse.ts';
import type { Job, Workflow } from '../../workflow/workflow-types.ts';
import type { CliContext } from '../context.ts';

/** Read and check a workflow file: UsageError when it cannot be read or is not valid. */
export function readWorkflowFile(file: string): Workflow {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new UsageError(
      `expected a readable workflow file, got ${quote(file)}: ${messageOf(error)}`,
    );
  }
  return parseWorkflow(text, file);
}

/** `workflow validate FILE`: parse and check; print the order jobs can run in. */
export function validateWorkflow(file: string, context: CliContext): void {
  const workflow = readWorkflowFile(file);
  const order = topologicalOrder(workflow.jobs);
  context.output.result({ file, valid: true, order, workflow }, () => {
    const lines = [`${file}: valid workflow "${workflow.name}", ${String(order.length)} job(s)`];
    for (const id of order) {
      const job = workflow.jobs[id] as Job;
      const where =
        'agent' in job.runsOn
          ? job.runsOn.agent
          : `an agent with ${job.runsOn.capabilities.join(', ')}`;
      const needs = job.needs.length > 0 ? `, after ${job.needs.join(', ')}` : '';
      lines.push(`  ${id}: ${String(job.steps.length)} step(s) on ${where}${needs}`);
    }
    return lines.join('\n');
  });
}
