/**
 * What a scripted LLM server was asked, in one shape for the three wire formats: the system
 * text, the messages flattened to role, text, tool calls and tool results, and the tools
 * offered. The raw body and headers stay available for assertions on the exact wire shape.
 */
import type { IncomingHttpHeaders } from 'node:http';

/** Which wire format a request came in. */
export type ScriptedProvider = 'anthropic' | 'openai' | 'ollama';

/** A tool result found in a request. */
export interface ScriptedToolResult {
  /** The call it answers (Anthropic `tool_use_id`, OpenAI `tool_call_id`; none on Ollama). */
  readonly callId?: string;
  /** The tool it came from (Ollama `tool_name`). */
  readonly toolName?: string;
  readonly content: string;
  /** Anthropic's `is_error` (the other formats have no such flag). */
  readonly isError: boolean;
}

/** One message of a request, flattened. */
export interface ScriptedMessage {
  /** As the wire says it: user, assistant, or (OpenAI, Ollama) tool. */
  readonly role: string;
  readonly text: string;
  readonly toolCalls: readonly {
    readonly id?: string;
    readonly name: string;
    readonly input: unknown;
  }[];
  readonly toolResults: readonly ScriptedToolResult[];
  readonly images: number;
  readonly documents: number;
}

/** One request the server received. */
export interface ScriptedRequest {
  /** 0 for the first request the server received. */
  readonly index: number;
  readonly provider: ScriptedProvider;
  readonly path: string;
  readonly model: string;
  readonly system: string;
  readonly messages: readonly ScriptedMessage[];
  /** The text of the last user message. */
  readonly lastUserText: string;
  /** Every tool result in the request, in order. */
  readonly toolResults: readonly ScriptedToolResult[];
  /** Names of the tools offered. */
  readonly tools: readonly string[];
  readonly stream: boolean;
  readonly body: Record<string, unknown>;
  readonly headers: IncomingHttpHeaders;
  /** Settles when the reply ended: written whole, or cut because the client went away. */
  readonly outcome: Promise<'finished' | 'client-closed'>;
}

type Json = Record<string, unknown>;

/** The normalized view of a parsed request body. */
export function normalize(
  provider: ScriptedProvider,
  body: Json,
): Pick<ScriptedRequest, 'model' | 'system' | 'messages' | 'tools' | 'stream'> {
  const rawMessages = array(body.messages).map(record);
  const systemMessages = rawMessages.filter((m) => m.role === 'system');
  const system =
    provider === 'anthropic'
      ? textOf(body.system)
      : systemMessages.map((m) => textOf(m.content)).join('\n');
  const messages = rawMessages.filter((m) => m.role !== 'system').map((m) => flatten(provider, m));
  const tools = array(body.tools).map((tool) => {
    const t = record(tool);
    return String(provider === 'anthropic' ? t.name : record(t.function).name);
  });
  return { model: String(body.model), system, messages, tools, stream: body.stream === true };
}

function flatten(provider: ScriptedProvider, m: Json): ScriptedMessage {
  const role = String(m.role);
  const parts =
    typeof m.content === 'string'
      ? [{ type: 'text', text: m.content }]
      : array(m.content).map(record);
  const kind = (type: string): Json[] => parts.filter((p) => p.type === type);
  const toolCalls =
    provider === 'anthropic'
      ? kind('tool_use').map((p) => ({ id: String(p.id), name: String(p.name), input: p.input }))
      : array(m.tool_calls).map((c) => {
          const call = record(c);
          const fn = record(call.function);
          const input: unknown =
            typeof fn.arguments === 'string' ? parseOrText(fn.arguments) : fn.arguments;
          return {
            ...(typeof call.id === 'string' ? { id: call.id } : {}),
            name: String(fn.name),
            input,
          };
        });
  let toolResults: ScriptedToolResult[];
  if (provider === 'anthropic')
    toolResults = kind('tool_result').map((p) => ({
      callId: String(p.tool_use_id),
      content: textOf(p.content),
      isError: p.is_error === true,
    }));
  else if (role === 'tool')
    toolResults = [
      {
        ...(typeof m.tool_call_id === 'string' ? { callId: m.tool_call_id } : {}),
        ...(typeof m.tool_name === 'string' ? { toolName: m.tool_name } : {}),
        content: textOf(m.content),
        isError: false,
      },
    ];
  else toolResults = [];
  return {
    role,
    text:
      role === 'tool'
        ? ''
        : kind('text')
            .map((p) => String(p.text))
            .join('\n'),
    toolCalls,
    toolResults,
    images: kind('image').length + kind('image_url').length + array(m.images).length,
    documents: kind('document').length + kind('file').length,
  };
}

/** Text of a string, or of the text blocks in a block list. */
function textOf(value: unknown): string {
  if (typeof value === 'string') return value;
  return array(value)
    .map(record)
    .filter((p) => p.type === 'text')
    .map((p) => String(p.text))
    .join('\n');
}

function parseOrText(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

function array(value: unknown): unknown[] {
  return Array.isArray(value) ? (value as unknown[]) : [];
}

function record(value: unknown): Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Json)
    : {};
}
