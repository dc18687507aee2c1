/**
 * The decoders of every payload family under thousands of structure-aware mutations. The seeds
 * are the JSON examples of specs/protocol.md itself (each must be accepted as it stands, which
 * keeps the spec honest), plus an agent card; each mutation changes values, types, keys or
 * nesting deep inside one. Every input must be accepted, or refused with a reason a person can
 * read: never a throw, never "[object Object]" or "undefined" in the reason.
 * docs/reliability.md reports the counts.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { parseShare } from '../../../src/context/share.ts';
import { parseCard } from '../../../src/discovery/card.ts';
import { parseEnvelope } from '../../../src/protocol/signed.ts';
import { decodeStreamEvent } from '../../../src/stream/protocol-decode.ts';
import { decodeRequest, decodeResponse } from '../../../src/transport/agent-payloads.ts';
import { decodeEvent } from '../../../src/transport/matrix/codec.ts';
import type { JsonObject, Payload } from '../../../src/transport/transport.ts';
import { parseEntry } from '../../../src/workflow/run-records.ts';
import { parseTaskSpec } from '../../../src/workflow/task-protocol.ts';
import { payloadProblem } from '../../../src/transport/payload.ts';
import { seededRandom } from '../../support/seeded-random.ts';

/** Mutations per seed. */
const RUNS = 1000;

const SPEC = readFileSync(new URL('../../../specs/protocol.md', import.meta.url), 'utf8');
const EXAMPLES = [...SPEC.matchAll(/```json\n([\s\S]*?)```/g)].flatMap((m) => {
  try {
    return [JSON.parse(m[1] ?? '') as JsonObject];
  } catch {
    return [];
  }
});

function example(what: string, test: (json: JsonObject) => boolean): JsonObject {
  const found = EXAMPLES.find(test);
  assert.ok(found, `specs/protocol.md has no JSON example of ${what}`);
  return found;
}

const CARD: JsonObject = {
  v: 1,
  id: 'agt-abcdefghijklmnop',
  name: 'bob',
  description: 'builds things',
  kind: 'serve',
  capabilities: ['build', 'test'],
  skills: [{ name: 'chat', version: '1', description: 'talk' }],
  addresses: [{ network: 'matrix', address: '@bob:example.org' }],
  signing_key: 'SHA256:qBS1hPIZdy49CXbIsH1Ug0hGpi-3EIqi8Of7cEnJ_vg',
  software: { name: 'mx-agent', version: '0.1.0' },
  heartbeat_ms: 60000,
  updated: 1795655731999,
};

const JUNK: readonly unknown[] = [
  null,
  true,
  0,
  -1,
  1.5,
  2 ** 53,
  1e308,
  '',
  'x'.repeat(70_000),
  '\u0000',
  '<script>',
  '../../etc/passwd',
  [],
  {},
  [null],
  { toString: 'x' },
  { __proto__: { polluted: true } },
];

/** A deep copy of `value` with 1–3 changes somewhere inside it. */
function mutateJson(value: unknown, random: () => number): unknown {
  let out: unknown = structuredClone(value);
  const edits = 1 + Math.floor(random() * 3);
  for (let e = 0; e < edits; e++) out = mutateOnce(out, random);
  return out;
}

function mutateOnce(value: unknown, random: () => number): unknown {
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
  // Walk down a random path, then change what is there.
  if (typeof value === 'object' && value !== null && random() < 0.75) {
    const keys = Object.keys(value);
    if (keys.length > 0) {
      const key = pick(keys);
      const child = (value as Record<string, unknown>)[key];
      const roll = random();
      if (roll < 0.15 && !Array.isArray(value)) Reflect.deleteProperty(value, key);
      else if (roll < 0.25 && !Array.isArray(value))
        (value as Record<string, unknown>)[`${key}_unknown`] = structuredClone(pick(JUNK));
      else (value as Record<string, unknown>)[key] = mutateOnce(child, random);
      return value;
    }
  }
  const roll = random();
  if (roll < 0.5) return structuredClone(pick(JUNK));
  if (typeof value === 'string') return random() < 0.5 ? value.slice(1) : `${value}\u202e"<`;
  if (typeof value === 'number') return random() < 0.5 ? -value : value + 0.5;
  return random() < 0.5 ? [value] : { value };
}

/** A reason a person can act on. */
function assertClear(reason: unknown, input: unknown): void {
  assert.equal(typeof reason, 'string', JSON.stringify(input).slice(0, 300));
  const text = reason as string;
  assert.ok(text.length > 0 && text.length < 2000, `reason of length ${String(text.length)}`);
  assert.doesNotMatch(text, /\[object Object\]|\bundefined\b|\bNaN\b/, text);
}

/** Run `decode` on RUNS mutations of `seed`; returns how many it refused. */
function fuzz(seedNumber: number, seed: JsonObject, decode: (body: JsonObject) => unknown): number {
  const random = seededRandom(seedNumber);
  let refused = 0;
  for (let i = 0; i < RUNS; i++) {
    const mutated = mutateJson(seed, random);
    const input = (
      typeof mutated === 'object' && mutated !== null && !Array.isArray(mutated)
        ? mutated
        : { value: mutated }
    ) as JsonObject;
    let reason: unknown;
    try {
      reason = decode(input);
    } catch (error) {
      assert.fail(`${JSON.stringify(input).slice(0, 300)} threw ${String(error)}`);
    }
    if (reason !== undefined) {
      refused++;
      assertClear(reason, input);
    }
  }
  return refused;
}

/**
 * A payload decoder sees only what passed the envelope check of §1 (the transports run it on
 * everything they deliver): the envelope's own reason otherwise.
 */
const asPayload = (json: JsonObject): Payload | string =>
  payloadProblem(json) ?? (json as unknown as Payload);
/** undefined when accepted, else the reason. */
type Check = (json: JsonObject) => string | undefined;

const stream: Check = (json) => {
  const payload = asPayload(json);
  if (typeof payload === 'string') return payload;
  const r = decodeStreamEvent(payload);
  return r === undefined || r.ok ? undefined : r.reason;
};
const share: Check = (body) => {
  const r = parseShare({
    id: 'm1',
    from: '@alice:example.org',
    target: { kind: 'direct', address: '@alice:example.org' },
    timestamp: 1,
    delayed: false,
    type: 'payload',
    payload: { kind: 'context.share', version: 1, body },
  });
  return typeof r === 'string' ? r : undefined;
};
const taskRequest: Check = (json) => {
  const envelope = parseEnvelope(json);
  if (typeof envelope === 'string') return envelope;
  const spec = parseTaskSpec(envelope.body);
  return typeof spec === 'string' ? spec : undefined;
};
const journal: Check = (json) => {
  const r = parseEntry(json);
  return typeof r === 'string' ? r : undefined;
};
const card: Check = (json) => {
  const r = parseCard(json);
  return typeof r === 'string' ? r : undefined;
};
const agentRequest: Check = (json) => {
  const payload = asPayload(json);
  if (typeof payload === 'string') return payload;
  const r = decodeRequest(payload);
  return r.ok ? undefined : r.problem;
};
const agentResponse: Check = (json) => {
  const payload = asPayload(json);
  if (typeof payload === 'string') return payload;
  const r = decodeResponse(payload);
  return r.ok ? undefined : r.problem;
};

/** The signed envelope example of §8.3 carrying a whole §9 request body. */
function taskRequestSeed(): JsonObject {
  const envelope = example('task.request', (j) => j.kind === 'task.request');
  return {
    ...envelope,
    body: {
      run: 'run-0123456789ab',
      job: 'build',
      step: 'make',
      attempt: 1,
      command: 'make',
      args: ['test'],
      cwd: '/home/alice/app',
      env: { CI: '1' },
      timeout_ms: 60000,
    },
  };
}

describe('payload decoders survive structure-aware mutations of the spec examples', () => {
  const cases: [string, JsonObject, Check][] = [
    ['stream.chunk', example('stream.chunk', (j) => j.kind === 'stream.chunk'), stream],
    ['context.share', example('context.share', (j) => 'sha256' in j && 'summary' in j), share],
    ['a signed task.request', taskRequestSeed(), taskRequest],
    ['a run journal entry', example('a journal entry', (j) => 'run' in j && 'seq' in j), journal],
    ['an agent card', CARD, card],
    ['agent.request', example('agent.request', (j) => j.kind === 'agent.request'), agentRequest],
    [
      'agent.response',
      example('agent.response', (j) => j.kind === 'agent.response'),
      agentResponse,
    ],
  ];
  for (const [index, [name, seed, check]] of cases.entries()) {
    it(`${name}: the example is accepted, ${String(RUNS)} mutations are handled`, () => {
      assert.equal(check(seed), undefined, `the example of ${name} is refused`);
      const refused = fuzz(100 + index, seed, check);
      assert.ok(refused > RUNS / 10, `only ${String(refused)} refused: the mutations are too tame`);
    });
  }

  it(`a Matrix edit: the example is read, ${String(RUNS)} mutations are handled`, () => {
    const edit = example('an m.replace edit', (j) => 'm.new_content' in j);
    assert.equal(decodeEvent('m.room.message', edit)?.type, 'text');
    const random = seededRandom(200);
    for (let i = 0; i < RUNS; i++) {
      const content = mutateJson(edit, random);
      const object = (
        typeof content === 'object' && content !== null && !Array.isArray(content)
          ? content
          : { body: content }
      ) as Record<string, unknown>;
      assert.doesNotThrow(
        () => decodeEvent('m.room.message', object),
        JSON.stringify(object).slice(0, 300),
      );
    }
  });
});
