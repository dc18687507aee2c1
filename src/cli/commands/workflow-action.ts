import { topologicalOrder } from '../../workflow/dag.ts';
import { readWorkflowFile } from '../../workflow/workflow-parse.ts';
import type { Job } from '../../workflow/workflow-types.ts';
import type { CliContext } from '../context.ts';

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
