/**
 * `mx-agent demo` in a terminal (ink): what each step ran and printed scrolls above, written
 * once (ink's Static), and below it a live checklist of the steps with the running one's clock
 * and command. The checklist goes away at the end: the transcript above says it all.
 * Plain `createElement` calls: the sources stay runnable by Node's type stripping.
 */
import { Box, Static, Text } from 'ink';
import { createElement as h, type ReactElement } from 'react';
import { eventLines, formatSeconds, type DemoEvent, type DemoReporter } from '../demo/report.ts';
import { startLiveView, type LiveView } from './live-view.ts';
import { clip } from './workflow-view-layout.ts';
import type { ViewTerminal } from './workflow-view.ts';

/** One line of the transcript (Static needs a key per item). */
interface Line {
  readonly key: number;
  readonly text: string;
  readonly style: 'step' | 'command' | 'output' | 'note' | 'ok' | 'failed' | 'plain';
}

/** Where each step stands. */
type StepState =
  | { readonly type: 'waiting' }
  | { readonly type: 'running'; readonly since: number; readonly command: string }
  | { readonly type: 'done'; readonly ms: number }
  | { readonly type: 'failed' };

/** Start the view; it is the demo's reporter. */
export function startDemoView(
  stdout: ViewTerminal,
  options: { readonly interactive?: boolean; readonly now?: () => number } = {},
): DemoReporter {
  const now = options.now ?? Date.now;
  const lines: Line[] = [];
  let titles: readonly string[] = [];
  let states: StepState[] = [];
  let current = -1;
  let finished = false;
  let view: LiveView | undefined;

  const frame = (): ReactElement =>
    h(
      Box,
      { flexDirection: 'column' },
      h(Static<Line>, {
        // A new array each frame: Static notices new items by the array's identity.
        items: [...lines],
        children: (line: Line) => h(Text, { key: line.key, ...LINE_STYLE[line.style] }, line.text),
      }),
      finished ? null : checklist(titles, states, now(), (stdout.columns ?? 80) - 1),
    );

  const add = (event: DemoEvent): void => {
    const style = styleOf(event);
    for (const text of eventLines(event, titles.length))
      lines.push({ key: lines.length, text, style });
  };

  return {
    plan: (steps) => {
      titles = steps;
      states = steps.map(() => ({ type: 'waiting' }));
      view ??= startLiveView(stdout, frame, options.interactive);
    },
    event: (event) => {
      add(event);
      if (event.type === 'step') {
        current = event.index;
        states[current] = { type: 'running', since: now(), command: '' };
      } else if (event.type === 'command') {
        const state = states[current];
        if (state?.type === 'running')
          states[current] = { ...state, command: `${event.agent} ${event.line}` };
      } else if (event.type === 'step-done') states[current] = { type: 'done', ms: event.ms };
      else if (event.type === 'step-failed') states[current] = { type: 'failed' };
      view?.changed();
    },
    finish: async () => {
      finished = true;
      await view?.finish();
    },
  };
}

const LINE_STYLE: Record<Line['style'], { color?: string; bold?: boolean; dimColor?: boolean }> = {
  step: { bold: true },
  command: { color: 'cyan' },
  output: {},
  note: { dimColor: true },
  ok: { color: 'green' },
  failed: { color: 'red' },
  plain: {},
};

function styleOf(event: DemoEvent): Line['style'] {
  switch (event.type) {
    case 'step':
      return 'step';
    case 'command':
      return 'command';
    case 'output':
      return 'output';
    case 'note':
      return 'note';
    case 'step-done':
      return 'ok';
    case 'step-failed':
      return 'failed';
    case 'intro':
    case 'outro':
      return 'plain';
  }
}

/** The live part: one line per step. */
function checklist(
  titles: readonly string[],
  states: readonly StepState[],
  at: number,
  width: number,
): ReactElement {
  return h(
    Box,
    { flexDirection: 'column', marginTop: 1 },
    ...titles.map((title, i) => {
      const state = states[i] ?? { type: 'waiting' };
      const label = `${String(i + 1).padStart(2)}. ${title}`;
      switch (state.type) {
        case 'waiting':
          return h(Text, { key: i, dimColor: true }, clip(`  · ${label}`, width));
        case 'running':
          return h(
            Text,
            { key: i, color: 'yellow' },
            clip(
              `  ▸ ${label}  ${formatSeconds(at - state.since)}${state.command ? `  $ ${state.command}` : ''}`,
              width,
            ),
          );
        case 'done':
          return h(
            Text,
            { key: i, color: 'green' },
            clip(`  ✓ ${label}  ${formatSeconds(state.ms)}`, width),
          );
        case 'failed':
          return h(Text, { key: i, color: 'red' }, clip(`  ✗ ${label}`, width));
      }
    }),
  );
}
