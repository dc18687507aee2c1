/**
 * urn:fluux:agent:0 as XML (src/transport/xmpp/agent-xml.ts), read from wire text the way a
 * peer sends it: Fluux's own examples, our answers, and the malformed requests we refuse.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import parse from '@xmpp/xml/lib/parse.js';
import {
  errorElement,
  paramHints,
  parseExecute,
  parseResult,
  parseSkills,
  requestElement,
  resultElement,
  skillsElement,
} from '../../../../src/transport/xmpp/agent-xml.ts';
import type { SkillDescription } from '../../../../src/transport/transport.ts';

const EXECUTE = 'urn:fluux:agent:0#execute';
const SKILLS = 'urn:fluux:agent:0#skills';

const search: SkillDescription = {
  name: 'web_search',
  description: 'Search the web for <anything> & "more"',
  inputSchema: {
    type: 'object',
    properties: {
      query: { type: 'string' },
      max_results: { type: 'integer' },
      region: { type: ['string', 'null'] },
      raw: {},
    },
    required: ['query'],
  },
  destructive: false,
};

describe('urn:fluux:agent:0 XML', () => {
  it("reads Fluux's execute example (README) as the skill and string params", () => {
    const element = parse(
      `<execute xmlns='${EXECUTE}' skill='email-summary'>\n    <param name='max_emails'>20</param>\n  </execute>`,
    );
    assert.deepEqual(parseExecute(element), {
      skill: 'email-summary',
      params: { max_emails: '20' },
    });
  });

  it('refuses malformed executes, naming what is wrong', () => {
    const cases: [string, string][] = [
      [`<execute xmlns='${EXECUTE}'/>`, "expected a 'skill' attribute naming the skill to execute"],
      [
        `<execute xmlns='${EXECUTE}' skill=' '/>`,
        "expected a 'skill' attribute naming the skill to execute",
      ],
      [
        `<execute xmlns='${EXECUTE}' skill='s'><param name='a'>1</param><param name='a'>2</param></execute>`,
        'param "a" is given twice',
      ],
      [
        `<execute xmlns='${EXECUTE}' skill='s'><param>1</param></execute>`,
        "a <param/> without a 'name'",
      ],
      [
        `<execute xmlns='${EXECUTE}' skill='s'>junk<param name='a'/></execute>`,
        'unexpected text "junk"',
      ],
      [
        `<execute xmlns='${EXECUTE}' skill='s'><arg name='a'/></execute>`,
        'unexpected element <arg/>; expected <param/>',
      ],
      [
        `<execute xmlns='${EXECUTE}' skill='s'><param name='a'><b/></param></execute>`,
        'param "a" holds elements; expected text',
      ],
    ];
    for (const [text, problem] of cases)
      assert.deepEqual(parseExecute(parse(text)), { problem }, text);
  });

  it('ignores extension elements of other namespaces, and takes params named like object keys', () => {
    const element = parse(
      `<execute xmlns='${EXECUTE}' skill='s'><x xmlns='urn:example:ext'/><param name='__proto__'>p</param><param name='a'></param></execute>`,
    );
    const parsed = parseExecute(element);
    assert.ok(!('problem' in parsed));
    assert.deepEqual(Object.entries(parsed.params), [
      ['__proto__', 'p'],
      ['a', ''],
    ]);
  });

  it('lists skills with description, JSON Schema and flat param hints, and reads them back', () => {
    const wire = skillsElement([search, { ...search, name: 'send', destructive: true }]).toString();
    const element = parse(wire);
    const first = element.getChild('skill');
    assert.deepEqual(first?.attrs, { name: 'web_search', destructive: 'false' });
    assert.equal(first.getChildText('description'), search.description);
    assert.equal(first.getChild('schema')?.attrs.type, 'application/schema+json');
    assert.deepEqual(
      first.getChildren('param').map((p) => p.attrs),
      [
        { name: 'query', type: 'string', required: 'true' },
        { name: 'max_results', type: 'integer', required: 'false' },
        { name: 'region', type: 'string|null', required: 'false' },
        { name: 'raw', type: 'any', required: 'false' },
      ],
    );
    assert.deepEqual(parseSkills(element), [
      search,
      { ...search, name: 'send', destructive: true },
    ]);
  });

  it('rebuilds a schema from param hints when a peer sends no <schema/>', () => {
    const element = parse(
      `<query xmlns='${SKILLS}'><skill name='s' description='d' destructive='1'><param name='n' type='integer' required='true'/><param name='u' type='string|null'/></skill></query>`,
    );
    assert.deepEqual(parseSkills(element), [
      {
        name: 's',
        description: 'd',
        destructive: true,
        inputSchema: {
          type: 'object',
          properties: { n: { type: 'integer' }, u: { type: ['string', 'null'] } },
          required: ['n'],
        },
      },
    ]);
  });

  it('names what is wrong with a malformed skills answer', () => {
    const cases: [string | undefined, RegExp][] = [
      [undefined, /^expected <query xmlns='urn:fluux:agent:0#skills'>, got nothing$/],
      [`<query xmlns='urn:other'/>`, /got <query xmlns='urn:other'>$/],
      [
        `<query xmlns='${SKILLS}'><skill name='s' destructive='maybe'/></query>`,
        /destructive must be true or false, got "maybe"/,
      ],
      [
        `<query xmlns='${SKILLS}'><skill name='s'><schema>[1]</schema></skill></query>`,
        /its <schema\/> is not a JSON object/,
      ],
      [`<query xmlns='${SKILLS}'><skill/></query>`, /non-empty string name/],
      [
        `<query xmlns='${SKILLS}'><skill name='s'/><skill name='s'/></query>`,
        /skill "s" is listed twice/,
      ],
    ];
    for (const [text, problem] of cases) {
      const parsed = parseSkills(text === undefined ? undefined : parse(text));
      assert.ok(
        'problem' in parsed && problem.test(parsed.problem),
        `${String(text)}: ${JSON.stringify(parsed)}`,
      );
    }
  });

  it('answers an execution with <result/> and reads it back, checking the skill', () => {
    const element = parse(resultElement('s', 'line 1\n<b> & "c"').toString());
    assert.equal(parseResult(element, 's'), 'line 1\n<b> & "c"');
    assert.deepEqual(parseResult(element, 't'), {
      problem: 'it answered for skill "s", not "t"',
    });
    assert.deepEqual(parseResult(parse(`<execute xmlns='${EXECUTE}'/>`), 's'), {
      problem: 'expected a <result/> in the <execute/> answer',
    });
  });

  it('builds requests a peer reads back the same', () => {
    const params = { a: '1 < 2', b: '' };
    const element = parse(requestElement({ kind: 'execute', skill: 's', params }).toString());
    assert.deepEqual(parseExecute(element), { skill: 's', params });
    assert.equal(requestElement({ kind: 'skills' }).toString(), `<query xmlns="${SKILLS}"/>`);
  });

  it('writes RFC 6120 errors with the type each condition calls for and a text', () => {
    const types = {
      'bad-request': 'modify',
      forbidden: 'auth',
      'not-authorized': 'auth',
      'item-not-found': 'cancel',
      'internal-server-error': 'cancel',
      'service-unavailable': 'cancel',
    } as const;
    for (const [condition, type] of Object.entries(types)) {
      const error = errorElement(condition as keyof typeof types, 'why');
      assert.equal(error.attrs.type, type);
      assert.ok(error.getChild(condition, 'urn:ietf:params:xml:ns:xmpp-stanzas'));
      assert.equal(error.getChildText('text', 'urn:ietf:params:xml:ns:xmpp-stanzas'), 'why');
    }
    assert.equal(errorElement('forbidden', '').getChild('text'), undefined);
  });

  it('derives no hints from a schema without properties', () => {
    assert.deepEqual(paramHints({ type: 'object' }), []);
    assert.deepEqual(paramHints({ type: 'object', properties: [] }), []);
  });
});
