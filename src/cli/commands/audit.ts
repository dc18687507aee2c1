import { Command } from 'commander';
import type { ContextSource } from '../context.ts';

/** `mx-agent audit verify`: check the hash chain of the audit log. */
export function auditCommand(context: ContextSource): Command {
  const audit = new Command('audit')
    .description('the audit log of every decision on requests from peers')
    .addHelpText(
      'after',
      `
Every request a worker receives is logged with its decision and the reason, one
JSON record per line, each holding the hash of the one before.

Example:
  $ mx-agent audit verify`,
    );
  audit
    .command('verify')
    .description('check that no record was changed, removed or reordered')
    .option('--file <path>', 'the log to check (default: the data directory’s audit.jsonl)')
    .addHelpText(
      'after',
      `
Exits 0 when the chain holds, 3 naming the first bad line otherwise.

Example:
  $ mx-agent audit verify --file /var/backups/audit.jsonl`,
    )
    .action(async (values: Record<string, unknown>) => {
      const { verifyAudit } = await import('./audit-action.ts');
      verifyAudit(values, context());
    });
  return audit;
}
