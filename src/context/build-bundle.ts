import { randomInt } from 'node:crypto';
import { quote, UsageError } from '../errors.ts';
import { BUNDLE_ID, BUNDLE_VERSION, type ContextBundle } from './bundle.ts';
import { snapshotEnvironment } from './env-snapshot.ts';
import { collectGit } from './git-snapshot.ts';
import { scrubText } from './scrub-text.ts';
import { collectFiles } from './shared-files.ts';
import { summarizeWithheld, tagRedactions, type WithheldEntry } from './withheld.ts';

/**
 * Builds a context bundle from what the user chose to share: the git working state, files, the
 * environment, notes. Every part is scrubbed on the way in; the summary lines say what was
 * held back, for the user to read before anything is sent.
 */

/** What to put in a bundle; each part is left out when its option is absent. */
export interface BuildOptions {
  /** The directory shared from: the git working tree, and what `files` are relative to. */
  readonly cwd: string;
  /** Share the git working state, diffed against `base` (HEAD by default). */
  readonly git?: { readonly base?: string };
  /** Globs of files to share, relative to `cwd`. */
  readonly files?: readonly string[];
  /** Share allowed environment variables (`allow`, else the default list) of `values`. */
  readonly env?: {
    readonly allow?: readonly string[];
    /** The environment to read; `process.env` when absent. */
    readonly values?: Readonly<Record<string, string | undefined>>;
  };
  readonly notes?: string;
  readonly title?: string;
  /** Creation time in ms; now when absent. */
  readonly now?: number;
  /** The bundle id; a fresh random one when absent. */
  readonly id?: string;
}

/** A built bundle and the lines telling the user what it held back. */
export interface BuiltBundle {
  readonly bundle: ContextBundle;
  readonly summary: readonly string[];
}

// RFC 4648 §6 base32 alphabet, lower-case: no 0/1/8/9 to mistake for letters when read aloud.
const BASE32 = 'abcdefghijklmnopqrstuvwxyz234567';

/** A fresh bundle id: `ctx-` and 12 random base32 characters (60 bits). */
export function newBundleId(): string {
  let id = 'ctx-';
  for (let i = 0; i < 12; i++) id += BASE32[randomInt(32)] ?? 'a';
  return id;
}

/** Scrubbed free text (notes, title) and its redactions. */
function scrubbedText(text: string, path: 'notes' | 'title') {
  const scrubbed = scrubText(text);
  return { text: scrubbed.text, withheld: tagRedactions(scrubbed.redactions, 'notes', path) };
}

/**
 * The bundle for `options`. Usage errors come from the parts: not a git working tree, a base
 * naming no commit, a glob matching nothing or reaching outside `cwd`, files too large, a
 * malformed allowlist entry, a malformed `id`.
 */
export async function buildBundle(options: BuildOptions): Promise<BuiltBundle> {
  const id = options.id ?? newBundleId();
  if (!BUNDLE_ID.test(id))
    throw new UsageError(`expected a bundle id like "ctx-abcdefgh2345", got ${quote(id)}`);
  const withheld: WithheldEntry[] = [];
  const git = options.git === undefined ? undefined : await collectGit(options.cwd, options.git);
  if (git !== undefined) withheld.push(...git.withheld);
  const files =
    options.files === undefined ? undefined : await collectFiles(options.cwd, options.files);
  if (files !== undefined) withheld.push(...files.withheld);
  const env =
    options.env === undefined
      ? undefined
      : snapshotEnvironment(options.env.values ?? process.env, options.env.allow);
  if (env !== undefined) withheld.push(...env.withheld);
  const title = options.title === undefined ? undefined : scrubbedText(options.title, 'title');
  const notes = options.notes === undefined ? undefined : scrubbedText(options.notes, 'notes');
  withheld.push(...(title?.withheld ?? []), ...(notes?.withheld ?? []));
  const bundle: ContextBundle = {
    v: BUNDLE_VERSION,
    id,
    ...(title === undefined ? {} : { title: title.text }),
    created: options.now ?? Date.now(),
    ...(git === undefined ? {} : { git: git.snapshot }),
    files: files?.files ?? [],
    ...(env === undefined ? {} : { env: env.env }),
    ...(notes === undefined ? {} : { notes: notes.text }),
    withheld,
  };
  return { bundle, summary: summarizeWithheld(withheld) };
}
