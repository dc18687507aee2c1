/**
 * The inbound parsers under thousands of generated malformed inputs (seeded, so a failure
 * replays): workflow files, the serve config, policy.toml, protocol payloads, XMPP payload and
 * chat elements, Matrix events. Each input must be accepted or rejected with one of our errors
 * (or, for the network decoders, a "rejected" result) — never a crash, never a TypeError.
 * docs/reliability.md reports the counts.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import parse from '@xmpp/xml/lib/parse.js';
import { loadServeConfig } from '../../../src/agent/config.ts';
import { MxAgentError } from '../../../src/errors.ts';
import { loadPolicy } from '../../../src/security/policy.ts';
import { decodeEvent } from '../../../src/transport/matrix/codec.ts';
import { payloadProblem } from '../../../src/transport/payload.ts';
import { readAttachments, readConfirm, readSignal } from '../../../src/transport/xmpp/chat-xml.ts';
import { decodePayload } from '../../../src/transport/xmpp/codec.ts';
import { parseWorkflow } from '../../../src/workflow/workflow-parse.ts';
import { seededRandom } from '../../support/seeded-random.ts';

/** Inputs per parser. */
const RUNS = 2000;
const SPICE = [
  '{',
  '}',
  '[',
  ']',
  ':',
  '"',
  "'",
  '\n',
  '#',
  '=',
  '<',
  '>',
  '&',
  ';',
  '\u0000',
  '\\',
  '${',
  '-',
  ' ',
  '\t',
  '𝕏',
  '\u202e',
  '9999999999999999999',
  'null',
  '[[',
  ']]',
];

/** A mutation of `text`: bytes flipped, spans cut, duplicated or spiced, or cut short. */
function mutate(text: string, random: () => number): string {
  let out = text;
  const edits = 1 + Math.floor(random() * 4);
  for (let e = 0; e < edits; e++) {
    const at = Math.floor(random() * (out.length + 1));
    const len = Math.floor(random() * 12);
    switch (Math.floor(random() * 5)) {
      case 0:
        out = out.slice(0, at) + out.slice(at + len);
        break;
      case 1:
        out = out.slice(0, at) + out.slice(at, at + len).repeat(2) + out.slice(at + len);
        break;
      case 2:
        out = out.slice(0, at) + (SPICE[Math.floor(random() * SPICE.length)] ?? '') + out.slice(at);
        break;
      case 3:
        out = out.slice(0, at);
        break;
      default:
        out =
          out.slice(0, at) + String.fromCharCode(Math.floor(random() * 0x3000)) + out.slice(at + 1);
    }
  }
  return out;
}

/** A random JSON value, nested at most `depth` deep. */
function randomJson(random: () => number, depth = 3): unknown {
  const pick = Math.floor(random() * (depth > 0 ? 9 : 6));
  switch (pick) {
    case 0:
      return null;
    case 1:
      return random() < 0.5;
    case 2:
      return (
        (Math.floor(random() * 2 ** 40) * (random() < 0.5 ? -1 : 1)) / (random() < 0.3 ? 7 : 1)
      );
    case 3:
      return SPICE[Math.floor(random() * SPICE.length)];
    case 4:
      return ['m.text', 'm.image', 'm.replace', 'm.annotation', 'mxc://x/y', '$e', '@a:b', ''][
        Math.floor(random() * 8)
      ];
    case 5:
      return 'x'.repeat(Math.floor(random() * 50));
    case 6:
    case 7: {
      const o: Record<string, unknown> = {};
      const keys = [
        'body',
        'msgtype',
        'url',
        'file',
        'info',
        'm.relates_to',
        'rel_type',
        'event_id',
        'key',
        'm.new_content',
        'm.mentions',
        'user_ids',
        'formatted_body',
        'format',
        'kind',
        'version',
        'id',
        'org.mxagent.confirm',
        'payloads',
      ];
      const n = Math.floor(random() * 5);
      for (let i = 0; i < n; i++)
        o[keys[Math.floor(random() * keys.length)] ?? 'k'] = randomJson(random, depth - 1);
      return o;
    }
    default:
      return Array.from({ length: Math.floor(random() * 4) }, () => randomJson(random, depth - 1));
  }
}

/** Run `parse` on each input: it may return or throw an MxAgentError, nothing else. */
function survive(
  inputs: Iterable<string>,
  parse: (text: string) => unknown,
): { tried: number; rejected: number } {
  let tried = 0;
  let rejected = 0;
  for (const input of inputs) {
    tried++;
    try {
      parse(input);
    } catch (error) {
      rejected++;
      if (!(error instanceof MxAgentError) || error.message === '')
        assert.fail(`input ${JSON.stringify(input.slice(0, 300))} threw ${String(error)}`);
      // A person must be able to act on it: no leaked internals.
      assert.doesNotMatch(error.message, /\[object Object\]|\bundefined\b|\bNaN\b/, error.message);
    }
  }
  return { tried, rejected };
}

function* mutations(seed: number, valid: string): Generator<string> {
  const random = seededRandom(seed);
  for (let i = 0; i < RUNS; i++) yield mutate(valid, random);
}

const WORKFLOW = `name: ci
inputs:
  word: { default: hello }
jobs:
  build:
    runs-on: { capabilities: [build] }
    working-directory: /tmp
    timeout-minutes: 5
    steps:
      - id: make
        run: sh -c "echo \${{ inputs.word }}"
    outputs:
      artifact: \${{ steps.make.outputs.artifact }}
  test:
    needs: [build]
    runs-on: agent-1
    steps:
      - run: echo \${{ jobs.build.outputs.artifact }}
`;

const SERVE = `[server]
mode = "client"
host = "xmpp.example.org"
port = 5222
jid = "bot@example.org"
password = "\${BOT_PASSWORD:-x}"

[llm]
provider = "anthropic"
model = "claude"
api_key = "k"

[agent]
name = "bot"
allowed_jids = ["*"]

[memory]
path = "./data"

[[rooms]]
jid = "room@conference.example.org"

[skills.url_fetch]
enabled = true

[[skills.mcp.servers]]
name = "files"
command = "npx"
args = ["-y", "server"]

[quota]
daily_tokens = 1000
`;

const POLICY = `[[allow]]
requester = "agent-1"
commands = ["sh", "npm"]
cwd = ["/tmp"]
env = ["PATH"]
max_seconds = 60
requires_approval = false

[tools.build]
command = ["npm", "run", "build"]
cwd = "/tmp"
`;

describe('the inbound parsers survive malformed input', () => {
  const dir = mkdtempSync(join(tmpdir(), 'fuzz-'));

  it(`workflow files: ${String(RUNS)} mutations`, () => {
    const r = survive(mutations(1, WORKFLOW), (text) => parseWorkflow(text, 'ci.yml'));
    assert.ok(
      r.rejected > RUNS / 4,
      `only ${String(r.rejected)} rejected: the mutations are too tame`,
    );
  });

  it(`the serve config: ${String(RUNS)} mutations`, () => {
    const file = join(dir, 'agent.toml');
    survive(mutations(2, SERVE), (text) => {
      writeFileSync(file, text);
      return loadServeConfig(file, {});
    });
  });

  it(`policy.toml: ${String(RUNS)} mutations`, () => {
    const file = join(dir, 'policy.toml');
    survive(mutations(3, POLICY), (text) => {
      writeFileSync(file, text);
      return loadPolicy(file);
    });
  });

  it(`protocol payloads: ${String(RUNS)} random documents`, () => {
    const random = seededRandom(4);
    for (let i = 0; i < RUNS; i++) {
      // Decoders hand it what the wire had for each field: anything at all.
      const candidate = {
        kind: randomJson(random, 1),
        version: randomJson(random, 1),
        body: randomJson(random),
      };
      assert.doesNotThrow(() => payloadProblem(candidate), JSON.stringify(candidate));
    }
  });

  it(`XMPP payload and chat elements: ${String(RUNS)} mutated stanzas`, () => {
    const stanza = `<message from="a@b/c" to="d@e" type="chat" id="x1"><body>hi http://u/f.png</body><x xmlns="jabber:x:oob"><url>http://u/f.png</url></x><confirm xmlns="urn:fluux:agent:0#confirm" id="c1"><action type="run"/><risk level="high"/><expires>2026-01-01T00:00:00Z</expires></confirm><confirmed xmlns="urn:fluux:agent:0#confirm" id="c1" decision="approve"/><reactions xmlns="urn:xmpp:reactions:0" id="m1"><reaction>👍</reaction></reactions><payload xmlns="urn:mx-agent:0" kind="stream.chunk" version="1">{"seq":1}</payload></message>`;
    let parsed = 0;
    for (const text of mutations(5, stanza)) {
      let element;
      try {
        element = parse(text);
      } catch {
        continue; // Not XML: the stream parser, not these decoders, deals with it.
      }
      if (element === null) continue;
      parsed++;
      const payload = element.getChild('payload', 'urn:mx-agent:0');
      assert.doesNotThrow(() => {
        if (payload) decodePayload(payload);
        readConfirm(element);
        readSignal(element);
        readAttachments(element, element.getChildText('body') ?? '');
      }, text);
    }
    assert.ok(parsed > RUNS / 10, `only ${String(parsed)} mutations were still XML`);
  });

  it(`Matrix events: ${String(RUNS)} random contents of each message type`, () => {
    const random = seededRandom(6);
    const types = [
      'm.room.message',
      'm.reaction',
      'org.mxagent.task.request',
      'org.mxagent._batch',
    ];
    for (let i = 0; i < RUNS; i++) {
      const content = randomJson(random, 4);
      const type = types[i % types.length] ?? 'm.room.message';
      const object =
        typeof content === 'object' && content !== null && !Array.isArray(content)
          ? content
          : { body: content };
      assert.doesNotThrow(
        () => decodeEvent(type, object as Record<string, unknown>),
        JSON.stringify(object),
      );
    }
  });
});
