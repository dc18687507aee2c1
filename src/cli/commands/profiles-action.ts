import { accountId } from '../../config/profile.ts';
import { openProfileStore } from '../connect.ts';
import type { CliContext } from '../context.ts';

/** One row of `mx-agent profiles` (the --json form is the array of rows). */
export interface ProfileRow {
  readonly name: string;
  readonly network: string;
  readonly mode: 'client' | 'component' | 'matrix';
  readonly account: string;
  readonly default: boolean;
}

/** Print the stored profiles as a table (or JSON). */
export function listProfiles(context: CliContext): void {
  const store = openProfileStore();
  const defaultName = store.defaultName();
  const rows: ProfileRow[] = store.list().map((p) => ({
    name: p.name,
    network: p.network,
    mode: p.account.mode,
    account: accountId(p),
    default: p.name === defaultName,
  }));
  context.output.result(rows, formatTable);
}

/** Make a stored profile the default. */
export function setDefaultProfile(name: string, context: CliContext): void {
  const profile = openProfileStore().setDefault(name);
  context.output.result(
    { default: profile.name, account: accountId(profile) },
    (r) => `default profile: ${r.default} (${r.account})`,
  );
}

/** `  NAME  NETWORK  ACCOUNT` with `*` marking the default. */
export function formatTable(rows: readonly ProfileRow[]): string {
  if (rows.length === 0)
    return 'no profiles yet; log in with `mx-agent login xmpp --jid alice@example.org`';
  const width = Math.max(4, ...rows.map((r) => r.name.length));
  const line = (mark: string, name: string, network: string, account: string): string =>
    `${mark} ${name.padEnd(width)}  ${network.padEnd(7)}  ${account}`.trimEnd();
  return [
    line(' ', 'NAME', 'NETWORK', 'ACCOUNT'),
    ...rows.map((r) =>
      line(
        r.default ? '*' : ' ',
        r.name,
        r.network,
        `${r.account}${r.mode === 'component' ? ' (component)' : ''}`,
      ),
    ),
  ].join('\n');
}
