import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import type { McpServerConfig } from '../../../../src/agent/config-skills.ts';
import { ConversationMemory } from '../../../../src/agent/memory.ts';
import { connectMcpServer, type McpConnection } from '../../../../src/agent/skills/mcp.ts';
import { mcpSkillName } from '../../../../src/agent/skills/mcp-result.ts';
import type { AgentSkill, SkillContext } from '../../../../src/agent/skills/types.ts';
import type { JsonObject } from '../../../../src/transport/transport.ts';
import { fixtureMcpServer } from '../../../support/mcp-server.ts';

const script = fileURLToPath(new URL('../../../support/mcp-server.ts', import.meta.url));
const memory = new ConversationMemory(mkdtempSync(join(tmpdir(), 'mx-mcp-')), 'alice@example.org');
const context = (signal = new AbortSignal()): SkillContext => ({
  conversation: 'alice@example.org',
  sender: 'alice@example.org',
  memory,
  signal,
});
const noAbort = (): SkillContext => context(new AbortController().signal);

function stdio(extra: Partial<McpServerConfig> = {}): McpServerConfig {
  return {
    name: 'fx',
    transport: 'stdio',
    command: process.execPath,
    args: [script],
    env: { FIXTURE_GREETING: 'hi' },
    timeoutSecs: 10,
    destructiveTools: [],
    ...extra,
  } as McpServerConfig;
}

function skill(connection: McpConnection | undefined, name: string): AgentSkill {
  const found = connection?.skills.find((s) => s.name === name);
  assert.ok(found, `no skill ${name} in ${String(connection?.skills.map((s) => s.name))}`);
  return found;
}

const call = (s: AgentSkill, input: JsonObject = {}) => s.run(input, noAbort());

describe('MCP skills over stdio', () => {
  let connection: McpConnection | undefined;
  const warnings: string[] = [];
  before(async () => {
    process.env.MX_AGENT_TEST_SECRET = 'hunter2';
    connection = await connectMcpServer(stdio({ destructiveTools: ['echo'] }), {
      warn: (w) => warnings.push(w),
    });
    delete process.env.MX_AGENT_TEST_SECRET;
  });
  after(async () => {
    await connection?.close();
  });

  it('lists the tools as <server>__<tool>, with descriptions, schemas and the destructive flag', () => {
    assert.deepEqual(warnings, []);
    const names = connection?.skills.map((s) => s.name).sort();
    assert.deepEqual(names, [
      'fx__add',
      'fx__delete_file',
      'fx__echo',
      'fx__fail',
      'fx__getenv',
      'fx__mixed',
      'fx__pid',
      'fx__slow',
    ]);
    const add = skill(connection, 'fx__add');
    assert.equal(add.description, 'Add two numbers (MCP server fx)');
    assert.deepEqual(Object.keys((add.inputSchema.properties ?? {}) as object), ['a', 'b']);
    // Spec defaults: no annotations means destructive; readOnlyHint true means not.
    assert.equal(add.destructive, true);
    assert.equal(skill(connection, 'fx__delete_file').destructive, true);
    assert.equal(skill(connection, 'fx__getenv').destructive, false);
    // The owner's list wins over the server's read-only hint.
    assert.equal(skill(connection, 'fx__echo').destructive, true);
  });

  it('calls a tool and marks its output as untrusted, from mcp:<server>', async () => {
    assert.deepEqual(await call(skill(connection, 'fx__add'), { a: 2, b: 40 }), {
      content: '42',
      untrusted: { source: 'mcp:fx' },
    });
  });

  it('passes a tool error through, and reports a bad input or a timeout as an error result', async () => {
    const failed = await call(skill(connection, 'fx__fail'));
    assert.equal(failed.isError, true);
    assert.equal(failed.content, 'the disk is on fire');
    const bad = await call(skill(connection, 'fx__add'), { a: 'two' });
    assert.equal(bad.isError, true);
    assert.match(bad.content, /Invalid arguments for tool add/);
    const short = await connectMcpServer(stdio({ timeoutSecs: 0.5 }), { warn: () => undefined });
    try {
      const late = await call(skill(short, 'fx__slow'), { ms: 2000 });
      assert.equal(late.isError, true);
      assert.match(late.content, /^fx__slow: the call failed: .*timed out/i);
    } finally {
      await short?.close();
    }
  });

  it('summarises images and resources', async () => {
    assert.equal(
      (await call(skill(connection, 'fx__mixed'))).content,
      'a chart:\n[image: image/png, 2 KiB]\n[resource link: report <file:///tmp/report.pdf>, application/pdf]\n[resource <mem://blob>: application/octet-stream, 3 bytes]',
    );
  });

  it('gives the child only the environment configured, PATH and HOME, not ours', async () => {
    const getenv = skill(connection, 'fx__getenv');
    assert.equal((await call(getenv, { name: 'FIXTURE_GREETING' })).content, 'hi');
    assert.equal((await call(getenv, { name: 'MX_AGENT_TEST_SECRET' })).content, '(unset)');
    assert.equal((await call(getenv, { name: 'PATH' })).content, process.env.PATH);
  });

  it('stops a call when the turn is stopped', async () => {
    const stop = new AbortController();
    const pending = skill(connection, 'fx__slow').run({ ms: 5000 }, context(stop.signal));
    setTimeout(() => {
      stop.abort();
    }, 100);
    assert.deepEqual(await pending, { content: 'fx__slow: stopped', isError: true });
  });
});

describe('closing an MCP connection', () => {
  it('ends the server process', async () => {
    const c = await connectMcpServer(stdio(), { warn: (w) => assert.fail(w) });
    const pid = Number((await call(skill(c, 'fx__pid'))).content);
    assert.doesNotThrow(() => process.kill(pid, 0));
    await c?.close();
    assert.throws(() => process.kill(pid, 0), /ESRCH/);
  });
});

describe('MCP servers that do not start', () => {
  it('warns and gives no tools for a command that does not exist', async () => {
    const warnings: string[] = [];
    const c = await connectMcpServer(stdio({ command: '/nonexistent/mcp-server', args: [] }), {
      warn: (w) => warnings.push(w),
    });
    assert.equal(c, undefined);
    assert.match(
      warnings.join('\n'),
      /^MCP server "fx" \(\/nonexistent\/mcp-server\) did not start, so its tools are left out: .*ENOENT/,
    );
  });

  it('warns with the last lines it wrote when it exits at once', async () => {
    const warnings: string[] = [];
    const c = await connectMcpServer(
      stdio({ args: ['-e', 'console.error("missing API token"); process.exit(3)'] }),
      { warn: (w) => warnings.push(w) },
    );
    assert.equal(c, undefined);
    assert.match(warnings.join('\n'), /did not start.*\(its last output: missing API token\)/);
  });
});

describe('MCP skills over Streamable HTTP', () => {
  let http: Server;
  let url = '';
  before(async () => {
    const transports = new Map<string, StreamableHTTPServerTransport>();
    http = createServer((req, res) => {
      if (req.headers.authorization !== 'Bearer t0ken') {
        res.writeHead(401).end();
        return;
      }
      const id = req.headers['mcp-session-id'];
      let transport = typeof id === 'string' ? transports.get(id) : undefined;
      if (transport === undefined) {
        transport = new StreamableHTTPServerTransport({
          sessionIdGenerator: randomUUID,
          onsessioninitialized: (sid) => {
            transports.set(sid, transport as StreamableHTTPServerTransport);
          },
        });
        void fixtureMcpServer().connect(transport);
      }
      void transport.handleRequest(req, res);
    });
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${String((http.address() as AddressInfo).port)}/mcp`;
  });
  after(() => {
    http.closeAllConnections();
    http.close();
  });

  const config = (headers: Record<string, string>): McpServerConfig => ({
    name: 'web',
    transport: 'http',
    url,
    headers,
    timeoutSecs: 5,
    destructiveTools: [],
  });

  it('lists and calls tools with the configured headers', async () => {
    const c = await connectMcpServer(config({ authorization: 'Bearer t0ken' }), {
      warn: (w) => assert.fail(w),
    });
    try {
      assert.equal(skill(c, 'web__delete_file').destructive, true);
      assert.deepEqual(await call(skill(c, 'web__echo'), { text: 'über' }), {
        content: 'über',
        untrusted: { source: 'mcp:web' },
      });
    } finally {
      await c?.close();
    }
  });

  it('warns and gives no tools when the server refuses', async () => {
    const warnings: string[] = [];
    const c = await connectMcpServer(config({}), { warn: (w) => warnings.push(w) });
    assert.equal(c, undefined);
    assert.match(
      warnings.join('\n'),
      /MCP server "web" \(http:\/\/127\.0\.0\.1:\d+\/mcp\) did not start/,
    );
  });
});

describe('mcpSkillName', () => {
  it('keeps names within [a-zA-Z0-9_-]{1,64}, unique when cut', () => {
    assert.equal(mcpSkillName('files', 'read.file v2'), 'files__read_file_v2');
    const long = mcpSkillName('server', 'x'.repeat(80));
    const other = mcpSkillName('server', `${'x'.repeat(79)}y`);
    assert.match(long, /^[a-zA-Z0-9_-]{64}$/);
    assert.notEqual(long, other);
  });
});
