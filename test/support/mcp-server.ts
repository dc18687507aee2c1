/**
 * A small MCP server for the MCP skill tests, built with the SDK's McpServer. Run as a script it
 * speaks stdio (`node test/support/mcp-server.ts`); `fixtureMcpServer()` gives the same server
 * for an in-process Streamable HTTP test. Tools:
 * - `echo` (read-only), `add` (no annotations: destructive by the spec's defaults),
 * - `delete_file` (destructiveHint true; deletes nothing), `fail` (answers an error result),
 * - `getenv` (read-only; what the process sees of an environment variable),
 * - `mixed` (read-only; text, an image, a resource link and a binary resource),
 * - `pid` (read-only; the process id), `slow` (read-only; answers after `ms` milliseconds).
 */
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { z } from 'zod';

const READ_ONLY = { readOnlyHint: true };

/** The fixture server, not yet connected. */
export function fixtureMcpServer(): McpServer {
  const server = new McpServer({ name: 'fixture', version: '1.0.0' });
  server.registerTool(
    'echo',
    {
      description: 'Echo the text back',
      inputSchema: { text: z.string() },
      annotations: READ_ONLY,
    },
    ({ text }) => ({ content: [{ type: 'text', text }] }),
  );
  server.registerTool(
    'add',
    { description: 'Add two numbers', inputSchema: { a: z.number(), b: z.number() } },
    ({ a, b }) => ({ content: [{ type: 'text', text: String(a + b) }] }),
  );
  server.registerTool(
    'delete_file',
    {
      description: 'Delete a file (the fixture only says it did)',
      inputSchema: { path: z.string() },
      annotations: { destructiveHint: true },
    },
    ({ path }) => ({ content: [{ type: 'text', text: `deleted ${path}` }] }),
  );
  server.registerTool('fail', { description: 'Always fails', annotations: READ_ONLY }, () => ({
    content: [{ type: 'text', text: 'the disk is on fire' }],
    isError: true,
  }));
  server.registerTool(
    'getenv',
    {
      description: 'The value of an environment variable',
      inputSchema: { name: z.string() },
      annotations: READ_ONLY,
    },
    ({ name }) => ({ content: [{ type: 'text', text: process.env[name] ?? '(unset)' }] }),
  );
  server.registerTool(
    'mixed',
    { description: 'Several kinds of content', annotations: READ_ONLY },
    () => ({
      content: [
        { type: 'text', text: 'a chart:' },
        { type: 'image', data: Buffer.alloc(2048).toString('base64'), mimeType: 'image/png' },
        {
          type: 'resource_link',
          uri: 'file:///tmp/report.pdf',
          name: 'report',
          mimeType: 'application/pdf',
        },
        {
          type: 'resource',
          resource: { uri: 'mem://blob', mimeType: 'application/octet-stream', blob: 'AAAA' },
        },
      ],
    }),
  );
  server.registerTool('pid', { description: 'The process id', annotations: READ_ONLY }, () => ({
    content: [{ type: 'text', text: String(process.pid) }],
  }));
  server.registerTool(
    'slow',
    { description: 'Answers late', inputSchema: { ms: z.number() }, annotations: READ_ONLY },
    async ({ ms }, { signal }) => {
      // Honours the client's cancellation (notifications/cancelled), so the process can exit.
      await new Promise((resolve) => {
        const timer = setTimeout(resolve, ms);
        signal.addEventListener('abort', () => {
          clearTimeout(timer);
          resolve(undefined);
        });
      });
      return { content: [{ type: 'text', text: 'done' }] };
    },
  );
  return server;
}

if (import.meta.main) {
  await fixtureMcpServer().connect(new StdioServerTransport());
}
