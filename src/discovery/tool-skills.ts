/**
 * The tools of a worker's policy as skills on its agent card (specs/protocol.md §6.1): a name,
 * a description and a JSON Schema of the inputs — what a peer needs to call one, and nothing of
 * how it runs (the command, its arguments and directory stay on the worker).
 */
import { offeredTools } from '../security/policy-tools.ts';
import type { Policy, PolicyTool, ToolInput } from '../security/policy-types.ts';
import type { JsonObject } from '../transport/transport.ts';
import type { Skill } from './card.ts';

/** Version of a tool skill: the tool protocol of specs/protocol.md §9. */
export const TOOL_SKILL_VERSION = '1';

/** The skills of the tools some rule of `policy` admits someone to. */
export function toolSkills(policy: Policy): Skill[] {
  return offeredTools(policy).map(toolSkill);
}

/** One tool as a skill. */
export function toolSkill(tool: PolicyTool): Skill {
  const required = Object.entries(tool.inputs)
    .filter(([, input]) => input.required)
    .map(([name]) => name);
  const properties = Object.fromEntries(
    Object.entries(tool.inputs).map(([name, input]) => [name, inputSchema(input)]),
  );
  return {
    name: tool.name,
    version: TOOL_SKILL_VERSION,
    ...(tool.description === undefined ? {} : { description: tool.description }),
    inputSchema: {
      type: 'object',
      properties,
      ...(required.length === 0 ? {} : { required }),
      additionalProperties: false,
    },
  };
}

function inputSchema(input: ToolInput): JsonObject {
  return {
    type: input.type,
    // The worker matches the whole value; JSON Schema patterns match anywhere unless anchored.
    ...(input.pattern === undefined ? {} : { pattern: `^(?:${input.pattern})$` }),
    ...(input.description === undefined ? {} : { description: input.description }),
    ...(input.default === undefined ? {} : { default: input.default }),
  };
}

/** Skills of the policy first (the worker runs those), then the others not named the same. */
export function mergeSkills(first: readonly Skill[], then: readonly Skill[]): Skill[] {
  return [...first, ...then.filter((s) => !first.some((f) => f.name === s.name))];
}
