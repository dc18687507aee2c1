/**
 * Fluux Agent's protocol `urn:fluux:agent:0` as XML (specs/protocol.md §11.2): the `#skills`
 * query and `#execute` request Fluux defines, and the answers it leaves undefined, which are our
 * extension: `<skill>` elements with a JSON Schema and flat `<param/>` hints, `<result>` text,
 * and RFC 6120 §8.3 stanza errors with a `<text/>`.
 */
import { xml, type Element } from '@xmpp/xml';
import { quote } from '../../errors.ts';
import { agentResponseProblem, type AgentAsk } from '../agent-shapes.ts';
import { parseJsonObject } from '../payload.ts';
import type { AgentResponse, JsonObject, SkillDescription } from '../transport.ts';

export const NS_AGENT_SKILLS = 'urn:fluux:agent:0#skills';
export const NS_AGENT_EXECUTE = 'urn:fluux:agent:0#execute';
export const NS_AGENT_CONFIRM = 'urn:fluux:agent:0#confirm';
/** What disco#info lists while we answer agent requests. */
export const AGENT_FEATURES: readonly string[] = [
  NS_AGENT_CONFIRM,
  NS_AGENT_EXECUTE,
  NS_AGENT_SKILLS,
];

const NS_STANZAS = 'urn:ietf:params:xml:ns:xmpp-stanzas';
const SCHEMA_TYPE = 'application/schema+json';

/** RFC 6120 §8.3.2: what the asker should do about each condition. */
const ERROR_TYPES: Record<Extract<AgentResponse, { kind: 'error' }>['condition'], string> = {
  'bad-request': 'modify',
  forbidden: 'auth',
  'not-authorized': 'auth',
  'item-not-found': 'cancel',
  'internal-server-error': 'cancel',
  'service-unavailable': 'cancel',
};

/** The child of the request IQ: `<query xmlns='…#skills'/>` or `<execute skill>` with params. */
export function requestElement(ask: AgentAsk): Element {
  if (ask.kind === 'skills') return xml('query', { xmlns: NS_AGENT_SKILLS });
  return xml(
    'execute',
    { xmlns: NS_AGENT_EXECUTE, skill: ask.skill },
    ...Object.entries(ask.params).map(([name, value]) => xml('param', { name }, value)),
  );
}

/**
 * Read `<execute skill='…'><param name='…'>value</param>…</execute>`: the skill and its
 * params, or what is wrong (no skill, a nameless, nested or repeated param, stray text, an
 * unknown element of the namespace). Children in other namespaces are extensions, ignored.
 */
export function parseExecute(
  element: Element,
): { readonly skill: string; readonly params: Record<string, string> } | { problem: string } {
  const skill = element.attrs.skill;
  if (skill === undefined || skill.trim() === '')
    return { problem: "expected a 'skill' attribute naming the skill to execute" };
  const params: Record<string, string> = Object.create(null) as Record<string, string>;
  for (const child of element.children) {
    if (typeof child === 'string') {
      if (child.trim() !== '') return { problem: `unexpected text ${quote(child.trim())}` };
      continue;
    }
    const ns = child.getNS();
    if (ns !== NS_AGENT_EXECUTE) continue;
    if (child.name !== 'param')
      return { problem: `unexpected element <${child.name}/>; expected <param/>` };
    const name = child.attrs.name;
    if (name === undefined || name === '') return { problem: "a <param/> without a 'name'" };
    if (child.getChildElements().length > 0)
      return { problem: `param ${quote(name)} holds elements; expected text` };
    if (Object.hasOwn(params, name)) return { problem: `param ${quote(name)} is given twice` };
    params[name] = child.text();
  }
  return { skill, params: { ...params } };
}

/** Our answer to a skills query. */
export function skillsElement(skills: readonly SkillDescription[]): Element {
  return xml(
    'query',
    { xmlns: NS_AGENT_SKILLS },
    ...skills.map((skill) =>
      xml(
        'skill',
        { name: skill.name, destructive: String(skill.destructive) },
        xml('description', {}, skill.description),
        xml('schema', { type: SCHEMA_TYPE }, JSON.stringify(skill.inputSchema)),
        ...paramHints(skill.inputSchema).map((p) =>
          xml('param', { name: p.name, type: p.type, required: String(p.required) }),
        ),
      ),
    ),
  );
}

/** Our answer to an execution. */
export function resultElement(skill: string, text: string): Element {
  return xml('execute', { xmlns: NS_AGENT_EXECUTE, skill }, xml('result', {}, text));
}

/** An RFC 6120 §8.3 `<error/>` with the condition's type and a human-readable text. */
export function errorElement(
  condition: Extract<AgentResponse, { kind: 'error' }>['condition'],
  text: string,
): Element {
  return xml(
    'error',
    { type: ERROR_TYPES[condition] },
    xml(condition, { xmlns: NS_STANZAS }),
    ...(text === '' ? [] : [xml('text', { xmlns: NS_STANZAS }, text)]),
  );
}

/**
 * The flat `<param/>` hints of a JSON Schema's top-level properties, for clients that do not
 * read JSON Schema: name, type (`string`, `integer`…, `a|b` for a union, `any` when unsaid) and
 * whether `required` lists it.
 */
export function paramHints(
  schema: JsonObject,
): { readonly name: string; readonly type: string; readonly required: boolean }[] {
  const properties = schema.properties;
  if (typeof properties !== 'object' || properties === null || Array.isArray(properties)) return [];
  const required = Array.isArray(schema.required) ? schema.required : [];
  return Object.entries(properties).map(([name, property]) => {
    const declared =
      typeof property === 'object' && property !== null && !Array.isArray(property)
        ? property.type
        : undefined;
    const type =
      typeof declared === 'string'
        ? declared
        : Array.isArray(declared) && declared.every((t) => typeof t === 'string')
          ? declared.join('|')
          : 'any';
    return { name, type, required: required.includes(name) };
  });
}

/**
 * Read a peer's answer to our skills query. A `<schema/>` holding JSON Schema wins; without one
 * the schema is rebuilt from the `<param/>` hints, so peers that send only those still work.
 */
export function parseSkills(query: Element | undefined): SkillDescription[] | { problem: string } {
  if (!query?.is('query', NS_AGENT_SKILLS))
    return { problem: `expected <query xmlns='${NS_AGENT_SKILLS}'>, got ${nameOf(query)}` };
  const skills: SkillDescription[] = [];
  for (const element of query.getChildren('skill')) {
    const name = element.attrs.name ?? '';
    const destructive = element.attrs.destructive ?? 'false';
    if (
      destructive !== 'true' &&
      destructive !== 'false' &&
      destructive !== '1' &&
      destructive !== '0'
    )
      return {
        problem: `skill ${quote(name)}: destructive must be true or false, got ${quote(destructive)}`,
      };
    const description = element.getChildText('description') ?? element.attrs.description ?? '';
    const schemaText = element.getChild('schema')?.text();
    const inputSchema =
      schemaText === undefined ? schemaFromHints(element) : parseJsonObject(schemaText);
    if (!inputSchema)
      return { problem: `skill ${quote(name)}: its <schema/> is not a JSON object` };
    skills.push({
      name,
      description,
      inputSchema,
      destructive: destructive === 'true' || destructive === '1',
    });
  }
  const problem = agentResponseProblem({ kind: 'skills', skills });
  return problem ? { problem } : skills;
}

/** Read a peer's answer to our execution of `skill`: the result text. */
export function parseResult(
  execute: Element | undefined,
  skill: string,
): string | { problem: string } {
  if (!execute?.is('execute', NS_AGENT_EXECUTE))
    return { problem: `expected <execute xmlns='${NS_AGENT_EXECUTE}'>, got ${nameOf(execute)}` };
  const answered = execute.attrs.skill;
  if (answered !== undefined && answered !== skill)
    return { problem: `it answered for skill ${quote(answered)}, not ${quote(skill)}` };
  const result = execute.getChild('result');
  if (!result) return { problem: 'expected a <result/> in the <execute/> answer' };
  return result.text();
}

function schemaFromHints(skill: Element): JsonObject {
  const properties: JsonObject = {};
  const required: string[] = [];
  for (const param of skill.getChildren('param')) {
    const name = param.attrs.name;
    if (name === undefined) continue;
    const type = param.attrs.type;
    properties[name] =
      type === undefined || type === 'any'
        ? {}
        : { type: type.includes('|') ? type.split('|') : type };
    if (param.attrs.required === 'true' || param.attrs.required === '1') required.push(name);
  }
  return { type: 'object', properties, ...(required.length > 0 ? { required } : {}) };
}

function nameOf(element: Element | undefined): string {
  return element ? `<${element.name} xmlns='${element.getNS() ?? ''}'>` : 'nothing';
}
