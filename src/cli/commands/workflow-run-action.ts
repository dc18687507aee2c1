import { randomBytes } from 'node:crypto';
import type { OptionValues } from 'commander';
import { AgentSettingsStore } from '../../config/agent-settings.ts';
import { resolvePaths } from '../../config/paths.ts';
import { securityFiles } from '../../config/security-files.ts';
import { WorkspaceList } from '../../config/workspace-list.ts';
import type { DiscoveredAgent } from '../../discovery/agents.ts';
import { discoverAgents } from '../../discovery/discover.ts';
import { UsageError, quote } from '../../errors.ts';
import { loadOrCreateSigningKey } from '../../security/signing-key.ts';
import { TrustStore } from '../../security/trust-store.ts';
import type { Transport } from '../../transport/transport.ts';
import { runWorkflow, type RunEvent, type WorkerResolver } from '../../workflow/orchestrator.ts';
import { resolveInputs } from '../../workflow/workflow-inputs.ts';
import { withProfileTransport } from '../connect.ts';
import type { CliContext } from '../context.ts';
import { EXIT_CODES } from '../exit-codes.ts';
import { readWorkflowFile } from './workflow-action.ts';
import { listOption } from '../option-values.ts';

/** `workflow run FILE [--input K=V]...`: run it across the agents of your workspaces. */
export async function runWorkflowFile(
  file: string,
  values: OptionValues,
  context: CliContext,
): Promise<void> {
  const workflow = readWorkflowFile(file);
  const given: Record<string, string> = {};
  for (const pair of listOption(values, 'input')) {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new UsageError(`expected --input NAME=VALUE, got ${quote(pair)}`);
    given[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  const inputs = resolveInputs(workflow, given);
  const paths = resolvePaths();
  const key = loadOrCreateSigningKey(securityFiles(paths).keyDir);
  const agent = new AgentSettingsStore(paths).read().id;
  const runId = `run-${randomBytes(6).toString('hex')}`;
  const { output } = context;
  const result = await withProfileTransport(context, async (transport, profile) => {
    const workspaces = new WorkspaceList(paths).of(profile.name);
    const { agents } = await discoverAgents([{ profile: profile.name, transport, workspaces }], {
      signal: context.signal,
    });
    const resolveWorker = workerResolver(
      transport,
      agents,
      new TrustStore(securityFiles(paths).keyDir),
    );
    output.info(
      `run ${runId} of "${workflow.name}" (${String(Object.keys(workflow.jobs).length)} job(s))`,
    );
    return runWorkflow({
      transport,
      agent,
      key,
      workflow,
      inputs,
      runId,
      resolveWorker,
      signal: context.signal,
      onEvent: (event) => {
        output.line({ run: runId, ...event }, () => describe(event));
      },
    });
  });
  if (result.result === 'failed') context.exitWith(EXIT_CODES.remote);
}

/** Pick the worker of each job: the agent named, or a live, trusted agent with the capabilities. */
function workerResolver(
  transport: Transport,
  agents: readonly DiscoveredAgent[],
  trust: TrustStore,
): WorkerResolver {
  const used = new Map<string, number>();
  const trusted = trust.list();
  const addressOf = (a: DiscoveredAgent): string | undefined =>
    a.card.addresses.find((x) => x.network === transport.network)?.address;
  return (runsOn, job) => {
    const candidates =
      'agent' in runsOn
        ? agents.filter((a) => a.id === runsOn.agent)
        : agents.filter((a) => runsOn.capabilities.every((c) => a.card.capabilities.includes(c)));
    const wanted =
      'agent' in runsOn ? runsOn.agent : `an agent with ${runsOn.capabilities.join(', ')}`;
    if (candidates.length === 0)
      return `job ${job}: no ${wanted} in your workspaces (\`mx-agent discover\` lists who is there)`;
    const usable = candidates.filter(
      (a) =>
        a.liveness === 'active' &&
        addressOf(a) !== undefined &&
        trusted.some((t) => t.agent === a.id && t.fingerprint === a.card.signingKey),
    );
    if (usable.length === 0) {
      const a = candidates[0] as DiscoveredAgent;
      if (!trusted.some((t) => t.agent === a.id))
        return `job ${job}: ${a.card.name} (${a.id}) is not trusted here: check its fingerprint ${a.card.signingKey ?? '(none)'} with its owner, then \`mx-agent trust add ${a.id} ${a.card.signingKey ?? 'FINGERPRINT'}\``;
      return `job ${job}: no ${wanted} is active and trusted with the key on its card right now`;
    }
    const pick = [...usable].sort(
      (x, y) =>
        (used.get(x.id) ?? 0) - (used.get(y.id) ?? 0) || (x.load?.jobs ?? 0) - (y.load?.jobs ?? 0),
    )[0] as DiscoveredAgent;
    used.set(pick.id, (used.get(pick.id) ?? 0) + 1);
    const entry = trusted.find(
      (t) => t.agent === pick.id && t.fingerprint === pick.card.signingKey,
    );
    return { agent: pick.id, address: addressOf(pick) as string, publicKey: entry?.key ?? '' };
  };
}

function describe(event: RunEvent): string {
  switch (event.type) {
    case 'job-started':
      return `[${event.job}] started on ${event.agent}${event.attempt > 1 ? ` (attempt ${String(event.attempt)})` : ''}`;
    case 'step-started':
      return `[${event.job}] $ ${event.command}`;
    case 'output':
      return `[${event.job}] ${event.line}`;
    case 'job-finished':
      return event.ok
        ? `✓ ${event.job} (${(event.ms / 1000).toFixed(1)} s)`
        : `✗ ${event.job}: ${event.error ?? 'failed'}`;
    case 'job-skipped':
      return `- ${event.job} skipped: ${event.reason}`;
    case 'run-finished':
      return `workflow ${event.result} in ${(event.ms / 1000).toFixed(1)} s`;
  }
}
