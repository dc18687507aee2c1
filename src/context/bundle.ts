import { createHash } from 'node:crypto';
import type { WithheldEntry } from './withheld.ts';

/**
 * A context bundle: the snapshot of one's work `share-context` sends a peer, as one versioned
 * JSON document. Everything in it has been through the scrubber; `withheld` says what was
 * taken out. Encoding and verification are in bundle-codec.ts, the shape rules in
 * bundle-shape.ts.
 */

/** The bundle format this code writes and reads. */
export const BUNDLE_VERSION = 1;

/** A bundle id: `ctx-` and 12 lower-case RFC 4648 base32 characters. */
export const BUNDLE_ID = /^ctx-[a-z2-7]{12}$/;

/** How bytes are carried in a JSON string: as text when valid UTF-8, else base64. */
export type ContentEncoding = 'utf8' | 'base64';

/** The working state of a git repository, as a diff against a base commit. */
export interface GitSnapshot {
  /** URL of the branch's upstream remote (or origin), without user or password. */
  readonly remote?: string;
  /** The checked-out branch; absent when HEAD is detached. */
  readonly branch?: string;
  /** The commit checked out (HEAD). */
  readonly head: string;
  /** The commit the diff is against. */
  readonly base: string;
  /** How the user named the base (`HEAD`, `origin/main`). */
  readonly baseRef: string;
  /** `git status --porcelain=v1`, scrubbed. */
  readonly status: string;
  /** Staged, unstaged and untracked changes against `base` (`git diff --binary -M`), scrubbed. */
  readonly diff: {
    readonly encoding: ContentEncoding;
    readonly data: string;
    /** Length of the decoded patch in bytes. */
    readonly bytes: number;
  };
  /** Files changed and lines added and removed, as `git diff --numstat` counts them. */
  readonly stat: {
    readonly files: number;
    readonly insertions: number;
    readonly deletions: number;
  };
}

/** One file shared as it is (scrubbed when text). */
export interface SharedFile {
  /** Relative POSIX path from the directory it was shared from. */
  readonly path: string;
  /** 0o644, or 0o755 when executable. */
  readonly mode: number;
  /** Bytes of the content as sent (after scrubbing). */
  readonly size: number;
  /** Lower-case hex sha256 of the content as sent. */
  readonly sha256: string;
  readonly encoding: ContentEncoding;
  readonly content: string;
}

/** The machine the bundle came from, coarsely. */
export interface SystemInfo {
  /** `os.platform()` and `os.release()`: "linux 6.8.0". */
  readonly os: string;
  readonly arch: string;
  /** `process.version`: "v24.21.0". */
  readonly node: string;
  /** The login shell's name ("zsh"), when known. */
  readonly shell?: string;
}

/** Allowed environment variables (scrubbed) and the machine they are from. */
export interface EnvironmentPart {
  readonly vars: Readonly<Record<string, string>>;
  readonly system: SystemInfo;
}

/** A context bundle, version 1. */
export interface ContextBundle {
  readonly v: typeof BUNDLE_VERSION;
  /** `ctx-` and 12 lower-case base32 characters. */
  readonly id: string;
  readonly title?: string;
  /** When it was built, in ms since the epoch. */
  readonly created: number;
  readonly git?: GitSnapshot;
  readonly files: readonly SharedFile[];
  readonly env?: EnvironmentPart;
  readonly notes?: string;
  readonly withheld: readonly WithheldEntry[];
}

/** Lower-case hex sha256 of `bytes`. */
export function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** The bytes a JSON string carries in `encoding` (shape checked beforehand). */
export function decodeContent(encoding: ContentEncoding, text: string): Buffer {
  return encoding === 'utf8' ? Buffer.from(text, 'utf8') : Buffer.from(text, 'base64');
}
