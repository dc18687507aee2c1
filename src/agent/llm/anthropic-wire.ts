/**
 * Our messages and tools in the shape of Anthropic's Messages API
 * (https://docs.anthropic.com/en/api/messages): tool calls as `tool_use` blocks, their results as
 * `tool_result` blocks with `is_error`, images and PDFs as base64 sources.
 */
import type Anthropic from '@anthropic-ai/sdk';
import { blocksOf, omittedNote } from './content.ts';
import type { ChatMessage, ContentBlock, ToolSpec } from './types.ts';

type ImageMediaType = Anthropic.Base64ImageSource['media_type'];

/** The image types the Messages API takes (docs: "Vision", supported formats). */
const IMAGE_TYPES: readonly string[] = ['image/jpeg', 'image/png', 'image/gif', 'image/webp'];

/** Our conversation as Anthropic message params. */
export function anthropicMessages(messages: readonly ChatMessage[]): Anthropic.MessageParam[] {
  return messages.map((message) => ({
    role: message.role,
    content: blocksOf(message.content)
      .map(anthropicBlock)
      .filter((block): block is Anthropic.ContentBlockParam => block !== undefined),
  }));
}

/** Our tools as Anthropic tool definitions. */
export function anthropicTools(tools: readonly ToolSpec[]): Anthropic.Tool[] {
  return tools.map((tool) => ({
    name: tool.name,
    description: tool.description,
    input_schema: { type: 'object', ...tool.inputSchema },
  }));
}

/** One block; undefined for an empty text block, which the API refuses. */
function anthropicBlock(block: ContentBlock): Anthropic.ContentBlockParam | undefined {
  switch (block.type) {
    case 'text':
      return block.text === '' ? undefined : { type: 'text', text: block.text };
    case 'image':
      if (!IMAGE_TYPES.includes(block.mediaType))
        return {
          type: 'text',
          text: omittedNote(block, 'anthropic', 'anthropic takes JPEG, PNG, GIF and WebP images'),
        };
      return {
        type: 'image',
        source: { type: 'base64', media_type: block.mediaType as ImageMediaType, data: block.data },
      };
    case 'document':
      return documentBlock(block);
    case 'tool_call':
      return {
        type: 'tool_use',
        id: block.call.id,
        name: block.call.name,
        input: block.call.input,
      };
    case 'tool_result':
      return {
        type: 'tool_result',
        tool_use_id: block.callId,
        content: block.content,
        ...(block.isError === true ? { is_error: true } : {}),
      };
  }
}

/** A PDF as a base64 document; plain text as a text document; anything else as a note. */
function documentBlock(
  block: Extract<ContentBlock, { type: 'document' }>,
): Anthropic.ContentBlockParam {
  const title = block.name === undefined ? {} : { title: block.name };
  if (block.mediaType === 'application/pdf')
    return {
      type: 'document',
      source: { type: 'base64', media_type: 'application/pdf', data: block.data },
      ...title,
    };
  if (block.mediaType === 'text/plain')
    return {
      type: 'document',
      source: {
        type: 'text',
        media_type: 'text/plain',
        data: Buffer.from(block.data, 'base64').toString('utf8'),
      },
      ...title,
    };
  return {
    type: 'text',
    text: omittedNote(block, 'anthropic', 'anthropic takes PDF and plain-text documents'),
  };
}
