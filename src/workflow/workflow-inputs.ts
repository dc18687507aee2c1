/** A workflow's `inputs:` — reading the declarations, and resolving the values a run is given. */
import { isScalar, type Node } from 'yaml';
import { UsageError } from '../errors.ts';
import { hasExpression } from './expressions-template.ts';
import { ID, readBoolean, readText } from './workflow-fields.ts';
import { idHint } from './workflow-steps.ts';
import { didYouMean } from './workflow-suggest.ts';
import type { InputValue, Workflow, WorkflowInput } from './workflow-types.ts';
import type { Path, YamlSource } from './workflow-yaml.ts';

/** Keys of one input. */
export const INPUT_KEYS = ['description', 'default', 'required'] as const;

/** Read `inputs:`: ids to `{ description?, default?, required? }`. */
export function readInputs(
  src: YamlSource,
  node: Node | null,
  path: Path,
): Record<string, WorkflowInput> {
  const inputs: [string, WorkflowInput][] = [];
  for (const { key, keyNode, value, path: at } of src.entries(node, path) ?? []) {
    if (!ID.test(key)) src.report(keyNode, at, idHint('input id', key));
    const input: { -readonly [K in keyof WorkflowInput]: WorkflowInput[K] } = { required: false };
    const entries =
      isScalar(value) && value.value === null ? [] : (src.entries(value, at, INPUT_KEYS) ?? []);
    for (const field of entries) {
      if (field.key === 'description') {
        const description = readText(src, field.value, field.path);
        if (description !== undefined) input.description = description;
      } else if (field.key === 'required')
        input.required = readBoolean(src, field.value, field.path) ?? false;
      else {
        const fallback = isScalar(field.value) ? field.value.value : undefined;
        if (typeof fallback === 'string' && hasExpression(fallback)) {
          src.report(field.value, field.path, 'expressions (${{ }}) are not allowed in a default');
        } else if (
          typeof fallback === 'string' ||
          typeof fallback === 'number' ||
          typeof fallback === 'boolean'
        ) {
          input.default = fallback;
        } else src.expected(field.value, field.path, 'text, a number, true or false');
      }
    }
    inputs.push([key, input]);
  }
  return Object.fromEntries(inputs);
}

/**
 * The inputs of a run: the values given (as text, from `--input name=value`) and the defaults.
 * Throws a UsageError naming unknown inputs and required ones missing.
 */
export function resolveInputs(
  workflow: Workflow,
  given: Readonly<Record<string, string>>,
): Record<string, InputValue> {
  const declared = Object.keys(workflow.inputs);
  const problems: string[] = [];
  for (const name of Object.keys(given)) {
    if (!Object.hasOwn(workflow.inputs, name)) {
      const known = declared.length === 0 ? 'it declares none' : `inputs: ${declared.join(', ')}`;
      problems.push(
        `unknown input ${JSON.stringify(name)}${didYouMean(name, declared)} (${known})`,
      );
    }
  }
  const values: [string, InputValue][] = [];
  for (const [name, input] of Object.entries(workflow.inputs)) {
    const value = Object.hasOwn(given, name) ? given[name] : input.default;
    if (value !== undefined) values.push([name, value]);
    else if (input.required)
      problems.push(`missing required input ${JSON.stringify(name)}${describe(input)}`);
  }
  if (problems.length > 0) {
    throw new UsageError(`workflow ${JSON.stringify(workflow.name)}: ${problems.join('; ')}`);
  }
  return Object.fromEntries(values);
}

function describe(input: WorkflowInput): string {
  return input.description === undefined ? '' : ` (${input.description})`;
}
