import { readFile, stat } from 'node:fs/promises';
import { UsageError } from '../errors.ts';
import { looksBinary } from './binary.ts';
import { sha256Hex, type SharedFile } from './bundle.ts';
import { isKeyMaterialName, secretKindIn } from './content-secrets.ts';
import { scrubText } from './scrub-text.ts';
import { expandGlobs, type NamedFile } from './shared-paths.ts';
import { tagRedactions, type WithheldEntry } from './withheld.ts';

/**
 * The files named by `--files`, read and scrubbed. Text is scrubbed in place; binary content
 * goes as it is (base64) unless the scrubber finds a secret in it, which cannot be redacted in
 * place, so the file is withheld. Key material is withheld by its name without being read.
 */

/** Largest single file a bundle carries. */
export const MAX_FILE_BYTES = 10 * 1024 * 1024;
/** Largest total of shared files in one bundle. */
export const MAX_FILES_BYTES = 50 * 1024 * 1024;

/** The shared files and what was held back from them. */
export interface CollectedFiles {
  readonly files: readonly SharedFile[];
  readonly withheld: readonly WithheldEntry[];
}

/** "12.3 MiB", "10 MiB". */
function mebibytes(bytes: number): string {
  const mib = bytes / 1024 / 1024;
  return `${Number.isInteger(mib) ? String(mib) : mib.toFixed(1)} MiB`;
}

/** A file's content as shared, and what was redacted or why it was withheld. */
function share(named: NamedFile, bytes: Buffer, mode: number): CollectedFiles {
  const { path } = named;
  if (looksBinary(bytes)) {
    const kind = secretKindIn(bytes);
    if (kind !== undefined)
      return {
        files: [],
        withheld: [
          { type: 'withheld-file', source: 'file', path, reason: 'secret-in-binary', kind },
        ],
      };
    const file = { path, mode, size: bytes.length, sha256: sha256Hex(bytes) };
    return {
      files: [{ ...file, encoding: 'base64', content: bytes.toString('base64') }],
      withheld: [],
    };
  }
  const scrubbed = scrubText(bytes.toString('utf8'));
  const content = Buffer.from(scrubbed.text, 'utf8');
  return {
    files: [
      {
        path,
        mode,
        size: content.length,
        sha256: sha256Hex(content),
        encoding: 'utf8',
        content: scrubbed.text,
      },
    ],
    withheld: tagRedactions(scrubbed.redactions, 'file', path),
  };
}

/** A named file to read, with its size and mode; or why it is withheld unread. */
async function inspect(named: NamedFile): Promise<WithheldEntry | { size: number; mode: number }> {
  const nameSecret = scrubText(named.path);
  const kind = nameSecret.redactions[0]?.kind;
  if (kind !== undefined)
    return {
      type: 'withheld-file',
      source: 'file',
      path: nameSecret.text,
      reason: 'secret-in-name',
      kind,
    };
  if (isKeyMaterialName(named.path))
    return { type: 'withheld-file', source: 'file', path: named.path, reason: 'key-material' };
  const info = await stat(named.absolute);
  if (info.size > MAX_FILE_BYTES)
    throw new UsageError(
      `--files: ${named.path} is ${mebibytes(info.size)} (${String(info.size)} bytes), more than the ${mebibytes(MAX_FILE_BYTES)} one shared file may be; share a part of it, or the diff instead`,
    );
  return { size: info.size, mode: (info.mode & 0o111) !== 0 ? 0o755 : 0o644 };
}

/**
 * The files `globs` name under `cwd`, scrubbed, with paths relative to `cwd`. Usage errors: a
 * glob matching no file or reaching outside `cwd`; a file over 10 MiB; more than 50 MiB in all
 * (both checked before any file is read).
 */
export async function collectFiles(cwd: string, globs: readonly string[]): Promise<CollectedFiles> {
  // In the order named: a file withheld unread, or one to read once the caps are checked.
  const found: (WithheldEntry | { named: NamedFile; mode: number })[] = [];
  let total = 0;
  for (const named of await expandGlobs(cwd, globs)) {
    const inspected = await inspect(named);
    if ('type' in inspected) {
      found.push(inspected);
      continue;
    }
    total += inspected.size;
    if (total > MAX_FILES_BYTES)
      throw new UsageError(
        `--files: the files add up to more than ${mebibytes(MAX_FILES_BYTES)} by ${named.path}; share fewer files`,
      );
    found.push({ named, mode: inspected.mode });
  }
  const files: SharedFile[] = [];
  const withheld: WithheldEntry[] = [];
  for (const item of found) {
    if ('type' in item) {
      withheld.push(item);
      continue;
    }
    const shared = share(item.named, await readFile(item.named.absolute), item.mode);
    files.push(...shared.files);
    withheld.push(...shared.withheld);
  }
  return { files, withheld };
}
