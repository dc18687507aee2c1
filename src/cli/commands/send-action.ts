import type { OptionValues } from 'commander';
import { UsageError, quote } from '../../errors.ts';
import {
  PAYLOAD_KIND,
  type JsonObject,
  type Outbound,
  type Transport,
} from '../../transport/transport.ts';
import { withProfileTransport } from '../connect.ts';
import type { CliContext } from '../context.ts';
import { flagOption, stringOption } from '../option-values.ts';
import { readStdinText } from '../prompt.ts';

/** What `send` reports (the --json form). */
export interface SendReport {
  readonly id: string;
  readonly to: string;
  readonly target: 'direct' | 'workspace';
}

/** Validate the content first (no connection for a typo), then connect, send, and report. */
export async function send(
  to: string,
  words: readonly string[],
  values: OptionValues,
  context: CliContext,
): Promise<void> {
  let text = words.join(' ');
  if (flagOption(values, 'stdin')) {
    if (text !== '')
      throw new UsageError('give the text either as arguments or with --stdin, not both');
    text = await readStdinText('message', context.output.stdio.stdin);
  }
  if (text === '') throw new UsageError('expected a message text after the address (or --stdin)');
  const kind = stringOption(values, 'payload');
  const content =
    kind === undefined
      ? ({ type: 'text', text } as const)
      : payloadContent(kind, stringOption(values, 'payloadVersion') ?? '1', text);
  const report = await withProfileTransport(context, (transport) =>
    sendOnce(transport, to, content, context.signal),
  );
  context.output.result(report, (r) => `sent ${r.id} to ${r.to}`);
}

/** Send one message; a workspace is joined for the send and left afterwards. */
export async function sendOnce(
  transport: Transport,
  to: string,
  content: Outbound,
  signal?: AbortSignal,
): Promise<SendReport> {
  const wait = signal === undefined ? {} : { signal };
  const target = await transport.resolveTarget(to, wait);
  if (target.kind === 'direct') {
    const { id } = await transport.send(target, content, wait);
    return { id, to: target.address, target: 'direct' };
  }
  const joined = transport.joinedWorkspaces().includes(target.workspace);
  if (!joined) await transport.joinWorkspace(target.workspace, wait);
  try {
    const { id } = await transport.send(target, content, wait);
    return { id, to: target.workspace, target: 'workspace' };
  } finally {
    // Leaving a room joined only for this message is tidiness where presence is per connection
    // (XMPP); where membership is the account's (Matrix), the sender stays a member.
    if (!joined && transport.membership === 'session')
      await transport.leaveWorkspace(target.workspace, wait).catch(() => undefined);
  }
}

/** A payload from `--payload KIND` and a JSON object body. */
export function payloadContent(kind: string, versionText: string, json: string): Outbound {
  if (!PAYLOAD_KIND.test(kind))
    throw new UsageError(
      `expected --payload to be a dotted lower-case kind like test.echo, got ${quote(kind)}`,
    );
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
  if (!isJsonObject(body))
    throw new UsageError(`expected the payload body to be a JSON object, got ${quote(json)}`);
  return { type: 'payload', payload: { kind, version: Number(versionText), body } };
}

// JSON.parse only produces JSON values, so an object from it is a JsonObject.
function isJsonObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
