import { Command } from 'commander';
import type { ContextSource } from '../context.ts';

/** `mx-agent approvals list|approve|deny`: jobs this agent's worker holds for its owner. */
export function approvalsCommand(context: ContextSource): Command {
  const approvals = new Command('approvals')
    .description('jobs your policy holds until you approve them (requires_approval)')
    .addHelpText(
      'after',
      `
A request admitted by a policy rule with requires_approval = true does not run
at once: the worker holds it, tells the requester it waits, and lists it here.
Approve it and the worker checks again that the requester is still trusted and
that the policy as it is now still admits it, then runs it; deny it, or let it
expire (10 minutes by default, MX_AGENT_APPROVAL_WINDOW_MS), and it is refused.
A held job never outlives its worker: a restart refuses it.

Examples:
  $ mx-agent approvals list
  $ mx-agent approvals approve apr-k3j5x2qa
  $ mx-agent approvals deny apr-k3j5x2qa --reason 'not on a Friday'`,
    );
  approvals
    .command('list')
    .description('list the jobs waiting for your decision')
    .option('--all', 'include decided, expired and cancelled ones (kept a week)')
    .addHelpText(
      'after',
      `
Environment variables are shown by name and length only: their values may be
secrets, and they are never written to disk.

Example:
  $ mx-agent --json approvals list --all`,
    )
    .action(async (values: Record<string, unknown>) => {
      const { listApprovals } = await import('./approvals-action.ts');
      listApprovals(values, context());
    });
  approvals
    .command('approve')
    .description('let a held job run (after the worker checks trust and policy again)')
    .argument('<id>', 'the approval id (apr-…), as `approvals list` shows it')
    .addHelpText(
      'after',
      `
Exits 6 when the job expired, was decided already or its worker is gone, and 2
for an unknown id.

Example:
  $ mx-agent approvals approve apr-k3j5x2qa`,
    )
    .action(async (id: string) => {
      const { decideApproval } = await import('./approvals-action.ts');
      decideApproval(id, 'approved', {}, context());
    });
  approvals
    .command('deny')
    .description('refuse a held job; its requester is told why')
    .argument('<id>', 'the approval id (apr-…), as `approvals list` shows it')
    .option('--reason <text>', 'why, for the requester and the audit log')
    .addHelpText(
      'after',
      "\nExample:\n  $ mx-agent approvals deny apr-k3j5x2qa --reason 'wrong branch'",
    )
    .action(async (id: string, values: Record<string, unknown>) => {
      const { decideApproval } = await import('./approvals-action.ts');
      decideApproval(id, 'denied', values, context());
    });
  return approvals;
}
