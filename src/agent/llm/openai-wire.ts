/**
 * Our messages and tools in the shape of OpenAI's Chat Completions API
 * (https://platform.openai.com/docs/api-reference/chat), which vLLM, llama.cpp's server,
 * LM Studio and OpenRouter speak too: the system prompt as the first message, tool calls as the
 * assistant's `tool_calls`, each result as its own `role: 'tool'` message, images as data URIs.
 */
import type {
  ChatCompletionContentPart,
  ChatCompletionContentPartText,
  ChatCompletionMessageParam,
  ChatCompletionMessageToolCall,
  ChatCompletionTool,
} from 'openai/resources/chat/completions';
import { blocksOf, documentAsText, toolResultText } from './content.ts';
import type { ChatMessage, ContentBlock, ToolSpec } from './types.ts';

/** The system prompt and our conversation as Chat Completions messages. */
export function openaiMessages(
  system: string,
  messages: readonly ChatMessage[],
): ChatCompletionMessageParam[] {
  const out: ChatCompletionMessageParam[] =
    system === '' ? [] : [{ role: 'system', content: system }];
  for (const message of messages) {
    if (message.role === 'assistant') out.push(assistantMessage(blocksOf(message.content)));
    else out.push(...userMessages(blocksOf(message.content)));
  }
  return out;
}

/** Our tools as function tools. */
export function openaiTools(tools: readonly ToolSpec[]): ChatCompletionTool[] {
  return tools.map((tool) => ({
    type: 'function',
    function: { name: tool.name, description: tool.description, parameters: tool.inputSchema },
  }));
}

function assistantMessage(blocks: readonly ContentBlock[]): ChatCompletionMessageParam {
  const text = blocks
    .map((block) => (block.type === 'text' ? block.text : ''))
    .join('')
    .trim();
  const calls: ChatCompletionMessageToolCall[] = [];
  for (const block of blocks) {
    if (block.type !== 'tool_call') continue;
    const { call } = block;
    calls.push({
      id: call.id,
      type: 'function',
      // What the model wrote, when it was not JSON: it is told so in the tool's result.
      function: { name: call.name, arguments: call.invalidInput ?? JSON.stringify(call.input) },
    });
  }
  return {
    role: 'assistant',
    content: text === '' && calls.length > 0 ? null : text,
    ...(calls.length === 0 ? {} : { tool_calls: calls }),
  };
}

/**
 * A user message. Tool results become `tool` messages placed first: they must directly follow
 * the assistant message that made the calls. Text alone is sent as a string, which every
 * compatible server takes (some refuse content arrays).
 */
function userMessages(blocks: readonly ContentBlock[]): ChatCompletionMessageParam[] {
  const out: ChatCompletionMessageParam[] = [];
  const parts: ChatCompletionContentPart[] = [];
  for (const block of blocks) {
    switch (block.type) {
      case 'tool_result':
        out.push({ role: 'tool', tool_call_id: block.callId, content: toolResultText(block) });
        break;
      case 'text':
        if (block.text !== '') parts.push({ type: 'text', text: block.text });
        break;
      case 'image':
        parts.push({
          type: 'image_url',
          image_url: { url: `data:${block.mediaType};base64,${block.data}` },
        });
        break;
      case 'document':
        parts.push({ type: 'text', text: documentAsText(block, 'openai') });
        break;
      case 'tool_call':
        break;
    }
  }
  if (parts.length === 0) return out;
  const isText = (part: ChatCompletionContentPart): part is ChatCompletionContentPartText =>
    part.type === 'text';
  out.push({
    role: 'user',
    content: parts.every(isText) ? parts.map((part) => part.text).join('\n\n') : parts,
  });
  return out;
}
