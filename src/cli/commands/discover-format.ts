/** How `discover` shows agents and directory hits: a plain table, or JSON documents. */
import type { DiscoveredAgent } from '../../discovery/agents.ts';
import { cardToJson } from '../../discovery/card.ts';
import type { DiscoveryReport, PublicEntry } from '../../discovery/discover.ts';
import type { JsonObject } from '../../transport/transport.ts';

/** One agent as --json prints it. */
export function agentJson(agent: DiscoveredAgent): JsonObject {
  return {
    id: agent.id,
    liveness: agent.liveness,
    ...(agent.lastSeenMs === undefined ? {} : { last_seen_ms: agent.lastSeenMs }),
    ...(agent.load ? { load: { cpu_pct: agent.load.cpuPercent, jobs: agent.load.jobs } } : {}),
    seen_in: agent.seenIn.map((s) => ({ network: s.network, workspace: s.workspace })),
    accounts: [...agent.accounts],
    card: cardToJson(agent.card),
  };
}

/** A short age: 12s, 3m, 2h, 4d. */
export function formatAge(ms: number): string {
  const s = Math.round(ms / 1000);
  if (s < 90) return `${String(s)}s`;
  if (s < 90 * 60) return `${String(Math.round(s / 60))}m`;
  if (s < 36 * 3600) return `${String(Math.round(s / 3600))}h`;
  return `${String(Math.round(s / 86_400))}d`;
}

/** "active 12s ago", "offline (never seen)". */
export function livenessText(agent: DiscoveredAgent): string {
  if (agent.lastSeenMs === undefined) return `${agent.liveness}, never seen`;
  return `${agent.liveness}, ${formatAge(agent.lastSeenMs)} ago`;
}

/** The rows of the agents table: header first. */
export function agentRows(agents: readonly DiscoveredAgent[]): string[][] {
  return [
    ['NAME', 'KIND', 'STATUS', 'CAPABILITIES', 'ADDRESSES', 'ID'],
    ...agents.map((a) => [
      a.card.name,
      a.card.kind,
      livenessText(a),
      a.card.capabilities.join(',') || '-',
      a.card.addresses.map((x) => x.address).join(' '),
      a.id,
    ]),
  ];
}

/** Columns padded to their widest cell. */
export function formatTable(rows: readonly (readonly string[])[]): string {
  const widths: number[] = [];
  for (const row of rows)
    row.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, cell.length)));
  return rows
    .map((row) =>
      row.map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i] ?? 0))).join('  '),
    )
    .join('\n');
}

/** The whole text report. */
export function formatReport(report: DiscoveryReport, entries?: readonly PublicEntry[]): string {
  const parts: string[] = [];
  parts.push(
    report.agents.length === 0 ? 'no agents found' : formatTable(agentRows(report.agents)),
  );
  if (entries !== undefined) {
    parts.push(
      entries.length === 0
        ? 'public directory: nothing found'
        : `public directory:\n${formatTable([
            ['KIND', 'ADDRESS', 'NAME', 'MEMBERS', 'NETWORK'],
            ...entries.map((e) => [
              e.kind + (e.mxAgent === true ? ' (mx-agent)' : ''),
              e.address,
              e.name ?? '-',
              e.members === undefined ? '-' : String(e.members),
              e.network,
            ]),
          ])}`,
    );
  }
  for (const problem of report.problems) parts.push(`could not read ${problem}`);
  return parts.join('\n\n');
}
