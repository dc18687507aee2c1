/**
 * What an MCP tool gives back, as text for the model, and what its skill is called. Result
 * content follows the MCP spec (2025-06-18, server/tools "Tool Result"): text parts are kept,
 * images, audio, resource links and binary resources are summarised in a line each.
 */
import { createHash } from 'node:crypto';
import type { ContentBlock } from '@modelcontextprotocol/sdk/types.js';

/** Longest result text handed to the model, in characters. */
export const MAX_RESULT_CHARS = 100_000;

/** `<server>__<tool>` within the tool-name rule [a-zA-Z0-9_-]{1,64}; a cut name gets a hash to stay unique. */
export function mcpSkillName(server: string, tool: string): string {
  const name = `${server}__${tool}`.replace(/[^a-zA-Z0-9_-]/g, '_');
  if (name.length <= 64) return name;
  const hash = createHash('sha256').update(`${server}\0${tool}`).digest('hex').slice(0, 8);
  return `${name.slice(0, 55)}_${hash}`;
}

/** The text of a tool result's content parts, and of its structured content when there are none. */
export function resultText(content: readonly ContentBlock[], structured?: unknown): string {
  const parts = content.map(partText);
  if (parts.length === 0 && structured !== undefined) parts.push(JSON.stringify(structured));
  const text = parts.join('\n');
  if (text.length <= MAX_RESULT_CHARS) return text;
  return `${text.slice(0, MAX_RESULT_CHARS)}\n\n[Result truncated at ${String(MAX_RESULT_CHARS)} characters]`;
}

function partText(part: ContentBlock): string {
  switch (part.type) {
    case 'text':
      return part.text;
    case 'image':
      return `[image: ${part.mimeType}, ${size(part.data)}]`;
    case 'audio':
      return `[audio: ${part.mimeType}, ${size(part.data)}]`;
    case 'resource_link':
      return `[resource link: ${part.name} <${part.uri}>${part.mimeType === undefined ? '' : `, ${part.mimeType}`}]`;
    case 'resource': {
      const r = part.resource;
      if ('text' in r) return `[resource <${r.uri}>]\n${r.text}`;
      return `[resource <${r.uri}>: ${r.mimeType ?? 'binary'}, ${size(r.blob)}]`;
    }
  }
}

/** The size of base64 data, decoded. */
function size(base64: string): string {
  const bytes = Math.floor((base64.replace(/=+$/, '').length * 3) / 4);
  return bytes >= 1024 ? `${String(Math.round(bytes / 1024))} KiB` : `${String(bytes)} bytes`;
}
