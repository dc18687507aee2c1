/**
 * `share_context`: the chat agent sends a peer or a workspace a context bundle (specs §7) with
 * notes the model writes and, when asked, files people attached in this conversation — never
 * anything else of the machine. Secrets are scrubbed as `mx-agent share-context` does, and
 * sending to an address the person did not write needs their yes.
 */
import { buildBundle } from '../context/build-bundle.ts';
import { sendShare } from '../context/share.ts';
import { join } from 'node:path';
import type { Transport } from '../transport/transport.ts';
import { namedBy } from './chat-helpers.ts';
import type { AgentSkill } from './skills/types.ts';

/** The skill; `transportFor` picks the connection that reaches an address. */
export function shareContextSkill(
  transportFor: (address: string) => Transport | undefined,
): AgentSkill {
  return {
    name: 'share_context',
    description:
      'Send a peer agent or a workspace a context bundle: your notes (a summary of what they need to know) and, optionally, files the person attached in this conversation (by file name). Secrets are removed first.',
    inputSchema: {
      type: 'object',
      properties: {
        to: { type: 'string', description: 'An XMPP or Matrix address, or a workspace (room)' },
        notes: { type: 'string', description: 'What the receiver should know' },
        title: { type: 'string' },
        files: {
          type: 'array',
          items: { type: 'string' },
          description: "Names of this conversation's attachments to include",
        },
      },
      required: ['to', 'notes'],
    },
    confirmWhen: (input, context) =>
      typeof input.to !== 'string' || !namedBy(context.request, input.to),
    run: async (input, context) => {
      const to = typeof input.to === 'string' ? input.to.trim() : '';
      const notes = typeof input.notes === 'string' ? input.notes : '';
      if (to === '' || notes === '')
        return { content: 'share_context needs `to` and `notes`.', isError: true };
      const transport = transportFor(to);
      if (transport === undefined)
        return { content: `No connection reaches ${to}.`, isError: true };
      const files = Array.isArray(input.files)
        ? input.files.filter((f): f is string => typeof f === 'string')
        : [];
      try {
        // Attachments are saved as `{uuid}_{name}`: match each name whatever its prefix.
        const built = await buildBundle({
          cwd: join(context.memory.dir, 'files'),
          ...(files.length > 0
            ? { files: files.map((f) => `*_${f.replace(/[^A-Za-z0-9._-]/g, '_')}`) }
            : {}),
          notes,
          ...(typeof input.title === 'string' ? { title: input.title } : {}),
        });
        const target = await transport.resolveTarget(to, {
          signal: context.signal,
          timeoutMs: 20_000,
        });
        const sent = await sendShare(transport, target, built.bundle, {
          signal: context.signal,
          timeoutMs: 60_000,
        });
        const held = built.summary.length > 0 ? ` ${built.summary.join(' ')}` : '';
        return { content: `Shared ${sent.id} with ${to} (${String(sent.size)} bytes).${held}` };
      } catch (error) {
        context.signal.throwIfAborted();
        return {
          content: `share_context failed: ${error instanceof Error ? error.message : String(error)}`,
          isError: true,
        };
      }
    },
  };
}
