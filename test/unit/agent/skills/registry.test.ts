import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { SkillsConfig } from '../../../../src/agent/config-skills.ts';
import { builtinSkills, SkillRegistry } from '../../../../src/agent/skills/registry.ts';
import type { AgentSkill } from '../../../../src/agent/skills/types.ts';

const script = fileURLToPath(new URL('../../../support/mcp-server.ts', import.meta.url));

const FETCH = { maxSizeBytes: 1024, timeoutSeconds: 5, allowPrivate: false, allowAddresses: [] };
const NONE: SkillsConfig = { memory: false, urlFetch: false, urlFetchOptions: FETCH, mcp: [] };

function native(name: string, destructive = false): AgentSkill {
  return {
    name,
    description: `native ${name}`,
    inputSchema: { type: 'object' },
    destructive,
    run: () => Promise.resolve({ content: name }),
  };
}

describe('the skill registry', () => {
  it('offers only the builtins the config enables', () => {
    assert.deepEqual(builtinSkills(NONE), []);
    const all = builtinSkills({
      ...NONE,
      memory: true,
      urlFetch: true,
      webSearch: { provider: 'tavily', apiKey: 'k', maxResults: 3 },
    });
    assert.deepEqual(
      all.map((s) => s.name),
      ['memory_store', 'memory_recall', 'url_fetch', 'web_search'],
    );
  });

  it('gathers builtins, the caller’s skills and MCP tools; warns on duplicates and bad names', async () => {
    const warned: string[] = [];
    const registry = await SkillRegistry.fromConfig(
      {
        ...NONE,
        memory: true,
        mcp: [
          {
            name: 'fx',
            transport: 'stdio',
            command: process.execPath,
            args: [script],
            env: {},
            timeoutSecs: 10,
            destructiveTools: [],
          },
          {
            name: 'gone',
            transport: 'stdio',
            command: '/nonexistent/server',
            args: [],
            env: {},
            timeoutSecs: 10,
            destructiveTools: [],
          },
        ],
      },
      {
        extra: [native('memory_store'), native('send_message', true), native('bad name')],
        warn: (w) => warned.push(w),
      },
    );
    try {
      assert.equal(warned.length, 3, warned.join('\n'));
      assert.deepEqual(registry.warnings, warned);
      assert.match(warned[0] ?? '', /^MCP server "gone" .* did not start/);
      assert.equal(
        warned[1],
        'two skills are named memory_store; the first is kept, the other left out',
      );
      assert.match(warned[2] ?? '', /^the skill "bad name" is left out: a tool name is 1 to 64/);
      // The builtin memory_store won.
      assert.notEqual(registry.get('memory_store')?.description, 'native memory_store');
      const names = registry.tools().map((t) => t.name);
      assert.deepEqual(names, [...names].sort());
      assert.ok(names.includes('send_message') && names.includes('fx__echo'), names.join());
      const described = new Map(registry.describe().map((d) => [d.name, d]));
      assert.equal(described.get('send_message')?.destructive, true);
      assert.equal(described.get('fx__delete_file')?.destructive, true);
      assert.equal(described.get('fx__echo')?.destructive, false);
      assert.equal(described.get('memory_recall')?.destructive, false);
      assert.deepEqual(Object.keys(described.get('fx__echo') ?? {}).sort(), [
        'description',
        'destructive',
        'inputSchema',
        'name',
      ]);
      assert.equal(registry.get('nothing'), undefined);
    } finally {
      await registry.close();
    }
  });
});
