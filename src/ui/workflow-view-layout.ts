/**
 * How the workflow view lays out its model: which jobs get a row when they do not all fit,
 * what each row says, and how durations read. Pure, like the model; workflow-view.ts only
 * turns these into ink elements.
 */
import type { JobStatus } from '../workflow/scheduler.ts';
import type { JobView, WorkflowViewModel } from './workflow-view-model.ts';

/** The symbol and colour of each status. */
export const STATUS_STYLE: Readonly<Record<JobStatus, { symbol: string; color: string }>> = {
  pending: { symbol: '○', color: 'gray' },
  running: { symbol: '●', color: 'cyan' },
  succeeded: { symbol: '✓', color: 'green' },
  failed: { symbol: '✗', color: 'red' },
  skipped: { symbol: '-', color: 'gray' },
  cancelled: { symbol: '⊘', color: 'yellow' },
};

/** Statuses in the order the header counts them. */
export const STATUS_ORDER: readonly JobStatus[] = [
  'running',
  'succeeded',
  'failed',
  'cancelled',
  'skipped',
  'pending',
];

/** The rows of jobs on screen, and how many of each status did not fit. */
export interface JobRows {
  readonly shown: readonly JobView[];
  readonly hidden: number;
  readonly hiddenByStatus: Readonly<Partial<Record<JobStatus, number>>>;
}

// Lower comes first when rows are short: what is happening now and what went wrong matter
// most; a job waiting for a retry is about to happen.
const PRIORITY: Readonly<Record<JobStatus, number>> = {
  running: 0,
  failed: 1,
  pending: 3,
  cancelled: 4,
  succeeded: 5,
  skipped: 6,
};

/**
 * At most `maxRows` rows: every job when they fit, otherwise the most telling jobs and one row
 * left for "… N more". Shown jobs keep the model's order so rows do not jump around.
 */
export function pickJobRows(model: WorkflowViewModel, maxRows: number): JobRows {
  const all = model.order.flatMap((id) => model.jobs[id] ?? []);
  if (all.length <= maxRows) return { shown: all, hidden: 0, hiddenByStatus: {} };
  const rank = (job: JobView): number =>
    job.status === 'pending' && job.attempt > 0 ? 2 : PRIORITY[job.status];
  const index = new Map(model.order.map((id, i) => [id, i]));
  const byInterest = [...all].sort(
    (a, b) =>
      rank(a) - rank(b) ||
      // The latest to finish first, then the soonest to run.
      (b.finishedAt ?? 0) - (a.finishedAt ?? 0) ||
      (index.get(a.id) ?? 0) - (index.get(b.id) ?? 0),
  );
  const keep = new Set(byInterest.slice(0, Math.max(0, maxRows - 1)).map((job) => job.id));
  const hiddenByStatus: Partial<Record<JobStatus, number>> = {};
  for (const job of all)
    if (!keep.has(job.id)) hiddenByStatus[job.status] = (hiddenByStatus[job.status] ?? 0) + 1;
  return {
    shown: all.filter((job) => keep.has(job.id)),
    hidden: all.length - keep.size,
    hiddenByStatus,
  };
}

/** "… 150 more: 120 pending, 30 succeeded". */
export function moreLine(rows: JobRows): string {
  const parts = STATUS_ORDER.flatMap((status) => {
    const n = rows.hiddenByStatus[status] ?? 0;
    return n > 0 ? [`${String(n)} ${status}`] : [];
  });
  return `… ${String(rows.hidden)} more: ${parts.join(', ')}`;
}

/** How a row's last column reads: what the job is doing, or why it ended as it did. */
export type DetailTone = 'normal' | 'dim' | 'warning' | 'error';

/** The last column of a job's row. */
export function jobDetail(
  job: JobView,
  model: WorkflowViewModel,
): { text: string; tone: DetailTone } {
  switch (job.status) {
    case 'failed':
      return { text: job.reason ?? 'failed', tone: 'error' };
    case 'cancelled':
      return { text: job.reason ?? 'cancelled', tone: 'warning' };
    case 'skipped':
      return { text: job.reason ?? 'skipped', tone: 'dim' };
    case 'succeeded':
      return { text: job.lastLine ?? job.reason ?? '', tone: 'dim' };
    case 'running':
      if (job.reason !== undefined) return { text: job.reason, tone: 'warning' };
      if (job.lastLine !== undefined) return { text: job.lastLine, tone: 'normal' };
      return { text: job.command === undefined ? 'starting' : `$ ${job.command}`, tone: 'dim' };
    case 'pending': {
      if (job.reason !== undefined) return { text: job.reason, tone: 'warning' };
      const waiting = job.needs.filter((need) => !isFinished(model.jobs[need]?.status));
      return { text: waiting.length === 0 ? 'queued' : `needs ${listShort(waiting)}`, tone: 'dim' };
    }
  }
}

/** A job's duration: live while it runs, final once it finished. */
export function jobDuration(job: JobView, now: number): string {
  if (job.status === 'running' && job.startedAt !== undefined)
    return formatElapsed(now - job.startedAt);
  return job.ms === undefined || job.status === 'pending' ? '' : formatElapsed(job.ms);
}

/** A duration to the second, as it ticks: "7s", "2m05s", "1h03m". */
export function formatElapsed(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  if (s < 60) return `${String(s)}s`;
  if (s < 3600) return `${String(Math.floor(s / 60))}m${String(s % 60).padStart(2, '0')}s`;
  const m = Math.floor(s / 60);
  return `${String(Math.floor(m / 60))}h${String(m % 60).padStart(2, '0')}m`;
}

/** `text` cut to `width` characters, with an ellipsis when it was longer. */
export function clip(text: string, width: number): string {
  return text.length <= width ? text : `${text.slice(0, Math.max(0, width - 1))}…`;
}

function isFinished(status: JobStatus | undefined): boolean {
  return status !== undefined && status !== 'pending' && status !== 'running';
}

function listShort(ids: readonly string[]): string {
  return ids.length <= 3
    ? ids.join(', ')
    : `${ids.slice(0, 2).join(', ')} +${String(ids.length - 2)}`;
}
