/**
 * One turn of the chat agent: call the model, run the tools it asks for, give it the results,
 * and again — at most `maxToolRounds` rounds with tools, then one last round in which the model
 * must answer in text. Tool failures go back to the model as data; untrusted tool output is
 * fenced; destructive tools wait for the person's yes. Spend is checked before every call.
 */
import type { JsonObject } from '../transport/transport.ts';
import type {
  ChatMessage,
  ContentBlock,
  ModelRequest,
  ModelResponse,
  ToolCall,
  ToolSpec,
  Usage,
} from './llm/types.ts';
import type { AgentSkill, SkillContext, SkillResult } from './skills/types.ts';

/** How a turn is bounded. */
export interface TurnLimits {
  /** Rounds in which tools are offered; one more round without them follows. */
  readonly maxToolRounds: number;
  readonly maxTokens: number;
}

/** The skills a turn may use. */
export interface TurnSkills {
  tools(): readonly ToolSpec[];
  get(name: string): AgentSkill | undefined;
}

/** Everything a turn needs. */
export interface TurnOptions {
  /** One model call (retries already applied). */
  readonly complete: (request: ModelRequest) => Promise<ModelResponse>;
  readonly system: string;
  /** The conversation so far, ending with the person's new message. */
  readonly messages: readonly ChatMessage[];
  readonly skills: TurnSkills;
  readonly context: SkillContext;
  readonly limits: TurnLimits;
  /** Called before each model call; throws (SpendCapError) to refuse it. */
  readonly beforeCall?: () => void;
  /** Called after each model call with what it used. */
  readonly afterCall?: (usage: Usage) => void;
  /** The reply so far, each time it grows (for streaming it in place). */
  readonly onText?: (textSoFar: string) => void;
  /** Ask the person before a destructive skill runs; resolves true for yes. */
  readonly confirm?: (skill: AgentSkill, input: JsonObject) => Promise<boolean>;
  /** Wrap untrusted content as data for the model. */
  readonly fence: (content: string, source: string) => string;
}

/** What a turn produced. */
export interface TurnResult {
  readonly text: string;
  readonly rounds: number;
  readonly tools: readonly { readonly name: string; readonly ok: boolean }[];
  readonly usage: Usage;
}

/** Run one turn. Rejects when the signal aborts, a call fails for good, or spend is refused. */
export async function runTurn(options: TurnOptions): Promise<TurnResult> {
  const { limits, context } = options;
  const messages: ChatMessage[] = [...options.messages];
  const replies: string[] = [];
  const tools: { name: string; ok: boolean }[] = [];
  let input = 0;
  let output = 0;
  const specs = options.skills.tools();
  for (let round = 1; ; round++) {
    context.signal.throwIfAborted();
    const lastRound = round > limits.maxToolRounds || specs.length === 0;
    options.beforeCall?.();
    const before = replies.join('\n\n');
    const joiner = before === '' ? '' : '\n\n';
    let streamed = '';
    const response = await options.complete({
      system: options.system,
      messages,
      ...(specs.length > 0 ? { tools: specs, toolChoice: lastRound ? 'none' : 'auto' } : {}),
      maxTokens: limits.maxTokens,
      signal: context.signal,
      onText: (delta) => {
        streamed += delta;
        options.onText?.(`${before}${joiner}${streamed}`);
      },
    });
    input += response.usage.inputTokens;
    output += response.usage.outputTokens;
    options.afterCall?.(response.usage);
    if (response.text.trim() !== '') replies.push(response.text.trim());
    const calls = lastRound ? [] : response.toolCalls;
    if (calls.length === 0) {
      return {
        text: replies.join('\n\n'),
        rounds: round,
        tools,
        usage: { inputTokens: input, outputTokens: output },
      };
    }
    messages.push({ role: 'assistant', content: assistantBlocks(response.text, calls) });
    const results: ContentBlock[] = [];
    for (const call of calls) {
      const result = await runTool(call, options);
      tools.push({ name: call.name, ok: result.isError !== true });
      results.push({
        type: 'tool_result',
        callId: call.id,
        content: result.untrusted
          ? options.fence(result.content, result.untrusted.source)
          : result.content,
        ...(result.isError === true ? { isError: true } : {}),
      });
    }
    messages.push({ role: 'user', content: results });
  }
}

function assistantBlocks(text: string, calls: readonly ToolCall[]): ContentBlock[] {
  return [
    ...(text === '' ? [] : [{ type: 'text', text } as const]),
    ...calls.map((call) => ({ type: 'tool_call', call }) as const),
  ];
}

/** Run one tool call; every failure becomes an error result the model reads. */
async function runTool(call: ToolCall, options: TurnOptions): Promise<SkillResult> {
  if (call.invalidInput !== undefined)
    return {
      content: `The input of ${call.name} was not a JSON object (${call.invalidInput.slice(0, 200)}); call it again with valid JSON.`,
      isError: true,
    };
  const skill = options.skills.get(call.name);
  if (skill === undefined)
    return { content: `There is no tool named ${JSON.stringify(call.name)}.`, isError: true };
  if (skill.destructive === true || skill.confirmWhen?.(call.input, options.context) === true) {
    const yes = options.confirm ? await options.confirm(skill, call.input) : false;
    if (!yes)
      return {
        content: `The person did not confirm ${skill.name}, so it was not run. Do not retry it unless they ask.`,
        isError: true,
      };
  }
  try {
    return await skill.run(call.input, options.context);
  } catch (error) {
    options.context.signal.throwIfAborted();
    return {
      content: `${skill.name} failed: ${error instanceof Error ? error.message : String(error)}`,
      isError: true,
    };
  }
}
