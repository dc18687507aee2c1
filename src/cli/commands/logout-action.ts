import { rmSync } from 'node:fs';
import { matrixStoreDir, wipeMatrixStore } from '../../config/matrix-account.ts';
import { resolvePaths } from '../../config/paths.ts';
import { InterruptedError } from '../../errors.ts';
import { accountId } from '../../config/profile.ts';
import { STOP_TIMEOUT_MS, stopHost } from '../../session/control.ts';
import { sessionFiles } from '../../session/files.ts';
import { openProfileStore } from '../connect.ts';
import type { CliContext } from '../context.ts';
import { confirm } from '../prompt.ts';

/**
 * Remove a profile (the named one, else --profile, else the default) and its secret. Its
 * session host is stopped first, so nothing keeps using the account, and its local session
 * data (undelivered messages, the host's log) goes too. A Matrix device is also logged out on
 * the server and its crypto store deleted, after confirmation (or --yes).
 */
export async function logout(
  name: string | undefined,
  yes: boolean,
  context: CliContext,
): Promise<void> {
  const store = openProfileStore();
  const profile = store.get(name ?? context.profile);
  const paths = resolvePaths();
  if (profile.network === 'matrix' && !yes) {
    const question = `log out device ${profile.account.deviceId} of ${profile.account.userId} and delete its keys? Messages only this device can decrypt will be unreadable here`;
    if (!(await confirm(question, '--yes', context.output.stdio))) {
      throw new InterruptedError('logout cancelled; nothing was changed');
    }
  }
  const files = sessionFiles(profile.name, paths);
  await stopHost(files, { timeoutMs: STOP_TIMEOUT_MS, signal: context.signal });
  for (const file of [files.inbox, files.log, `${files.log}.1`]) rmSync(file, { force: true });
  if (profile.network === 'matrix') {
    const { account } = profile;
    const { logoutDevice } = await import('../../transport/matrix/index.ts');
    if (!(await logoutDevice(account.homeserver, store.readSecret(profile.name)))) {
      context.output.warn(
        `could not log device ${account.deviceId} out on ${account.homeserver}; remove it from another client`,
      );
    }
    await wipeMatrixStore(matrixStoreDir(paths.data, profile.name, account.deviceId));
  }
  const { removed, defaultName } = store.remove(profile.name);
  context.output.result(
    { removed: removed.name, account: accountId(removed), default: defaultName ?? null },
    (r) =>
      `removed profile "${r.removed}" (${r.account})${r.default === null ? '' : `; the default profile is "${r.default}"`}`,
  );
}
