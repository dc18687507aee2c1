import type { Withheld } from './environment.ts';
import type { Redaction } from './scrub-text.ts';
import { kindLabel, type SecretKind } from './secret-kinds.ts';
import { summarize } from './summary.ts';

/**
 * What a bundle held back, and why: the scrubber's own records (a withheld variable, a redacted
 * secret) tagged with the part of the bundle they came from, plus whole files left out and the
 * credentials taken off the remote URL. Never any character of a secret.
 */

/** The part of a bundle something was held back from. */
export type WithheldSource = 'env' | 'file' | 'diff' | 'notes' | 'git';

/** An allowed environment variable left out (scrubEnvironment's record). */
export type WithheldVariable = Withheld & { readonly source: 'env' };

/**
 * A secret replaced by a marker. `path` is the shared file, the file in the diff, `notes` or
 * `title`, or `status` (git status). In the diff, `line` is the line in the file (new side;
 * old side for a removed line), or, with `header`, the line of the file's diff header (a path).
 */
export type RedactedSecret = Redaction & {
  readonly source: 'file' | 'diff' | 'notes' | 'git';
  readonly path: string;
  readonly header?: true;
};

/** Why a whole file was left out. */
export type WithheldFileReason = 'key-material' | 'secret-in-binary' | 'secret-in-name';

/** A whole file left out of the shared files or the diff (its path scrubbed too). */
export interface WithheldFile {
  readonly type: 'withheld-file';
  readonly source: 'file' | 'diff';
  readonly path: string;
  readonly reason: WithheldFileReason;
  /** For a secret in binary content or in the name: what kind of secret. */
  readonly kind?: SecretKind;
}

/** User and password taken off the remote URL. */
export interface StrippedCredentials {
  readonly type: 'stripped-credentials';
  readonly source: 'git';
}

/** One thing a bundle held back. */
export type WithheldEntry = WithheldVariable | RedactedSecret | WithheldFile | StrippedCredentials;

/** Tags each redaction of one text with where it came from. */
export function tagRedactions(
  redactions: readonly Redaction[],
  source: RedactedSecret['source'],
  path: string,
): RedactedSecret[] {
  return redactions.map((redaction) => ({ ...redaction, source, path }));
}

/** How a summary names where a redaction was. */
function place(entry: RedactedSecret): string {
  switch (entry.source) {
    case 'file':
      return entry.path;
    case 'diff':
      return `${entry.header === true ? 'the diff header of' : 'the diff of'} ${entry.path}`;
    case 'notes':
      return `the ${entry.path}`;
    case 'git':
      return `git ${entry.path}`;
  }
}

/** The summary line of a whole file left out. */
function fileLine(entry: WithheldFile): string {
  const what = entry.kind === undefined ? 'a secret' : kindLabel(entry.kind);
  const why =
    entry.reason === 'key-material'
      ? 'key material, by its name'
      : entry.reason === 'secret-in-binary'
        ? `its binary content holds ${what}, which cannot be redacted in place`
        : `its name holds ${what}`;
  return entry.source === 'diff'
    ? `left ${entry.path} out of the diff (${why})`
    : `withheld ${entry.path} (${why})`;
}

/**
 * The lines that tell the user what a bundle held back, in the order found: the scrubber's
 * lines (summarize) for variables and redactions, grouped per file, and one line per file left
 * out ("left id_rsa out of the diff (key material, by its name)").
 */
export function summarizeWithheld(entries: readonly WithheldEntry[]): string[] {
  const out: (string | { place: string; items: RedactedSecret[] })[] = [];
  const groups = new Map<string, RedactedSecret[]>();
  for (const entry of entries) {
    switch (entry.type) {
      case 'withheld':
        out.push(...summarize([entry]));
        break;
      case 'withheld-file':
        out.push(fileLine(entry));
        break;
      case 'stripped-credentials':
        out.push('removed the user and password from the git remote URL');
        break;
      case 'redacted': {
        const key = `${entry.source}\0${entry.path}\0${String(entry.header === true)}`;
        const group = groups.get(key);
        if (group !== undefined) group.push(entry);
        else {
          const items = [entry];
          groups.set(key, items);
          out.push({ place: place(entry), items });
        }
      }
    }
  }
  return out.flatMap((item) =>
    typeof item === 'string' ? [item] : summarize(item.items, item.place),
  );
}
