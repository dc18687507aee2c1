/**
 * What the demo shows, as events: each step, the commands the agents run and what those print.
 * One reporter writes them as plain text (no terminal, CI, a pipe); src/ui/demo-view.ts draws
 * them live in a terminal.
 */
import type { OutStream } from '../cli/output.ts';

/** One thing the demo shows. */
export type DemoEvent =
  | { readonly type: 'intro'; readonly lines: readonly string[] }
  | { readonly type: 'step'; readonly index: number; readonly title: string }
  /** A command an agent runs, as a person would type it (`alice discover`). */
  | { readonly type: 'command'; readonly agent: string; readonly line: string }
  /** A line a command printed. */
  | { readonly type: 'output'; readonly text: string }
  /** The demo's own remark. */
  | { readonly type: 'note'; readonly text: string }
  | { readonly type: 'step-done'; readonly ms: number }
  | { readonly type: 'step-failed'; readonly error: string }
  | { readonly type: 'outro'; readonly lines: readonly string[] };

/** Where the demo's events go. */
export interface DemoReporter {
  /** The steps, in order, known before the first one starts. */
  plan(titles: readonly string[]): void;
  event(event: DemoEvent): void;
  /** Nothing more will come; resolves once everything is written. */
  finish(): Promise<void>;
}

/** The lines a plain reporter writes for `event` (also the ink view's finished lines). */
export function eventLines(event: DemoEvent, total: number): string[] {
  switch (event.type) {
    case 'intro':
    case 'outro':
      return ['', ...event.lines];
    case 'step':
      return ['', `[${String(event.index + 1)}/${String(total)}] ${event.title}`];
    case 'command':
      return [`  $ ${event.agent} ${event.line}`];
    case 'output':
      return [`      ${event.text}`];
    case 'note':
      return [`  · ${event.text}`];
    case 'step-done':
      return [`  ✓ ${formatSeconds(event.ms)}`];
    case 'step-failed':
      return [`  ✗ ${event.error}`];
  }
}

/** `1.2 s`. */
export function formatSeconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}

/** Writes every event as it comes, as lines of text. */
export function plainReporter(stdout: OutStream): DemoReporter {
  let total = 0;
  return {
    plan: (titles) => {
      total = titles.length;
    },
    event: (event) => {
      stdout.write(`${eventLines(event, total).join('\n')}\n`);
    },
    finish: () => Promise.resolve(),
  };
}

/** Writes every event as one JSON object per line (`--json`), with the plan first. */
export function jsonReporter(stdout: OutStream): DemoReporter {
  return {
    plan: (titles) => {
      stdout.write(`${JSON.stringify({ type: 'plan', steps: titles })}\n`);
    },
    event: (event) => {
      stdout.write(`${JSON.stringify(event)}\n`);
    },
    finish: () => Promise.resolve(),
  };
}
