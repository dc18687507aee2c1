import { Command } from 'commander';
import { UsageError, quote } from '../../errors.ts';
import type { JsonObject, Outbound } from '../../transport/transport.ts';
import type { CliContext, ContextSource } from '../context.ts';

interface SendOptions {
  payload?: string;
  payloadVersion: string;
  stdin?: boolean;
}

/** `mx-agent send TO TEXT…`: one message (or protocol payload) to a peer or a workspace. */
export function sendCommand(context: ContextSource): Command {
  return new Command('send')
    .description('send a message (or a protocol payload) to a peer or a workspace')
    .argument('<to>', 'an address (alice@example.org) or a workspace (room@conference.example.org)')
    .argument('[text...]', 'the message; with --payload, the JSON body')
    .option(
      '--payload <kind>',
      'send a protocol payload of this kind (e.g. test.echo); TEXT is its JSON body',
    )
    .option('--payload-version <n>', 'payload version', '1')
    .option('--stdin', 'read the text (or JSON body) from stdin')
    .addHelpText(
      'after',
      `
A workspace is joined for the send and left afterwards. Prints the message id.

Examples:
  $ mx-agent send bob@example.org "build is green"
  $ mx-agent send team@conference.example.org "deploying now"
  $ mx-agent send bob@example.org --payload test.echo '{"hello":"world"}'`,
    )
    .action(async (to: string, words: string[], options: SendOptions) => {
      await send(to, words, options, context());
    });
}

async function send(
  to: string,
  words: string[],
  options: SendOptions,
  context: CliContext,
): Promise<void> {
  let text = words.join(' ');
  if (options.stdin) {
    const { readSecretFromStdin } = await import('../prompt.ts');
    text = await readSecretFromStdin('message');
  }
  if (!text) throw new UsageError('expected a message text after the address (or --stdin)');
  const content =
    options.payload === undefined
      ? ({ type: 'text', text } as const)
      : payloadContent(options.payload, options.payloadVersion, text);
  const { openProfile } = await import('../connect.ts');
  const { transport } = await openProfile(context);
  try {
    const target = await transport.resolveTarget(to, { signal: context.signal });
    if (target.kind === 'workspace')
      await transport.joinWorkspace(target.workspace, { signal: context.signal });
    const { id } = await transport.send(target, content, { signal: context.signal });
    context.output.result(
      { id, to: target.kind === 'direct' ? target.address : target.workspace, target: target.kind },
      (r) => `sent ${r.id} to ${r.to}`,
    );
  } finally {
    await transport.close();
  }
}

function payloadContent(kind: string, versionText: string, json: string): Outbound {
  const version = Number(versionText);
  if (!/^[1-9]\d{0,8}$/.test(versionText))
    throw new UsageError(
      `expected --payload-version to be a positive integer, got ${quote(versionText)}`,
    );
  let body: unknown;
  try {
    body = JSON.parse(json);
  } catch {
    throw new UsageError(
      `expected the payload body as a JSON object like '{"key":"value"}', got ${quote(json)}`,
    );
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new UsageError(`expected the payload body to be a JSON object, got ${quote(json)}`);
  }
  return { type: 'payload', payload: { kind, version, body: body as JsonObject } };
}
