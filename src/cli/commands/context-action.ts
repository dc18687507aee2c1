import { join, resolve } from 'node:path';
import type { OptionValues } from 'commander';
import { resolvePaths } from '../../config/paths.ts';
import type { Profile } from '../../config/profile.ts';
import { WorkspaceList } from '../../config/workspace-list.ts';
import { applyBundle } from '../../context/apply-bundle.ts';
import { decodeContent, type ContextBundle } from '../../context/bundle.ts';
import { findShares, fetchBundle, type ShareMessage } from '../../context/share.ts';
import { summarizeWithheld } from '../../context/withheld.ts';
import { writeBundle } from '../../context/write-bundle.ts';
import { UsageError, quote } from '../../errors.ts';
import type { Target, Transport } from '../../transport/transport.ts';
import { withProfileTransport } from '../connect.ts';
import type { CliContext } from '../context.ts';
import { EXIT_CODES } from '../exit-codes.ts';
import { flagOption, listOption, stringOption } from '../option-values.ts';

/** One row of `context list`. */
export interface ShareRow {
  readonly id: string;
  readonly from: string;
  readonly where: string;
  readonly time: string;
  readonly title?: string;
  readonly branch?: string;
  readonly files: number;
  readonly diffBytes: number;
  readonly size: number;
}

/** `context list`. */
export async function listShares(values: OptionValues, context: CliContext): Promise<void> {
  const rows = await withProfileTransport(context, async (transport, profile) => {
    const shares = await sharesIn(transport, profile, values, context);
    return shares.map(rowOf);
  });
  context.output.result(rows, (r) =>
    r.length === 0
      ? 'no shares found'
      : r
          .map(
            (s) =>
              `${s.id}  ${s.time}  from ${s.from} in ${s.where}: ${s.title ?? '(untitled)'}` +
              `${s.branch ? ` [${s.branch}]` : ''}, ${String(s.files)} file(s), diff ${String(s.diffBytes)} bytes`,
          )
          .join('\n'),
  );
}

/** `context show ID`. */
export async function showShare(
  id: string,
  values: OptionValues,
  context: CliContext,
): Promise<void> {
  const { share, bundle } = await fetchShare(id, values, context);
  const withDiff = flagOption(values, 'diff');
  context.output.result({ share: rowOf(share), bundle }, () =>
    formatBundle(share, bundle, withDiff),
  );
}

/** `context pull ID [--dir] [--apply]`. */
export async function pullShare(
  id: string,
  values: OptionValues,
  context: CliContext,
): Promise<void> {
  const { share, bundle } = await fetchShare(id, values, context);
  const dir = resolve(stringOption(values, 'dir') ?? share.id);
  const written = await writeBundle(bundle, dir, { overwrite: flagOption(values, 'overwrite') });
  let applied: Awaited<ReturnType<typeof applyBundle>> | undefined;
  if (flagOption(values, 'apply')) {
    if (!bundle.git) throw new UsageError(`share ${share.id} has no git diff to apply`);
    applied = await applyBundle(bundle, { repo: process.cwd(), dir: join(dir, 'worktree') });
  }
  context.output.result(
    {
      id: share.id,
      dir: written.dir,
      written: written.written,
      ...(applied ? { apply: applied } : {}),
    },
    (r) => {
      const lines = [`wrote ${r.id} to ${r.dir}: ${r.written.join(', ')}`];
      if (applied) {
        lines.push(applied.message);
        for (const c of applied.conflicts) lines.push(`  conflict: ${c}`);
      }
      return lines.join('\n');
    },
  );
  if (applied && !applied.applied) context.exitWith(EXIT_CODES.refused);
}

async function sharesIn(
  transport: Transport,
  profile: Profile,
  values: OptionValues,
  context: CliContext,
): Promise<ShareMessage[]> {
  const targets: Target[] = [];
  const wait = { signal: context.signal, timeoutMs: 60_000 };
  let workspaces = listOption(values, 'in');
  const peers = listOption(values, 'with');
  if (workspaces.length === 0 && peers.length === 0) {
    workspaces = new WorkspaceList(resolvePaths()).of(profile.name);
    const env = process.env.MX_AGENT_WORKSPACE;
    if (env && !workspaces.includes(env)) workspaces.push(env);
  }
  for (const w of workspaces) {
    const target = await transport.resolveTarget(w, wait);
    if (target.kind !== 'workspace')
      throw new UsageError(`expected --in to name a workspace, got ${quote(w)}`);
    if (!transport.joinedWorkspaces().includes(target.workspace))
      await transport.joinWorkspace(target.workspace, wait);
    targets.push(target);
  }
  for (const p of peers) {
    const target = await transport.resolveTarget(p, wait);
    if (target.kind !== 'direct')
      throw new UsageError(`expected --with to name a peer, got ${quote(p)}`);
    targets.push(target);
  }
  if (targets.length === 0)
    throw new UsageError(
      'no workspace to look in: join one, or give --in WORKSPACE or --with ADDRESS',
    );
  const lists = await Promise.all(
    targets.map((t) =>
      findShares(transport, t, {
        ...wait,
        reject: (reason) => {
          context.output.debug(`ignored ${reason}`);
        },
      }),
    ),
  );
  return lists.flat().sort((a, b) => b.timestamp - a.timestamp);
}

async function findOne(
  transport: Transport,
  profile: Profile,
  id: string,
  values: OptionValues,
  context: CliContext,
): Promise<ShareMessage> {
  const shares = await sharesIn(transport, profile, values, context);
  const matches = [
    ...new Map(shares.filter((s) => s.id.startsWith(id)).map((s) => [s.id, s])).values(),
  ];
  if (matches.length === 0)
    throw new UsageError(
      `no share ${quote(id)} found; \`mx-agent context list\` shows those you can read`,
    );
  if (matches.length > 1)
    throw new UsageError(
      `${quote(id)} matches ${String(matches.length)} shares: ${matches.map((m) => m.id).join(', ')}`,
    );
  return matches[0] as ShareMessage;
}

/** Find one share by id (or prefix) and fetch its verified bundle. */
async function fetchShare(
  id: string,
  values: OptionValues,
  context: CliContext,
): Promise<{ share: ShareMessage; bundle: ContextBundle }> {
  checkShareId(id);
  return withProfileTransport(context, async (transport, profile) => {
    const share = await findOne(transport, profile, id, values, context);
    const wait = { signal: context.signal, timeoutMs: 120_000 };
    return { share, bundle: await fetchBundle(transport, share, wait) };
  });
}

/** A share id or a prefix of one (`ctx-` and base32), or UsageError naming the form. */
function checkShareId(id: string): void {
  if (!/^ctx-[a-z2-7]{0,12}$/.test(id))
    throw new UsageError(
      `expected a share id like ctx-abcdefgh2345 (or a prefix of one), got ${quote(id)}`,
    );
}

function rowOf(s: ShareMessage): ShareRow {
  return {
    id: s.id,
    from: s.from,
    where: s.target.kind === 'workspace' ? s.target.workspace : 'direct',
    time: new Date(s.timestamp).toISOString(),
    ...(s.summary.title === undefined ? {} : { title: s.summary.title }),
    ...(s.summary.branch === undefined ? {} : { branch: s.summary.branch }),
    files: s.summary.files,
    diffBytes: s.summary.diffBytes,
    size: s.size,
  };
}

function formatBundle(share: ShareMessage, bundle: ContextBundle, withDiff: boolean): string {
  const lines = [
    `${bundle.id}: ${bundle.title ?? '(untitled)'}`,
    `from ${share.from}, ${new Date(bundle.created).toISOString()} (sha256 ${share.sha256.slice(0, 12)}… verified)`,
  ];
  const git = bundle.git;
  if (git) {
    lines.push(
      '',
      `git: ${git.remote ?? '(no remote)'} ${git.branch ?? '(detached)'} at ${git.head.slice(0, 12)}`,
      `diff against ${git.baseRef} (${git.base.slice(0, 12)}): ${String(git.stat.files)} file(s), +${String(git.stat.insertions)} -${String(git.stat.deletions)}`,
    );
    if (git.status.trim() !== '')
      lines.push(
        ...git.status
          .trimEnd()
          .split('\n')
          .map((l) => `  ${l}`),
      );
  }
  if (bundle.files.length > 0) {
    lines.push('', 'files:');
    for (const f of bundle.files) lines.push(`  ${f.path} (${String(f.size)} bytes)`);
  }
  if (bundle.env) {
    lines.push(
      '',
      `environment: ${bundle.env.system.os} ${bundle.env.system.arch}, node ${bundle.env.system.node}`,
    );
    for (const [k, v] of Object.entries(bundle.env.vars)) lines.push(`  ${k}=${v}`);
  }
  if (bundle.notes) lines.push('', 'notes:', bundle.notes);
  const withheld = summarizeWithheld(bundle.withheld);
  lines.push(
    '',
    withheld.length === 0
      ? 'withheld: nothing'
      : `withheld:\n${withheld.map((w) => `  ${w}`).join('\n')}`,
  );
  if (withDiff && git)
    lines.push('', decodeContent(git.diff.encoding, git.diff.data).toString('utf8'));
  return lines.join('\n');
}
