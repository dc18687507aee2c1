import { readFileSync } from 'node:fs';
import type { OptionValues } from 'commander';
import { resolvePaths } from '../../config/paths.ts';
import type { Profile } from '../../config/profile.ts';
import { WorkspaceList } from '../../config/workspace-list.ts';
import { buildBundle } from '../../context/build-bundle.ts';
import { sendShare } from '../../context/share.ts';
import { discoverAgents } from '../../discovery/discover.ts';
import { UsageError, messageOf, quote } from '../../errors.ts';
import type { Target, Transport } from '../../transport/transport.ts';
import { withProfileTransport } from '../connect.ts';
import type { CliContext } from '../context.ts';
import { flagOption, listOption, stringOption } from '../option-values.ts';

/** `share-context`: build (and scrub) locally first, then connect and send. */
export async function shareContext(values: OptionValues, context: CliContext): Promise<void> {
  const to = stringOption(values, 'to') ?? process.env.MX_AGENT_WORKSPACE;
  if (to === undefined || to === '')
    throw new UsageError(
      'say where to share: --to WORKSPACE, --to ADDRESS or --to AGENT (or set MX_AGENT_WORKSPACE)',
    );
  const git = flagOption(values, 'git');
  const base = stringOption(values, 'base');
  if (base !== undefined && !git) throw new UsageError('--base goes with --git');
  const files = listOption(values, 'files');
  const env = flagOption(values, 'env');
  const allow = listOption(values, 'allow');
  if (allow.length > 0 && !env) throw new UsageError('--allow goes with --env');
  const note = stringOption(values, 'note');
  const noteFile = stringOption(values, 'noteFile');
  if (note !== undefined && noteFile !== undefined)
    throw new UsageError('give the note either with --note or with --note-file, not both');
  const notes = noteFile === undefined ? note : readNote(noteFile);
  const title = stringOption(values, 'title');
  if (!git && files.length === 0 && !env && notes === undefined)
    throw new UsageError('nothing to share: give --git, --files, --env or a note');
  const { bundle, summary } = await buildBundle({
    cwd: process.cwd(),
    ...(git ? { git: base === undefined ? {} : { base } } : {}),
    ...(files.length > 0 ? { files } : {}),
    ...(env ? { env: allow.length > 0 ? { allow } : {} } : {}),
    ...(notes === undefined ? {} : { notes }),
    ...(title === undefined ? {} : { title }),
  });
  const sent = await withProfileTransport(context, async (transport, profile) => {
    const target = await targetFor(transport, profile, to, context);
    const wait = { signal: context.signal, timeoutMs: 120_000 };
    const joined =
      target.kind === 'workspace' && !transport.joinedWorkspaces().includes(target.workspace);
    if (joined) await transport.joinWorkspace(target.workspace, wait);
    return sendShare(transport, target, bundle, wait);
  });
  const report = {
    ...sent,
    to,
    files: bundle.files.length,
    ...(bundle.git ? { diff: bundle.git.stat, diffBytes: bundle.git.diff.bytes } : {}),
    envVars: Object.keys(bundle.env?.vars ?? {}).length,
    withheld: summary,
  };
  context.output.result(report, (r) => {
    const parts = [`${String(r.files)} file(s)`];
    if (bundle.git)
      parts.push(
        `diff of ${String(bundle.git.stat.files)} file(s) +${String(bundle.git.stat.insertions)} -${String(bundle.git.stat.deletions)}`,
      );
    if (bundle.env) parts.push(`${String(r.envVars)} environment variable(s)`);
    if (bundle.notes !== undefined) parts.push('a note');
    const lines = [
      `shared ${r.id} with ${r.to}: ${parts.join(', ')} (${String(r.size)} bytes, ${r.inline ? 'inline' : 'as an attachment'})`,
    ];
    lines.push(
      summary.length === 0
        ? 'withheld: nothing'
        : `withheld:\n${summary.map((s) => `  ${s}`).join('\n')}`,
    );
    return lines.join('\n');
  });
}

function readNote(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (error) {
    throw new UsageError(
      `expected --note-file to be a readable file, got ${quote(file)}: ${messageOf(error)}`,
    );
  }
}

/** A workspace or address as such; otherwise an agent id or name from discovery. */
export async function targetFor(
  transport: Transport,
  profile: Profile,
  to: string,
  context: CliContext,
): Promise<Target> {
  try {
    return await transport.resolveTarget(to, { signal: context.signal });
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    const workspaces = new WorkspaceList(resolvePaths()).of(profile.name);
    const { agents } = await discoverAgents([{ profile: profile.name, transport, workspaces }], {
      signal: context.signal,
    });
    const matches = agents.filter((a) => a.id === to || a.card.name === to);
    const here = matches.flatMap((a) =>
      a.card.addresses.filter((x) => x.network === transport.network).map((x) => x.address),
    );
    if (here.length === 1 && here[0] !== undefined) return { kind: 'direct', address: here[0] };
    if (here.length > 1)
      throw new UsageError(`${quote(to)} names more than one agent: use its id or an address`);
    throw new UsageError(
      `expected --to to be a workspace, an address, or the id or name of an agent \`mx-agent discover\` shows on ${transport.network}, got ${quote(to)} (${messageOf(error)})`,
    );
  }
}
