import { Command } from 'commander';
import type { ContextSource } from '../context.ts';

/** `mx-agent backup enable|status|restore`: server-side key backup on Matrix. */
export function backupCommand(context: ContextSource): Command {
  const backup = new Command('backup')
    .description('server-side backup of Matrix room keys, under a recovery key')
    .addHelpText(
      'after',
      `
Room keys let a device read encrypted messages. Backed up (encrypted with a key
only the recovery key opens), they survive the loss of every device. These
commands use the device's keys, so the profile's session host is stopped first.

Examples:
  $ mx-agent backup enable
  $ mx-agent backup status
  $ mx-agent backup restore --recovery-key-stdin < recovery-key.txt`,
    );
  backup
    .command('enable')
    .description('start backing up room keys; prints a new recovery key once')
    .option('--reset', 'replace an existing backup (its keys become unreadable)')
    .addHelpText(
      'after',
      `
The recovery key is printed once and stored nowhere: keep it in a password
manager. It also protects the account's cross-signing keys (secret storage).`,
    )
    .action(async (values: Record<string, unknown>) => {
      const { enableBackup } = await import('./backup-action.ts');
      await enableBackup(values.reset === true, context());
    });
  backup
    .command('status')
    .description('show the backup version, how many keys it holds, and whether this device uses it')
    .action(async () => {
      const { backupStatus } = await import('./backup-action.ts');
      await backupStatus(context());
    });
  backup
    .command('restore')
    .description('import every room key of the backup into this device')
    .option('--recovery-key-stdin', 'read the recovery key from stdin instead of prompting')
    .action(async (values: Record<string, unknown>) => {
      const { restoreBackup } = await import('./backup-action.ts');
      await restoreBackup(values.recoveryKeyStdin === true, context());
    });
  return backup;
}
