/**
 * The `url_fetch` skill: read a web page (or a text or JSON document) for the model, through
 * ../url-fetch.ts and its guard against private and metadata addresses. Fluux Agent's tool name,
 * input and result shape ("Content from: URL", a 20 000-character cap with a note), but any
 * failure, including a refused address with the reason, is an error result, never a throw.
 */
import { BlockList, isIP } from 'node:net';
import { messageOf } from '../../errors.ts';
import { fetchUrl, type FetchLimits, type Fetched } from '../url-fetch.ts';
import { htmlToText } from './html-text.ts';
import { failure, requiredString } from './input.ts';
import type { AgentSkill, SkillResult } from './types.ts';

/** What the owner set under `[skills.url_fetch]`, and the text cap. */
export interface UrlFetchOptions {
  /** Largest body read, in bytes (5 MiB). */
  readonly maxBytes?: number;
  /** Longest a fetch may take, in milliseconds (30 s). */
  readonly timeoutMs?: number;
  /** Let the model reach loopback, private and link-local addresses (tests, a home lab). */
  readonly allowPrivate?: boolean;
  /** Or only these addresses and CIDR ranges of them (`10.0.0.5`, `192.168.1.0/24`). */
  readonly allowAddresses?: readonly string[];
  /** Characters of text handed to the model (20 000, as Fluux Agent). */
  readonly maxChars?: number;
  /** The fetcher (tests may pass another). */
  readonly fetch?: (url: string, limits: FetchLimits) => Promise<Fetched>;
}

const DEFAULT_MAX_CHARS = 20_000;

/** The `url_fetch` skill. */
export function urlFetchSkill(options: UrlFetchOptions = {}): AgentSkill {
  const allowAddress = addressList(options.allowAddresses ?? []);
  const fetch = options.fetch ?? fetchUrl;
  const timeoutMs = options.timeoutMs ?? 30_000;
  return {
    name: 'url_fetch',
    description:
      'Fetch a web page (or a text or JSON document) at a given http:// or https:// URL and ' +
      'return its readable text, without the HTML markup. Use it when you have a specific URL ' +
      'to read: to summarise an article, look something up on a page, or follow a link from ' +
      'search results.',
    inputSchema: {
      type: 'object',
      properties: {
        url: { type: 'string', description: 'The URL to fetch (http:// or https://)' },
      },
      required: ['url'],
    },
    async run(input, context) {
      const url = requiredString('url_fetch', input, 'url');
      if (typeof url !== 'string') return url;
      let fetched: Fetched;
      try {
        fetched = await fetch(url, {
          ...(options.maxBytes === undefined ? {} : { maxBytes: options.maxBytes }),
          timeoutMs,
          ...(options.allowPrivate === true ? { allowPrivate: true } : {}),
          ...(allowAddress === undefined ? {} : { allowAddress }),
          signal: context.signal,
        });
      } catch (error) {
        if (context.signal.aborted) return failure(`url_fetch: stopped before ${url} was read`);
        if (isAbort(error))
          return failure(`url_fetch: ${url} did not answer within ${String(timeoutMs / 1000)} s`);
        return failure(messageOf(error));
      }
      return readable(fetched, options.maxChars ?? DEFAULT_MAX_CHARS, options.maxBytes);
    },
  };
}

/** The fetched body as text for the model, or why it cannot be. */
function readable(fetched: Fetched, maxChars: number, maxBytes?: number): SkillResult {
  if (fetched.status < 200 || fetched.status > 299)
    return failure(`url_fetch: ${fetched.url} answered HTTP ${String(fetched.status)}`);
  const type = (fetched.contentType ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
  const kind = kindOf(type, fetched.body);
  if (kind === undefined)
    return failure(
      `url_fetch: ${fetched.url} is ${type === '' ? 'binary data' : type}, which url_fetch does not read (it reads HTML, text and JSON)`,
    );
  const raw = decode(fetched.body, fetched.contentType);
  let text = (kind === 'html' ? htmlToText(raw) : raw).trim();
  const notes: string[] = [];
  if (fetched.truncated)
    notes.push(
      `[The document is larger than ${String(maxBytes ?? fetched.body.length)} bytes; only its beginning was read]`,
    );
  const chars = Array.from(text);
  if (chars.length > maxChars) {
    text = chars.slice(0, maxChars).join('');
    notes.push(`[Content truncated at ${String(maxChars)} characters]`);
  }
  const body = text === '' ? '[No text content extracted]' : text;
  return {
    content: `Content from: ${fetched.url}\n\n${body}${notes.map((n) => `\n\n${n}`).join('')}`,
    untrusted: { source: fetched.url },
  };
}

/** How to read a media type: markup to strip, text as it is, or not at all. */
function kindOf(type: string, body: Buffer): 'html' | 'text' | undefined {
  if (type === 'text/html' || type === 'application/xhtml+xml') return 'html';
  if (type.startsWith('text/')) return 'text';
  if (/^application\/(?:[\w.+-]+\+)?(?:json|xml)$/.test(type) || type === 'application/javascript')
    return 'text';
  if (type !== '') return undefined;
  // No type given: text unless it looks binary.
  const head = body.subarray(0, 1024);
  if (head.includes(0)) return undefined;
  return /^\s*<(?:!doctype html|html)\b/i.test(head.toString('latin1')) ? 'html' : 'text';
}

/** The body in its declared charset, UTF-8 when none or an unknown one is declared. */
function decode(body: Buffer, contentType: string | undefined): string {
  const charset = /charset\s*=\s*"?([\w.:-]+)/i.exec(contentType ?? '')?.[1];
  try {
    return new TextDecoder(charset ?? 'utf-8').decode(body);
  } catch {
    return new TextDecoder('utf-8').decode(body);
  }
}

/** A predicate for the owner's allowlist, undefined when empty. */
function addressList(entries: readonly string[]): ((address: string) => boolean) | undefined {
  if (entries.length === 0) return undefined;
  const list = new BlockList();
  for (const entry of entries) {
    const [address = '', prefix] = entry.split('/');
    const type = isIP(address) === 6 ? 'ipv6' : 'ipv4';
    if (prefix === undefined) list.addAddress(address, type);
    else list.addSubnet(address, Number(prefix), type);
  }
  return (address) => list.check(address, isIP(address) === 6 ? 'ipv6' : 'ipv4');
}

function isAbort(error: unknown): boolean {
  for (let e = error; e instanceof Error; e = e.cause) {
    if (e.name === 'AbortError' || e.name === 'TimeoutError') return true;
  }
  return false;
}
