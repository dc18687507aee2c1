import { accountId } from '../../config/profile.ts';
import { openProfileStore } from '../connect.ts';
import type { CliContext } from '../context.ts';

/** Remove a profile (the named one, else --profile, else the default) and its secret. */
export function logout(name: string | undefined, context: CliContext): void {
  const store = openProfileStore();
  const { removed, defaultName } = store.remove(name ?? store.get(context.profile).name);
  context.output.result(
    { removed: removed.name, account: accountId(removed), default: defaultName ?? null },
    (r) =>
      `removed profile "${r.removed}" (${r.account})${r.default === null ? '' : `; the default profile is "${r.default}"`}`,
  );
}
