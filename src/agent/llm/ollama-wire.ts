/**
 * Our messages and tools in the shape of Ollama's `/api/chat`
 * (https://github.com/ollama/ollama/blob/main/docs/api.md#chat-request-with-tools): the system
 * prompt as the first message, images as base64 strings in `images`, tool calls as the
 * assistant's `tool_calls` with arguments as an object, results as `tool` messages naming the
 * tool (Ollama pairs them by name and order, not by id).
 */
import type { Message, Tool } from 'ollama';
import { blocksOf, documentAsText, toolResultText } from './content.ts';
import type { ChatMessage, ContentBlock, ToolSpec } from './types.ts';

/** The system prompt and our conversation as Ollama messages. */
export function ollamaMessages(system: string, messages: readonly ChatMessage[]): Message[] {
  const out: Message[] = system === '' ? [] : [{ role: 'system', content: system }];
  // Results name their tool: remember each call's name by its id.
  const toolNames = new Map<string, string>();
  for (const message of messages) {
    const blocks = blocksOf(message.content);
    if (message.role === 'assistant') {
      for (const block of blocks)
        if (block.type === 'tool_call') toolNames.set(block.call.id, block.call.name);
      out.push(assistantMessage(blocks));
    } else out.push(...userMessages(blocks, toolNames));
  }
  return out;
}

/** Our tools as Ollama function tools. */
export function ollamaTools(tools: readonly ToolSpec[]): Tool[] {
  return tools.map((tool) => ({
    type: 'function',
    function: {
      name: tool.name,
      description: tool.description,
      parameters: tool.inputSchema,
    },
  }));
}

function assistantMessage(blocks: readonly ContentBlock[]): Message {
  const text = blocks.map((block) => (block.type === 'text' ? block.text : '')).join('');
  const calls = blocks.flatMap((block) =>
    block.type === 'tool_call'
      ? [{ function: { name: block.call.name, arguments: block.call.input } }]
      : [],
  );
  return { role: 'assistant', content: text, ...(calls.length === 0 ? {} : { tool_calls: calls }) };
}

/** Tool results first (they answer the previous assistant message), then the user's turn. */
function userMessages(
  blocks: readonly ContentBlock[],
  toolNames: ReadonlyMap<string, string>,
): Message[] {
  const out: Message[] = [];
  const texts: string[] = [];
  const images: string[] = [];
  for (const block of blocks) {
    switch (block.type) {
      case 'tool_result': {
        const name = toolNames.get(block.callId);
        out.push({
          role: 'tool',
          content: toolResultText(block),
          ...(name === undefined ? {} : { tool_name: name }),
        });
        break;
      }
      case 'text':
        if (block.text !== '') texts.push(block.text);
        break;
      case 'image':
        images.push(block.data);
        break;
      case 'document':
        texts.push(documentAsText(block, 'ollama'));
        break;
      case 'tool_call':
        break;
    }
  }
  if (texts.length > 0 || images.length > 0)
    out.push({
      role: 'user',
      content: texts.join('\n\n'),
      ...(images.length === 0 ? {} : { images }),
    });
  return out;
}
