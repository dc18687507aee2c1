/**
 * Files people send the agent: saved under the conversation's `files/{uuid}_{name}` (Fluux
 * Agent's layout, names reduced to [A-Za-z0-9._-]), logged with Fluux's attachment fields, and
 * handed to the model when it can read them — images and PDFs as such (when the provider takes
 * them), text-like files as fenced data. Matrix media (encrypted included) comes through the
 * transport's getBlob; XMPP links (OOB, usually XEP-0363 uploads) are downloaded with
 * url_fetch's guard, so a link cannot make the agent reach loopback or cloud metadata addresses.
 */
import { randomUUID } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { extname, join } from 'node:path';
import type { Attachment, Transport } from '../transport/transport.ts';
import type { ContentBlock } from './llm/types.ts';
import type { LoggedMessage } from './session-log.ts';
import { fetchUrl } from './url-fetch.ts';

/** Bigger files are not downloaded. */
export const MAX_ATTACHMENT_BYTES = 20 * 1024 * 1024;
/** Text attachments beyond this are cut for the model (the file keeps everything). */
const MAX_TEXT_CHARS = 100_000;

/** What the model can take besides text. */
export interface ModelAccepts {
  readonly images: boolean;
  readonly pdf: boolean;
}

/** Saved attachments: what to log, and what to show the model. */
export interface SavedAttachments {
  readonly logged: NonNullable<LoggedMessage['attachments']>;
  readonly blocks: ContentBlock[];
}

const IMAGE_TYPES = new Set(['image/png', 'image/jpeg', 'image/gif', 'image/webp']);
const TEXT_EXTENSIONS = new Set([
  '.txt',
  '.md',
  '.csv',
  '.tsv',
  '.json',
  '.yaml',
  '.yml',
  '.toml',
  '.xml',
  '.html',
  '.log',
  '.ts',
  '.js',
  '.py',
  '.rs',
  '.go',
  '.java',
  '.c',
  '.h',
  '.cpp',
  '.sh',
  '.sql',
  '.diff',
  '.patch',
]);

/** Save each attachment and prepare it for the model; failures are logged as Fluux does. */
export async function saveAttachments(
  transport: Transport,
  conversationDir: string,
  attachments: readonly Attachment[],
  options: {
    readonly accepts: ModelAccepts;
    readonly fence: (content: string, source: string) => string;
    readonly signal: AbortSignal;
    readonly allowAddress?: (address: string) => boolean;
  },
): Promise<SavedAttachments> {
  const logged: SavedAttachments['logged'][number][] = [];
  const blocks: ContentBlock[] = [];
  for (const attachment of attachments) {
    const name = safeName(attachment.name ?? nameFromUrl(attachment.url) ?? 'file');
    const type = (attachment.contentType ?? guessType(name)).split(';')[0]?.trim() ?? '';
    let bytes: Uint8Array;
    try {
      bytes = await download(transport, attachment, options);
    } catch {
      logged.push({
        filename: name,
        mime_type: type || 'application/octet-stream',
        size: 'download failed',
      });
      blocks.push({ type: 'text', text: `[The attachment ${name} could not be downloaded.]` });
      continue;
    }
    const dir = join(conversationDir, 'files');
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    writeFileSync(join(dir, `${randomUUID()}_${name}`), bytes, { mode: 0o600 });
    logged.push({
      filename: name,
      mime_type: type || 'application/octet-stream',
      size: humanSize(bytes.byteLength),
    });
    blocks.push(blockFor(name, type, bytes, options));
  }
  return { logged, blocks };
}

async function download(
  transport: Transport,
  attachment: Attachment,
  options: { readonly signal: AbortSignal; readonly allowAddress?: (address: string) => boolean },
): Promise<Uint8Array> {
  if (attachment.size !== undefined && attachment.size > MAX_ATTACHMENT_BYTES)
    throw new Error('too big');
  if (attachment.ref !== undefined)
    return transport.getBlob(attachment.ref, { signal: options.signal, timeoutMs: 60_000 });
  if (attachment.url === undefined) throw new Error('no link');
  const fetched = await fetchUrl(attachment.url, {
    maxBytes: MAX_ATTACHMENT_BYTES,
    timeoutMs: 60_000,
    signal: options.signal,
    ...(options.allowAddress ? { allowAddress: options.allowAddress } : {}),
  });
  if (fetched.status !== 200 || fetched.truncated)
    throw new Error(`HTTP ${String(fetched.status)}`);
  return fetched.body;
}

function blockFor(
  name: string,
  type: string,
  bytes: Uint8Array,
  options: {
    readonly accepts: ModelAccepts;
    readonly fence: (content: string, source: string) => string;
  },
): ContentBlock {
  const data = Buffer.from(bytes).toString('base64');
  if (IMAGE_TYPES.has(type) && options.accepts.images)
    return { type: 'image', mediaType: type, data };
  if (type === 'application/pdf' && options.accepts.pdf)
    return { type: 'document', mediaType: type, data, name };
  if (isText(name, type)) {
    const text = Buffer.from(bytes).toString('utf8');
    const cut =
      text.length > MAX_TEXT_CHARS
        ? `${text.slice(0, MAX_TEXT_CHARS)}\n[… cut at ${String(MAX_TEXT_CHARS)} characters]`
        : text;
    return { type: 'text', text: options.fence(cut, `attachment ${name}`) };
  }
  return {
    type: 'text',
    text: `[The person attached ${name} (${type || 'unknown type'}, ${humanSize(bytes.byteLength)}), which you cannot read.]`,
  };
}

function isText(name: string, type: string): boolean {
  if (type.startsWith('text/')) return true;
  if (/^application\/(json|xml|x-yaml|yaml|toml|csv|javascript|x-sh)$/.test(type)) return true;
  return TEXT_EXTENSIONS.has(extname(name).toLowerCase());
}

/** Fluux's file name rule: [A-Za-z0-9._-], anything else `_`; never empty or dot-only. */
export function safeName(name: string): string {
  const cleaned = name.replace(/[^A-Za-z0-9._-]/g, '_').slice(-120);
  return /^\.*$/.test(cleaned) ? 'file' : cleaned.replace(/^\.+/, '_');
}

/** Fluux's size strings: `{n}B`, `{n}KB` (whole), `{x.y}MB`. */
export function humanSize(bytes: number): string {
  if (bytes < 1024) return `${String(bytes)}B`;
  if (bytes < 1024 * 1024) return `${String(Math.floor(bytes / 1024))}KB`;
  return `${(bytes / (1024 * 1024)).toFixed(1)}MB`;
}

function nameFromUrl(url: string | undefined): string | undefined {
  if (url === undefined || !URL.canParse(url)) return undefined;
  const last = new URL(url).pathname
    .split('/')
    .filter((p) => p !== '')
    .at(-1);
  return last === undefined ? undefined : decodeURIComponent(last);
}

function guessType(name: string): string {
  const ext = extname(name).toLowerCase();
  const known: Record<string, string> = {
    '.png': 'image/png',
    '.jpg': 'image/jpeg',
    '.jpeg': 'image/jpeg',
    '.gif': 'image/gif',
    '.webp': 'image/webp',
    '.pdf': 'application/pdf',
    '.txt': 'text/plain',
    '.md': 'text/markdown',
    '.json': 'application/json',
    '.csv': 'text/csv',
  };
  return known[ext] ?? '';
}
