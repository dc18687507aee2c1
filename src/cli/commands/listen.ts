import { Command } from 'commander';
import { NetworkError, UsageError, quote } from '../../errors.ts';
import type { TransportEvent } from '../../transport/transport.ts';
import type { CliContext, ContextSource } from '../context.ts';
import type { Output } from '../output.ts';

interface ListenOptions {
  workspace: string[];
  count?: string;
  timeout?: string;
}

/** `mx-agent listen`: print what arrives, for people and scripts (--json: JSON Lines). */
export function listenCommand(context: ContextSource): Command {
  return new Command('listen')
    .description('print incoming messages, payloads and presence until stopped')
    .option(
      '--workspace <address>',
      'also join this workspace (repeatable)',
      (v: string, all: string[]) => [...all, v],
      [],
    )
    .option('--count <n>', 'exit after this many messages')
    .option('--timeout <seconds>', 'stop after this long (with --count: fail if fewer arrived)')
    .addHelpText(
      'after',
      `
Ctrl-C stops listening (exit 0). With --json, each event is one JSON object per line.

Examples:
  $ mx-agent listen
  $ mx-agent listen --workspace team@conference.example.org --json
  $ mx-agent listen --count 1 --timeout 30`,
    )
    .action(async (options: ListenOptions) => {
      await listen(options, context());
    });
}

async function listen(options: ListenOptions, context: CliContext): Promise<void> {
  const count = options.count === undefined ? undefined : positive(options.count, '--count');
  const timeoutS =
    options.timeout === undefined ? undefined : positive(options.timeout, '--timeout');
  const { openProfile } = await import('../connect.ts');
  const { transport } = await openProfile(context);
  let received = 0;
  const { promise: finished, resolve: finish } = Promise.withResolvers<
    'count' | 'timeout' | 'stopped'
  >();
  const stop = transport.subscribe((event) => {
    print(context.output, event);
    if (
      (event.type === 'text' || event.type === 'payload') &&
      count !== undefined &&
      ++received >= count
    )
      finish('count');
  });
  const timer =
    timeoutS === undefined
      ? undefined
      : setTimeout(() => {
          finish('timeout');
        }, timeoutS * 1000);
  const onAbort = (): void => {
    finish('stopped');
  };
  context.signal.addEventListener('abort', onAbort, { once: true });
  try {
    for (const workspace of options.workspace)
      await transport.joinWorkspace(workspace, { signal: context.signal });
    context.output.info(
      `listening as ${transport.address}${options.workspace.length ? ` in ${options.workspace.join(', ')}` : ''} (Ctrl-C to stop)`,
    );
    const why = await finished;
    if (why === 'timeout' && count !== undefined) {
      throw new NetworkError(
        `timed out after ${String(timeoutS)} s with ${String(received)} of ${String(count)} messages`,
      );
    }
  } finally {
    clearTimeout(timer);
    context.signal.removeEventListener('abort', onAbort);
    stop();
    await transport.close();
  }
}

function print(output: Output, event: TransportEvent): void {
  switch (event.type) {
    case 'text':
    case 'payload': {
      const where = event.target.kind === 'workspace' ? `[${event.target.workspace}] ` : '';
      const time = new Date(event.timestamp).toISOString().slice(11, 19);
      const body =
        event.type === 'text'
          ? event.text
          : `payload ${event.payload.kind} v${String(event.payload.version)} ${JSON.stringify(event.payload.body)}`;
      output.item(
        event,
        () =>
          `${output.style('dim', time)} ${where}${output.style('bold', event.from)}${event.delayed ? ' (delayed)' : ''}: ${body}`,
      );
      return;
    }
    case 'presence':
      output.item(event, (e) =>
        output.style(
          'dim',
          `${e.from}${e.workspace ? ` in ${e.workspace}` : ''} is ${e.availability}${e.status ? ` (${e.status})` : ''}`,
        ),
      );
      return;
    case 'connection':
      if (event.state === 'reconnecting')
        output.warn(`connection lost; reconnecting in ${String(event.retryInMs ?? 0)} ms`);
      else if (event.state === 'online') output.debug('connected');
      return;
    case 'rejected':
      output.warn(
        `dropped malformed input${event.from ? ` from ${event.from}` : ''}: ${event.reason}`,
      );
      return;
  }
}

function positive(input: string, flag: string): number {
  const n = Number(input);
  if (!Number.isFinite(n) || n <= 0)
    throw new UsageError(`expected ${flag} to be a positive number, got ${quote(input)}`);
  return n;
}
