import type { OptionValues } from 'commander';
import { resolvePaths } from '../../config/paths.ts';
import type { Profile } from '../../config/profile.ts';
import { WorkspaceList } from '../../config/workspace-list.ts';
import { UsageError, messageOf } from '../../errors.ts';
import { refreshHost } from '../../session/control.ts';
import { sessionFiles } from '../../session/files.ts';
import type { Transport } from '../../transport/transport.ts';
import { openProfileStore, withProfileTransport } from '../connect.ts';
import type { CliContext } from '../context.ts';
import { flagOption, stringOption } from '../option-values.ts';

/** One row of `workspace list`. */
export interface WorkspaceRow {
  readonly profile: string;
  readonly network: string;
  readonly workspace: string;
}

/** `workspace create`: create, remember, and have the host publish the card there. */
export async function createWorkspace(
  name: string,
  values: OptionValues,
  context: CliContext,
): Promise<void> {
  const isPublic = flagOption(values, 'public');
  const title = stringOption(values, 'title');
  const result = await withProfileTransport(context, async (transport, profile) => {
    const info = await transport.createWorkspace(
      await workspaceOf(transport, name, context),
      { public: isPublic, ...(title === undefined ? {} : { title }) },
      { signal: context.signal, timeoutMs: 30_000 },
    );
    await remember(profile, info.workspace, context);
    return { workspace: info.workspace, public: isPublic, profile: profile.name };
  });
  context.output.result(
    result,
    (r) =>
      `created ${r.public ? 'public' : 'private'} workspace ${r.workspace}; you own it\n` +
      `invite agents with: mx-agent workspace invite ${quoteArg(r.workspace)} ADDRESS`,
  );
}

/** `workspace join`: join (checking we may), remember, publish. */
export async function joinWorkspace(name: string, context: CliContext): Promise<void> {
  const result = await withProfileTransport(context, async (transport, profile) => {
    const workspace = await workspaceOf(transport, name, context);
    await transport.joinWorkspace(workspace, { signal: context.signal, timeoutMs: 30_000 });
    await remember(profile, workspace, context);
    const roles = await transport.roles(workspace, { signal: context.signal });
    const role = roles.find((r) => r.account === accountOf(transport))?.role ?? 'member';
    return { workspace, profile: profile.name, role };
  });
  context.output.result(result, (r) =>
    r.role === 'member'
      ? `joined ${r.workspace}; you may not publish your agent card there yet: ask its owner to run\n  mx-agent workspace grant ${quoteArg(r.workspace)} YOUR-ADDRESS`
      : `joined ${r.workspace} as ${r.role}; your agent card is published there`,
  );
}

/** `workspace invite`. */
export async function inviteToWorkspace(
  name: string,
  account: string,
  context: CliContext,
): Promise<void> {
  const result = await withProfileTransport(context, async (transport) => {
    const workspace = await workspaceOf(transport, name, context);
    const wait = { signal: context.signal, timeoutMs: 30_000 };
    await transport.joinWorkspace(workspace, wait);
    await transport.invite(workspace, account, wait);
    return { workspace, account };
  });
  context.output.result(result, (r) => `invited ${r.account} to ${r.workspace}`);
}

/** `workspace grant [--revoke]`. */
export async function grantInWorkspace(
  name: string,
  account: string,
  values: OptionValues,
  context: CliContext,
): Promise<void> {
  const role = flagOption(values, 'revoke') ? 'member' : 'publisher';
  const result = await withProfileTransport(context, async (transport) => {
    const workspace = await workspaceOf(transport, name, context);
    const wait = { signal: context.signal, timeoutMs: 30_000 };
    await transport.joinWorkspace(workspace, wait);
    await transport.setRole(workspace, account, role, wait);
    return { workspace, account, role };
  });
  context.output.result(result, (r) =>
    r.role === 'publisher'
      ? `${r.account} may now publish agent cards in ${r.workspace}`
      : `${r.account} may no longer publish agent cards in ${r.workspace}`,
  );
}

/** `workspace leave`: forget, stop publishing, leave. */
export async function leaveWorkspace(name: string, context: CliContext): Promise<void> {
  const result = await withProfileTransport(context, async (transport, profile) => {
    const workspace = await workspaceOf(transport, name, context);
    const wait = { signal: context.signal, timeoutMs: 30_000 };
    // Hold the workspace ourselves while the host stops publishing there (it says goodbye and
    // lets go), so that only our own leave takes us out: re-entering a private workspace just
    // left would need a new invitation.
    await transport.joinWorkspace(workspace, wait);
    new WorkspaceList(resolvePaths()).remove(profile.name, workspace);
    await refresh(profile, context);
    await transport.leaveWorkspace(workspace, wait);
    return { workspace, profile: profile.name };
  });
  context.output.result(result, (r) => `left ${r.workspace}`);
}

/** `workspace list`: every profile's workspaces, from local settings. */
export function listWorkspaces(context: CliContext): void {
  const list = new WorkspaceList(resolvePaths());
  const store = openProfileStore();
  const profiles = context.profile === undefined ? store.list() : [store.get(context.profile)];
  const rows: WorkspaceRow[] = profiles.flatMap((p) =>
    list.of(p.name).map((workspace) => ({ profile: p.name, network: p.network, workspace })),
  );
  context.output.result(rows, (r) =>
    r.length === 0
      ? 'no workspaces yet: `mx-agent workspace create` or `mx-agent workspace join` one'
      : r.map((row) => `${row.workspace}  (${row.network}, profile ${row.profile})`).join('\n'),
  );
}

/** The workspace `name` names on this transport's network (UsageError for a peer address). */
async function workspaceOf(
  transport: Transport,
  name: string,
  context: CliContext,
): Promise<string> {
  const target = await transport.resolveTarget(name, { signal: context.signal });
  if (target.kind === 'workspace') return target.workspace;
  // XMPP cannot tell a room that does not exist yet from an account: trust the user's word.
  if (transport.network === 'xmpp' && !name.includes('/')) return name;
  throw new UsageError(
    `expected a workspace (a Matrix room alias like #team:example.org, or an XMPP room like team@conference.example.org), got the address ${JSON.stringify(name)}`,
  );
}

async function remember(profile: Profile, workspace: string, context: CliContext): Promise<void> {
  new WorkspaceList(resolvePaths()).add(profile.name, workspace);
  await refresh(profile, context);
}

/** Have a running host apply the change now (the next one reads it at start). */
async function refresh(profile: Profile, context: CliContext): Promise<void> {
  try {
    await refreshHost(sessionFiles(profile.name, resolvePaths()));
  } catch (error) {
    context.output.warn(`the session host did not apply the change yet: ${messageOf(error)}`);
  }
}

function accountOf(transport: Transport): string {
  // Matrix: the user id; XMPP: the bare JID of our full address.
  return transport.address.split('/')[0] ?? transport.address;
}

function quoteArg(value: string): string {
  return /^[A-Za-z0-9@._:/-]+$/.test(value) ? value : `'${value}'`;
}
