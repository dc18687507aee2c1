/**
 * Small pieces every provider's wire mapping shares: reading a tool call's arguments, the note
 * that stands in for an attachment a provider cannot take, and a tool result's text.
 */
import type { JsonObject } from '../../transport/transport.ts';
import type { ContentBlock, ToolCall } from './types.ts';

/**
 * A tool call from its arguments text. Arguments that are not a JSON object still make a call
 * (with `invalidInput`), so the loop can tell the model instead of failing the whole turn.
 */
export function toolCallFrom(id: string, name: string, argumentsText: string): ToolCall {
  const text = argumentsText.trim();
  if (text === '') return { id, name, input: {} };
  try {
    const value: unknown = JSON.parse(text);
    if (isJsonObject(value)) return { id, name, input: value };
  } catch {
    // Reported below, with the text as the model wrote it.
  }
  return { id, name, input: {}, invalidInput: argumentsText };
}

/** Whether `value` is a plain JSON object (not an array, not null). */
export function isJsonObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The text standing in for an attachment the provider cannot take. */
export function omittedNote(
  block: Extract<ContentBlock, { type: 'image' | 'document' }>,
  provider: string,
  why = `${provider} does not take ${block.type === 'image' ? 'images' : 'this kind of document'}`,
): string {
  const name = block.type === 'document' && block.name !== undefined ? ` ${block.name}` : '';
  return `[${block.type}${name} (${block.mediaType}) left out: ${why}]`;
}

/**
 * A document for a provider that takes only text: a plain-text or Markdown one inlined under
 * its name, anything else (PDF) as a note saying it was left out.
 */
export function documentAsText(
  block: Extract<ContentBlock, { type: 'document' }>,
  provider: string,
): string {
  if (block.mediaType === 'text/plain' || block.mediaType === 'text/markdown') {
    const text = Buffer.from(block.data, 'base64').toString('utf8');
    return `[document${block.name === undefined ? '' : ` ${block.name}`}]\n${text}`;
  }
  return omittedNote(block, provider);
}

/** A tool result as text, for providers without an error flag: failures say so first. */
export function toolResultText(block: Extract<ContentBlock, { type: 'tool_result' }>): string {
  return block.isError === true ? `Error: ${block.content}` : block.content;
}

/** A message's content as blocks (a plain string is one text block). */
export function blocksOf(content: string | readonly ContentBlock[]): readonly ContentBlock[] {
  return typeof content === 'string' ? [{ type: 'text', text: content }] : content;
}
