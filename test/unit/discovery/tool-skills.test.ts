/**
 * The tools of a worker's policy on its agent card: name, description, version and a JSON
 * Schema of the inputs — and nothing of how the tool runs.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { buildCard } from '../../../src/discovery/card-build.ts';
import { cardToJson, parseCard } from '../../../src/discovery/card.ts';
import { toolSkills } from '../../../src/discovery/tool-skills.ts';
import { loadPolicy } from '../../../src/security/policy.ts';

const root = realpathSync(mkdtempSync(join(tmpdir(), 'mx-tool-skills-')));
after(() => {
  rmSync(root, { recursive: true, force: true });
});

const file = join(root, 'policy.toml');
writeFileSync(
  file,
  `[[allow]]
requester = "agt-abcdefghijklmnop"
tools = ["lint"]

[tools.lint]
description = "lint a path of the checkout"
command = "sh"
args = ["-c", "secret-script --token=abc", "{path}"]
cwd = "${root}"
[tools.lint.inputs.path]
type = "string"
pattern = "[a-z/]+"
required = true
description = "what to lint"
[tools.lint.inputs.jobs]
type = "integer"
default = 2

[tools.unlisted]
command = "sh"
cwd = "${root}"
`,
  { mode: 0o600 },
);

test('the card lists the tools a rule admits, with an input schema, but not how they run', () => {
  const skills = toolSkills(loadPolicy(file, { env: { PATH: '/usr/bin:/bin' } }));
  assert.deepEqual(skills, [
    {
      name: 'lint',
      version: '1',
      description: 'lint a path of the checkout',
      inputSchema: {
        type: 'object',
        properties: {
          path: { type: 'string', pattern: '^(?:[a-z/]+)$', description: 'what to lint' },
          jobs: { type: 'integer', default: 2 },
        },
        required: ['path'],
        additionalProperties: false,
      },
    },
  ]);
  const card = buildCard(
    {
      id: 'agt-abcdefghijklmnop',
      name: 'worker',
      kind: 'cli',
      capabilities: [],
      skills: [{ name: 'lint', description: 'an older hand-written entry' }, { name: 'review' }],
    },
    { addresses: [], version: '0.0.0', heartbeatMs: 60_000, updated: 1, tools: skills },
  );
  // The policy's tool wins over a hand-written skill of the same name.
  assert.deepEqual(
    card.skills.map((s) => [s.name, s.description]),
    [
      ['lint', 'lint a path of the checkout'],
      ['review', undefined],
    ],
  );
  const json = JSON.stringify(cardToJson(card));
  for (const secret of ['secret-script', 'token', root, '/sh', 'unlisted'])
    assert.ok(!json.includes(secret), `the card reveals ${secret}`);
  const parsed = parseCard(cardToJson(card));
  assert.ok(typeof parsed !== 'string', typeof parsed === 'string' ? parsed : '');
  assert.deepEqual(parsed.skills[0], skills[0]);
});
