/**
 * Which agent runs each job of a run: the agent `runs-on` names, or a live agent whose card
 * offers the capabilities and every tool the job uses, whose key (as on its card) you trust,
 * reached on a network you have a profile for — leaving out the agents lost during the run.
 */
import type { DiscoveredAgent } from '../discovery/agents.ts';
import type { TrustEntry } from '../security/trust-store.ts';
import type { Network, Transport } from '../transport/transport.ts';
import type { WorkerResolver } from './orchestrator.ts';
import { toolsUsedBy } from './tool-task.ts';
import type { Workflow } from './workflow-types.ts';

/**
 * Pick the worker of each job: the agent named, or a live agent you trust (with the key on its
 * card) that offers the capabilities and every tool the job's steps use, reached on any
 * network you have a profile for; among several, the one given the fewest jobs of this run,
 * then the least loaded.
 */
export function workerResolver(
  transports: readonly Transport[],
  agents: readonly DiscoveredAgent[],
  trusted: readonly TrustEntry[],
  workflow: Workflow,
): WorkerResolver {
  const used = new Map<string, number>();
  const byNetwork = new Map<Network, Transport>();
  for (const t of transports) if (!byNetwork.has(t.network)) byNetwork.set(t.network, t);
  const route = (a: DiscoveredAgent): { address: string; transport: Transport } | undefined => {
    for (const entry of a.card.addresses) {
      const transport = byNetwork.get(entry.network);
      if (transport !== undefined) return { address: entry.address, transport };
    }
    return undefined;
  };
  return (runsOn, job, exclude) => {
    const matching =
      'agent' in runsOn
        ? agents.filter((a) => a.id === runsOn.agent)
        : agents.filter((a) => runsOn.capabilities.every((c) => a.card.capabilities.includes(c)));
    const jobTools = toolsOf(workflow, job);
    const candidates = matching.filter((a) => offersTools(a, jobTools));
    const wanted =
      ('agent' in runsOn
        ? `agent ${runsOn.agent}`
        : `agent with ${runsOn.capabilities.join(', ')}`) +
      (jobTools.length === 0 ? '' : ` offering the tool(s) ${jobTools.join(', ')}`);
    if (candidates.length === 0)
      return `job ${job}: no ${wanted} in your workspaces (\`mx-agent discover\` lists who is there and their skills)`;
    const usable = candidates.filter(
      (a) =>
        a.liveness === 'active' &&
        !exclude.has(a.id) &&
        route(a) !== undefined &&
        trusted.some((t) => t.agent === a.id && t.fingerprint === a.card.signingKey),
    );
    if (usable.length === 0) {
      const a = candidates[0] as DiscoveredAgent;
      if (candidates.every((c) => exclude.has(c.id)))
        return `job ${job}: every ${wanted} stopped answering during this run`;
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
    const way = route(pick) as { address: string; transport: Transport };
    return {
      agent: pick.id,
      address: way.address,
      publicKey: entry?.key ?? '',
      transport: way.transport,
    };
  };
}

/** The tools job `id`'s steps use. */
function toolsOf(workflow: Workflow, id: string): string[] {
  const job = workflow.jobs[id];
  return job === undefined ? [] : toolsUsedBy(job);
}

/** True when `agent`'s card lists every tool of `tools` among its skills. */
function offersTools(agent: DiscoveredAgent, tools: readonly string[]): boolean {
  return tools.every((tool) => agent.card.skills.some((skill) => skill.name === tool));
}
