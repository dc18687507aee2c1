/**
 * Human messages as `m.room.message` content (Client-Server API, "Instant Messaging"), beyond
 * plain text: edits (`m.replace`, "Event replacements"), intentional mentions (`m.mentions`,
 * and matrix.to pills in `formatted_body`), media (`m.image`, `m.file`, `m.audio`, `m.video`)
 * and our confirmation request (`org.mxagent.confirm`, specs/protocol.md §10.2).
 */
import { UsageError, quote } from '../../errors.ts';
import type { Attachment, JsonObject, OutboundText } from '../transport.ts';
import { isUserId } from './address.ts';
import { mediaRef } from './event-media.ts';

/** The content field carrying a ConfirmRequest on a text event. */
export const CONFIRM_FIELD = 'org.mxagent.confirm';

/** Human text as it arrives, with what the event says beyond the text. */
export interface DecodedText {
  readonly type: 'text';
  readonly text: string;
  readonly mentions?: readonly string[];
  readonly attachments?: readonly Attachment[];
  readonly replaces?: string;
}

/** A message event that is not well formed, and why. */
export interface DecodedRejection {
  readonly type: 'rejected';
  readonly reason: string;
}

const TEXT_TYPES = new Set(['m.text', 'm.notice', 'm.emote']);
const MEDIA_TYPES = new Set(['m.image', 'm.file', 'm.audio', 'm.video']);
/** An event id we can point a relation at: never a batch item (`$event#3`, batch.ts). */
const EVENT_ID = /^\$[^#\s]+$/;
const RISKS = new Set(['low', 'medium', 'high']);

/** Check what only Matrix needs of outbound text, or throw UsageError saying what was expected. */
export function assertMatrixText(content: OutboundText): void {
  const { replaces, mentions, confirm } = content;
  if (replaces !== undefined && !EVENT_ID.test(replaces)) {
    throw new UsageError(
      `expected the id of a text message we sent (a Matrix event id like $abc) to edit, got ${quote(replaces)}`,
    );
  }
  for (const id of mentions ?? []) {
    if (!isUserId(id)) {
      throw new UsageError(
        `expected mentions to be Matrix user ids like @alice:example.org, got ${quote(id)}`,
      );
    }
  }
  if (
    confirm !== undefined &&
    (typeof confirm.id !== 'string' ||
      confirm.id === '' ||
      typeof confirm.action !== 'string' ||
      confirm.action === '' ||
      !Number.isFinite(confirm.expires) ||
      (confirm.risk !== undefined && !RISKS.has(confirm.risk)))
  ) {
    throw new UsageError(
      `expected a confirmation request {id, action, expires, risk?: low|medium|high}, got ${quote(JSON.stringify(confirm))}`,
    );
  }
}

/**
 * The content of an outbound text event. An edit carries the new text in `m.new_content` and
 * `* text` as the fallback older clients show; mentions go in both, so whoever the edit
 * mentions is notified (we do not remember whom the original mentioned).
 */
export function encodeText(content: OutboundText): JsonObject {
  const { text, replaces, mentions, confirm } = content;
  const mentioned: JsonObject = mentions ? { 'm.mentions': { user_ids: [...mentions] } } : {};
  const request: JsonObject = confirm
    ? {
        [CONFIRM_FIELD]: {
          id: confirm.id,
          action: confirm.action,
          expires: confirm.expires,
          ...(confirm.risk ? { risk: confirm.risk } : {}),
        },
      }
    : {};
  if (replaces === undefined) {
    return { msgtype: 'm.text', body: text, ...mentioned, ...request };
  }
  return {
    msgtype: 'm.text',
    body: `* ${text}`,
    'm.new_content': { msgtype: 'm.text', body: text, ...mentioned },
    'm.relates_to': { rel_type: 'm.replace', event_id: replaces },
    ...mentioned,
    ...request,
  };
}

/** Decode `m.room.message` content; undefined for message types that are not input. */
export function decodeMessage(
  content: Record<string, unknown>,
): DecodedText | DecodedRejection | undefined {
  const relation = record(content['m.relates_to']);
  if (relation?.rel_type !== 'm.replace') return decodeBody(content);
  const original = relation.event_id;
  if (typeof original !== 'string' || !EVENT_ID.test(original)) {
    return { type: 'rejected', reason: `an edit (m.replace) without a valid event_id` };
  }
  const replacement = record(content['m.new_content']);
  if (!replacement)
    return { type: 'rejected', reason: `an edit of ${original} without m.new_content` };
  const decoded = decodeBody(replacement);
  return decoded?.type === 'text' ? { ...decoded, replaces: original } : decoded;
}

function decodeBody(content: Record<string, unknown>): DecodedText | DecodedRejection | undefined {
  const { msgtype, body } = content;
  if (typeof msgtype !== 'string') return undefined;
  const media = MEDIA_TYPES.has(msgtype);
  if (!media && !TEXT_TYPES.has(msgtype)) return undefined;
  if (typeof body !== 'string') {
    return { type: 'rejected', reason: `an m.room.message (${msgtype}) without a string body` };
  }
  const mentions = mentionsOf(content);
  const mentioned = mentions.length > 0 ? { mentions } : {};
  if (!media) {
    return { type: 'text', text: msgtype === 'm.emote' ? `* ${body}` : body, ...mentioned };
  }
  const ref = mediaRef(content);
  if ('problem' in ref) return { type: 'rejected', reason: `an ${msgtype} event ${ref.problem}` };
  // Spec v1.10 media captions: a `filename` that differs from `body` makes `body` a caption.
  const filename = typeof content.filename === 'string' ? content.filename : undefined;
  const caption = filename !== undefined && filename !== '' && filename !== body ? body : '';
  const { name, contentType, size } = ref.ref;
  const attachment: Attachment = {
    ref: ref.ref,
    ...(name ? { name } : {}),
    ...(contentType ? { contentType } : {}),
    ...(ref.sizeKnown ? { size } : {}),
  };
  return { type: 'text', text: caption, ...mentioned, attachments: [attachment] };
}

/** `https://matrix.to/#/@user:server` links (pills), the id possibly percent-encoded. */
const PILL = /href\s*=\s*["']https:\/\/matrix\.to\/#\/((?:@|%40)[^"'?/]+)/gi;

/** Who a message mentions: `m.mentions.user_ids` and the users its HTML links to (pills). */
function mentionsOf(content: Record<string, unknown>): string[] {
  const found = new Set<string>();
  const ids = record(content['m.mentions'])?.user_ids;
  if (Array.isArray(ids)) {
    for (const id of ids) if (typeof id === 'string' && isUserId(id)) found.add(id);
  }
  const html = content.formatted_body;
  if (content.format === 'org.matrix.custom.html' && typeof html === 'string') {
    for (const match of html.matchAll(PILL)) {
      const id = percentDecoded(match[1] ?? '');
      if (id !== undefined && isUserId(id)) found.add(id);
    }
  }
  return [...found];
}

function percentDecoded(text: string): string | undefined {
  try {
    return decodeURIComponent(text);
  } catch {
    return undefined;
  }
}

function record(value: unknown): Record<string, unknown> | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined;
}
