/**
 * The live `discover` table (ink): agents with their liveness, refreshed every few seconds,
 * until q, Esc or Ctrl-C. Plain `createElement` calls: the sources stay runnable by Node's
 * type stripping, which does not read JSX.
 */
import { Box, Text, render, useApp, useInput, useStdin } from 'ink';
import { createElement as h, useEffect, useState, type ReactElement } from 'react';
import type { DiscoveredAgent } from '../discovery/agents.ts';
import type { DiscoveryReport } from '../discovery/discover.ts';

/** What the view needs from the command. */
export interface DiscoverViewOptions {
  readonly load: () => Promise<DiscoveryReport>;
  readonly intervalMs: number;
  readonly rows: (agents: readonly DiscoveredAgent[]) => string[][];
  readonly signal: AbortSignal;
}

const COLORS: Record<string, string> = { active: 'green', stale: 'yellow', offline: 'gray' };

function Table(props: { rows: string[][]; agents: readonly DiscoveredAgent[] }): ReactElement {
  const widths: number[] = [];
  for (const row of props.rows)
    row.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, cell.length)));
  return h(
    Box,
    { flexDirection: 'column' },
    ...props.rows.map((row, r) =>
      h(
        Box,
        { key: String(r) },
        ...row.map((cell, c) =>
          h(
            Text,
            {
              key: String(c),
              bold: r === 0,
              ...(r > 0 && c === 2
                ? { color: COLORS[props.agents[r - 1]?.liveness ?? ''] ?? 'white' }
                : {}),
            },
            c === row.length - 1 ? cell : `${cell.padEnd(widths[c] ?? 0)}  `,
          ),
        ),
      ),
    ),
  );
}

function DiscoverView(props: DiscoverViewOptions): ReactElement {
  const { exit } = useApp();
  const { isRawModeSupported } = useStdin();
  const [report, setReport] = useState<DiscoveryReport | undefined>(undefined);
  const [error, setError] = useState<string | undefined>(undefined);
  useInput(
    (input, key) => {
      if (input === 'q' || key.escape) exit();
    },
    { isActive: isRawModeSupported },
  );
  useEffect(() => {
    let timer: NodeJS.Timeout | undefined;
    let live = true;
    const tick = (): void => {
      props.load().then(
        (next) => {
          if (!live) return;
          setReport(next);
          setError(undefined);
          timer = setTimeout(tick, props.intervalMs);
        },
        (e: unknown) => {
          if (!live) return;
          setError(e instanceof Error ? e.message : String(e));
          timer = setTimeout(tick, props.intervalMs);
        },
      );
    };
    tick();
    const onAbort = (): void => {
      exit();
    };
    props.signal.addEventListener('abort', onAbort, { once: true });
    return () => {
      live = false;
      clearTimeout(timer);
      props.signal.removeEventListener('abort', onAbort);
    };
  }, []);
  if (!report) return h(Text, { dimColor: true }, 'looking for agents…');
  return h(
    Box,
    { flexDirection: 'column' },
    report.agents.length === 0
      ? h(Text, {}, 'no agents found yet')
      : h(Table, { rows: props.rows(report.agents), agents: report.agents }),
    ...report.problems.map((p, i) =>
      h(Text, { key: `p${String(i)}`, color: 'yellow' }, `could not read ${p}`),
    ),
    error ? h(Text, { color: 'red' }, error) : null,
    h(
      Text,
      { dimColor: true },
      `${String(report.agents.length)} agent(s) · refreshed ${new Date().toLocaleTimeString()} · q to quit`,
    ),
  );
}

/** Show the live table until the user quits. */
export async function showDiscoverLive(options: DiscoverViewOptions): Promise<void> {
  const app = render(h(DiscoverView, options), { exitOnCtrlC: true });
  await app.waitUntilExit();
}
