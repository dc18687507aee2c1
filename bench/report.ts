/**
 * The summary bench/run.ts writes: from each benchmark's JSON, the figures a budget is judged
 * by (ratios, rates, and the benchmark's own verdicts), as one Markdown table kept between two
 * markers in docs/performance.md.
 */

/** One figure of one benchmark. */
export interface Figure {
  readonly bench: string;
  /** Where in the benchmark's JSON: `xmpp.p50Ratio`. */
  readonly path: string;
  readonly value: number | boolean;
}

const JUDGED = /ratio|budgetmet|withinbudget|persecond|mbpersec|^medianseconds$/i;

/** The judged figures of one benchmark's JSON, in document order. */
export function figuresOf(bench: string, json: unknown, prefix = ''): Figure[] {
  if (typeof json !== 'object' || json === null) return [];
  return Object.entries(json).flatMap(([key, value]): Figure[] => {
    const path = prefix === '' ? key : `${prefix}.${key}`;
    if (typeof value === 'object' && value !== null) return figuresOf(bench, value, path);
    if (!JUDGED.test(path)) return [];
    // `budgetRatio: 2`, `budget: { ratio: 1.5 }` are thresholds; `budgetMet: true` is a verdict.
    const threshold = path.split('.').some((part) => /^budget/i.test(part));
    if (typeof value === 'boolean') return [{ bench, path, value }];
    return typeof value === 'number' && !threshold ? [{ bench, path, value }] : [];
  });
}

/** The Markdown table of `figures`, with when and where they were measured. */
export function figuresTable(figures: readonly Figure[], machine: string, date: string): string {
  const rows = figures.map((f) => {
    const value =
      typeof f.value === 'boolean' ? (f.value ? '**met**' : '**not met**') : String(f.value);
    return `| ${f.bench} | \`${f.path}\` | ${value} |`;
  });
  return [
    `Last \`npm run bench\` (bench/run.ts): ${machine}, ${date}. The full JSON is bench/report.json.`,
    '',
    '| benchmark | figure | value |',
    '| --- | --- | --- |',
    ...rows,
  ].join('\n');
}

/** The markers the table lives between. */
export const BEGIN = '<!-- bench/run: begin -->';
export const END = '<!-- bench/run: end -->';

/** `markdown` with the text between the markers replaced (added after the title when absent). */
export function withSection(markdown: string, body: string): string {
  const section = `${BEGIN}\n${body}\n${END}`;
  const start = markdown.indexOf(BEGIN);
  const end = markdown.indexOf(END);
  if (start >= 0 && end > start)
    return markdown.slice(0, start) + section + markdown.slice(end + END.length);
  const title = markdown.indexOf('\n## ');
  if (title < 0) return `${markdown.trimEnd()}\n\n${section}\n`;
  return `${markdown.slice(0, title)}\n## Summary of the last run\n\n${section}\n${markdown.slice(title)}`;
}
