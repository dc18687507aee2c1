import type { Withheld } from './environment.ts';
import type { Redaction } from './scrub-text.ts';
import { kindLabel } from './secret-kinds.ts';

/** Line numbers listed in one summary line before the rest are counted instead. */
const LISTED_LINES = 6;

/** "1", "1 and 4", "1, 4 and 9", "1, 4, 9, 12, 15, 20 and 3 more". */
function lineList(lines: readonly number[]): string {
  const words = lines.slice(0, LISTED_LINES).map(String);
  if (lines.length > LISTED_LINES) words.push(`${String(lines.length - LISTED_LINES)} more`);
  return words.length === 1
    ? (words[0] ?? '')
    : `${words.slice(0, -1).join(', ')} and ${words.at(-1) ?? ''}`;
}

/** Where redactions were: "in .env line 3", "on lines 1–27", "in x lines 2 and 5". */
function where(redactions: readonly Redaction[], source: string | undefined): string {
  const only = redactions.length === 1 ? redactions[0] : undefined;
  const lines =
    only?.endLine !== undefined
      ? `lines ${String(only.line)}–${String(only.endLine)}`
      : `${redactions.length === 1 ? 'line' : 'lines'} ${lineList(redactions.map((r) => r.line))}`;
  return source === undefined ? `on ${lines}` : `in ${source} ${lines}`;
}

/** What was redacted: "a GitHub token (GITHUB_TOKEN)", "the value of DB_PASSWORD", "3 JWTs". */
function what(redactions: readonly Redaction[]): string {
  const first = redactions[0];
  if (first === undefined) return '';
  if (first.name === undefined) return kindLabel(first.kind, redactions.length);
  if (first.kind === 'secret-assignment')
    return redactions.length === 1
      ? `the value of ${first.name}`
      : `${String(redactions.length)} values of ${first.name}`;
  return `${kindLabel(first.kind, redactions.length)} (${first.name})`;
}

/** Why a variable was withheld, in words. */
function reason(item: Withheld): string {
  switch (item.reason) {
    case 'secret-name':
      return item.rule.rule === 'word'
        ? 'secret-looking name'
        : `${item.rule.prefix} variables carry credentials`;
    case 'secret-value':
      return `its value holds ${kindLabel(item.kind)}`;
  }
}

/**
 * The lines `share-context` prints about what it held back: one per withheld variable
 * ("withheld AWS_SECRET_ACCESS_KEY (secret-looking name)") and one per kind and name of
 * redaction in `source` ("redacted a GitHub token in src/config.ts line 12",
 * "redacted 3 JWTs in session.har lines 4, 9 and 12"), in the order they were found.
 */
export function summarize(findings: readonly (Withheld | Redaction)[], source?: string): string[] {
  // Withheld lines as they come; redactions grouped by kind and name, at their first place.
  const out: (string | Redaction[])[] = [];
  const groups = new Map<string, Redaction[]>();
  for (const finding of findings) {
    if (finding.type === 'withheld') {
      out.push(`withheld ${finding.name} (${reason(finding)})`);
      continue;
    }
    // A multi-line block names its own range, so blocks are not grouped with one-line finds.
    const key = `${finding.kind}\0${finding.name ?? ''}\0${String(finding.endLine !== undefined)}`;
    const group = groups.get(key);
    if (group !== undefined) group.push(finding);
    else {
      const fresh = [finding];
      groups.set(key, fresh);
      out.push(fresh);
    }
  }
  return out.map((item) =>
    typeof item === 'string' ? item : `redacted ${what(item)} ${where(item, source)}`,
  );
}
