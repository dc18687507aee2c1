/**
 * The live view of `workflow run` in a terminal (ink): the DAG's jobs with their state, agent,
 * attempt, duration and last output line, under a header with the run's counts and elapsed time.
 * The run's events fold into a model (workflow-view-model.ts); this file only draws it
 * (live-view.ts decides when: after changes, and once a second for the running clocks). Ctrl-C is left to the terminal: no
 * raw mode, so it stays a SIGINT that cancels the run, as without the view.
 * Plain `createElement` calls: the sources stay runnable by Node's type stripping.
 */
import { Box, Text } from 'ink';
import { createElement as h, type ReactElement } from 'react';
import { startLiveView } from './live-view.ts';
import type { RunEvent } from '../workflow/orchestrator.ts';
import type { Workflow } from '../workflow/workflow-types.ts';
import {
  STATUS_ORDER,
  STATUS_STYLE,
  clip,
  formatElapsed,
  jobDetail,
  jobDuration,
  moreLine,
  pickJobRows,
  type DetailTone,
} from './workflow-view-layout.ts';
import {
  countByStatus,
  createViewModel,
  reduceRunEvent,
  type JobView,
  type ResumedJobs,
  type WorkflowViewModel,
} from './workflow-view-model.ts';

/** The terminal the view draws on: process.stdout, or a stream with the same fields. */
export type ViewTerminal = NodeJS.WritableStream & {
  readonly columns?: number;
  readonly rows?: number;
  readonly isTTY?: boolean;
};

/** What the view needs from `workflow run`. */
export interface WorkflowViewOptions {
  readonly runId: string;
  readonly workflow: Workflow;
  readonly stdout: ViewTerminal;
  /** The jobs' states when resuming a run (its RunState's `jobs`). */
  readonly resumed?: ResumedJobs;
  readonly now?: () => number;
  /** Force ink's interactive mode on or off; by default on for a TTY outside CI. */
  readonly interactive?: boolean;
}

/** A started view: feed it the run's events, then wait for its last frame. */
export interface WorkflowView {
  readonly onEvent: (event: RunEvent) => void;
  /** Draw the final frame, leave it on screen and stop; safe to call more than once. */
  readonly done: () => Promise<void>;
}

/** Redraw at most this often while events pour in. */
/** Rows that are not jobs: two header lines, the footer, and the line the cursor rests on. */
const CHROME_ROWS = 4;
const TONE_STYLE: Readonly<Record<DetailTone, { color?: string; dimColor?: boolean }>> = {
  normal: {},
  dim: { dimColor: true },
  warning: { color: 'yellow' },
  error: { color: 'red' },
};

/** Show the run live on `stdout` until `done()`. */
export function startWorkflowView(options: WorkflowViewOptions): WorkflowView {
  const now = options.now ?? Date.now;
  let model = createViewModel(options.runId, options.workflow, now(), options.resumed);
  const frame = (): ReactElement =>
    h(WorkflowFrame, {
      model,
      now: now(),
      columns: options.stdout.columns ?? 80,
      rows: options.stdout.rows ?? 24,
    });
  const view = startLiveView(options.stdout, frame, options.interactive);
  let finished = false;
  return {
    onEvent: (event) => {
      if (finished) return;
      model = reduceRunEvent(model, options.workflow, event, now());
      view.changed();
    },
    done: () => {
      finished = true;
      return view.finish();
    },
  };
}

/** One frame: header, job rows (capped to the terminal's height), footer. */
function WorkflowFrame(props: {
  model: WorkflowViewModel;
  now: number;
  columns: number;
  rows: number;
}): ReactElement {
  const { model } = props;
  const rows = pickJobRows(model, Math.max(1, props.rows - CHROME_ROWS));
  const widths = {
    name: Math.min(24, Math.max(0, ...rows.shown.map((job) => job.id.length))),
    agent: Math.min(20, Math.max(0, ...rows.shown.map((job) => job.agent?.length ?? 0))),
    attempt: rows.shown.some((job) => job.attempt > 1) ? 3 : 0,
  };
  return h(
    Box,
    { flexDirection: 'column', width: props.columns },
    h(Header, { model, now: props.now }),
    ...rows.shown.map((job) => h(JobRow, { key: job.id, job, model, now: props.now, widths })),
    rows.hidden > 0
      ? h(Text, { key: 'more', dimColor: true, wrap: 'truncate-end' }, moreLine(rows))
      : null,
    h(Footer, { model }),
  );
}

function Header(props: { model: WorkflowViewModel; now: number }): ReactElement {
  const { model } = props;
  const elapsed = formatElapsed(model.ms ?? props.now - model.startedAt);
  const counts = countByStatus(model);
  return h(
    Box,
    { flexDirection: 'column' },
    h(
      Text,
      { wrap: 'truncate-end' },
      h(Text, { bold: true }, `workflow ${model.workflow}`),
      h(Text, { dimColor: true }, `  ${model.runId}  ${elapsed}`),
    ),
    h(
      Text,
      { wrap: 'truncate-end' },
      ...STATUS_ORDER.filter((status) => counts[status] > 0).map((status, i) =>
        h(
          Text,
          { key: status, color: STATUS_STYLE[status].color },
          `${i > 0 ? '  ' : ''}${STATUS_STYLE[status].symbol} ${String(counts[status])} ${status}`,
        ),
      ),
    ),
  );
}

function JobRow(props: {
  job: JobView;
  model: WorkflowViewModel;
  now: number;
  widths: { name: number; agent: number; attempt: number };
}): ReactElement {
  const { job, widths } = props;
  const style = STATUS_STYLE[job.status];
  const detail = jobDetail(job, props.model);
  const attempt = job.attempt > 1 ? `#${String(job.attempt)}` : '';
  const fixed = [
    clip(job.id, widths.name).padEnd(widths.name),
    widths.agent > 0 ? clip(job.agent ?? '', widths.agent).padEnd(widths.agent) : '',
    widths.attempt > 0 ? attempt.padStart(widths.attempt) : '',
    jobDuration(job, props.now).padStart(6),
  ].filter((cell) => cell !== '');
  return h(
    Box,
    { flexDirection: 'row' },
    h(Text, { color: style.color }, `${style.symbol} `),
    h(Text, { bold: job.status === 'running' }, fixed.join('  ')),
    h(
      Box,
      { flexShrink: 1, flexGrow: 1, marginLeft: 2 },
      h(Text, { ...TONE_STYLE[detail.tone], wrap: 'truncate-end' }, detail.text),
    ),
  );
}

function Footer(props: { model: WorkflowViewModel }): ReactElement {
  const { model } = props;
  if (model.result !== undefined) {
    const color = { succeeded: 'green', failed: 'red', cancelled: 'yellow' }[model.result];
    return h(
      Text,
      { color, bold: true },
      `workflow ${model.result} in ${formatElapsed(model.ms ?? 0)}`,
    );
  }
  if (model.cancelling)
    return h(
      Text,
      { color: 'yellow' },
      'cancelling: stopping running jobs… Ctrl-C again quits at once',
    );
  return h(Text, { dimColor: true }, 'Ctrl-C cancels the run');
}
