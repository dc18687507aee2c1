import type { Trust } from '../../transport/matrix/trust.ts';
import type { Transport } from '../../transport/transport.ts';
import { withDeviceKeys } from '../connect.ts';
import type { CliContext } from '../context.ts';
import { promptSecret, readSecretFromStdin } from '../prompt.ts';

async function trustOf(transport: Transport): Promise<Trust> {
  const { matrixTrust } = await import('../../transport/matrix/index.ts');
  return matrixTrust(transport);
}

/** `backup enable`. */
export async function enableBackup(reset: boolean, context: CliContext): Promise<void> {
  await withDeviceKeys(context, async (transport) => {
    const { recoveryKey, version } = await (await trustOf(transport)).enableBackup(reset);
    context.output.result({ version, recoveryKey }, (r) =>
      [
        `key backup enabled (version ${r.version})`,
        '',
        `recovery key:  ${r.recoveryKey}`,
        '',
        'This is shown once and stored nowhere. Keep it in a password manager: it is the only',
        'way to read the backup (and the cross-signing keys) if every device is lost.',
      ].join('\n'),
    );
  });
}

/** `backup status`. */
export async function backupStatus(context: CliContext): Promise<void> {
  await withDeviceKeys(context, async (transport) => {
    const status = await (await trustOf(transport)).backupStatus();
    context.output.result(status, (s) =>
      s.version === null
        ? 'no key backup on the homeserver (mx-agent backup enable starts one)'
        : `backup version ${s.version}: ${String(s.keys ?? 0)} keys; this device ${s.active ? 'backs up to it' : 'does not back up to it (mx-agent backup restore)'}`,
    );
  });
}

/** `backup restore`. */
export async function restoreBackup(fromStdin: boolean, context: CliContext): Promise<void> {
  const { output } = context;
  const recoveryKey = fromStdin
    ? await readSecretFromStdin('recovery key', output.stdio)
    : await promptSecret(
        { question: 'recovery key', stdinFlag: '--recovery-key-stdin' },
        output.stdio,
      );
  await withDeviceKeys(context, async (transport) => {
    const result = await (await trustOf(transport)).restoreBackup(recoveryKey);
    output.result(
      result,
      (r) => `restored ${String(r.imported)} of ${String(r.total)} room keys from the backup`,
    );
  });
}
