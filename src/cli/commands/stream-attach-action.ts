import { resolvePaths } from '../../config/paths.ts';
import { UsageError, quote } from '../../errors.ts';
import { followStream, type FollowFrom } from '../../stream/follower.ts';
import { matchStreamId } from '../../stream/stream-id.ts';
import { StreamFiles } from '../../stream/local-files.ts';
import { exitCodeOf } from '../../stream/program.ts';
import { decodeStreamEvent } from '../../stream/protocol-decode.ts';
import { encodeStreamEvent } from '../../stream/protocol.ts';
import { listStreams } from '../../stream/registry.ts';
import { sameConversation } from '../../stream/conversation.ts';
import { scanStreams } from '../../stream/stream-history.ts';
import type { Target, Transport } from '../../transport/transport.ts';
import { withProfileTransport } from '../connect.ts';
import type { CliContext } from '../context.ts';
import { flagOption, stringOption } from '../option-values.ts';
import { joinTarget } from './stream-share-action.ts';

/** Ctrl-]: detaches a viewer, as in telnet. */
const DETACH = 0x1d;

/** `mx-agent stream attach WHERE [--stream ID] [--from-start]`. */
export async function attachStream(
  where: string,
  values: Record<string, unknown>,
  context: CliContext,
): Promise<void> {
  const { output } = context;
  const files = new StreamFiles(resolvePaths().data);
  context.endsOnInterrupt();
  await withProfileTransport(context, async (transport, profile) => {
    const target = await joinTarget(transport, where, context.signal);
    const wanted = stringOption(values, 'stream');
    const stream = wanted
      ? await findStream(transport, target, wanted, files, context.signal)
      : ((await newestLive(transport, target, context.signal)) ??
        (await waitForStart(transport, target, context)));
    if (!stream) return;
    files.remember({ stream, where, profile: profile.name, title: '', startedAt: Date.now() });
    const resumeAt = files.position(profile.name, stream);
    const from: FollowFrom = flagOption(values, 'fromStart')
      ? { kind: 'start' }
      : resumeAt !== undefined
        ? { kind: 'resume', seq: resumeAt }
        : { kind: 'screen' };
    if (from.kind === 'resume')
      output.info(`resuming stream ${stream} at event ${String(resumeAt)}`);
    const detach = new AbortController();
    const signal = AbortSignal.any([context.signal, detach.signal]);
    // Unknown until the start or a control event says; until then keys are sent and the
    // sharer decides.
    let allowed: readonly string[] | undefined;
    let title = '';
    const self = transport.address;
    const keys = forwardKeys(
      transport,
      target,
      stream,
      () => allowed,
      output,
      () => {
        detach.abort();
      },
    );
    const stdout = process.stdout;
    const position = files.positionRecorder(profile.name, stream);
    try {
      const end = await followStream({
        transport,
        target,
        stream,
        from,
        signal,
        log: (level, message) => {
          if (level === 'warn') output.warn(message);
          else output.debug(message);
        },
        render: (event) => {
          switch (event.type) {
            case 'start':
              allowed = event.start.input;
              title = ` ${quote(event.start.title)} (${String(event.start.cols)}x${String(event.start.rows)})`;
              return;
            case 'ready':
              output.info(`watching stream ${stream}${title} — Ctrl-] detaches`);
              return;
            case 'control': {
              const before = allowed === undefined ? undefined : mayType(allowed, self);
              allowed = event.input;
              const now = mayType(allowed, self);
              if (before !== now) output.info(now ? 'you may type now' : 'view-only now');
              return;
            }
            case 'screen':
              stdout.write(event.replay);
              position.set(event.seq);
              return;
            case 'output':
              stdout.write(event.bytes);
              position.set(event.seq + 1);
              return;
            case 'resize':
              position.set(event.seq + 1);
              if (stdout.isTTY && (stdout.columns !== event.cols || stdout.rows !== event.rows))
                output.info(
                  `the shared terminal is now ${String(event.cols)}x${String(event.rows)}; yours is ${String(stdout.columns)}x${String(stdout.rows)}`,
                );
              return;
            case 'gap':
              return;
            case 'end':
              position.set(event.end.seq + 1);
              output.info(
                `stream ${stream} ended: ${event.end.signal ?? `exit code ${String(event.end.exitCode)}`}${event.verified === true ? ' (sha256 verified)' : event.verified === false ? ' (sha256 MISMATCH: output differs from what was sent)' : ''}`,
              );
              return;
          }
        },
      });
      if (end) context.exitWith(exitCodeOf(end));
    } finally {
      position.close();
      keys.stop();
      // The shared program (or a snapshot of it) may have left this terminal in its own
      // modes: give the viewer's terminal back as a shell expects it.
      if (stdout.isTTY) stdout.write(RESTORE_TERMINAL);
    }
  });
}

/**
 * Leave the alternate screen, show the cursor, stop mouse reporting and bracketed paste,
 * normal cursor keys and keypad, default colours — what full-screen programs switch on.
 */
const RESTORE_TERMINAL =
  '\x1b[?1049l\x1b[?25h\x1b[?1000l\x1b[?1002l\x1b[?1003l\x1b[?1006l\x1b[?2004l\x1b[?1l\x1b>\x1b[0m\r\n';

/** Send what the viewer types to the stream (raw mode on a terminal; Ctrl-] detaches). */
function forwardKeys(
  transport: Transport,
  target: Target,
  stream: string,
  allowed: () => readonly string[] | undefined,
  output: CliContext['output'],
  detach: () => void,
): { stop(): void } {
  const { stdin } = process;
  const raw = stdin.isTTY;
  if (raw) stdin.setRawMode(true);
  let warned = false;
  const self = transport.address;
  const onData = (chunk: Buffer): void => {
    const at = raw ? chunk.indexOf(DETACH) : -1;
    const data = at >= 0 ? chunk.subarray(0, at) : chunk;
    if (data.byteLength > 0) {
      const may = allowed();
      if (may === undefined || mayType(may, self)) {
        const payload = encodeStreamEvent({ type: 'input', stream, data });
        transport.send(target, { type: 'payload', payload }, { timeoutMs: 30_000 }).catch(() => {
          output.warn('a keystroke could not be sent');
        });
      } else if (!warned) {
        warned = true;
        output.info('view-only: the sharer has not allowed you to type');
      }
    }
    if (at >= 0) detach();
  };
  stdin.on('data', onData);
  stdin.on('error', () => undefined);
  return {
    stop: () => {
      stdin.off('data', onData);
      if (raw) stdin.setRawMode(false);
      stdin.pause();
    },
  };
}

/** True when `self` is on the list of who may type. */
function mayType(allowed: readonly string[], self: string): boolean {
  return allowed.some((a) => bare(a) === bare(self));
}

function bare(address: string): string {
  return address.startsWith('@') ? address : (address.split('/')[0] ?? address).toLowerCase();
}

/** The id of the newest live stream here, if any. */
async function newestLive(
  transport: Transport,
  target: Target,
  signal: AbortSignal,
): Promise<string | undefined> {
  if (target.kind === 'workspace')
    return (await listStreams(transport, target.workspace)).find((s) => s.state === 'live')?.stream;
  return (await scanStreams(transport, target, signal)).find((s) => !s.end)?.start.stream;
}

/** Resolve `--stream` among the streams known here and in the conversation. */
async function findStream(
  transport: Transport,
  target: Target,
  wanted: string,
  files: StreamFiles,
  signal: AbortSignal,
): Promise<string> {
  const ids = new Set(files.index().map((e) => e.stream));
  if (target.kind === 'workspace')
    for (const s of await listStreams(transport, target.workspace)) ids.add(s.stream);
  else for (const s of await scanStreams(transport, target, signal)) ids.add(s.start.stream);
  return matchStreamId(wanted, [...ids]);
}

/** No stream is live: wait for the next one to start here. */
async function waitForStart(
  transport: Transport,
  target: Target,
  context: CliContext,
): Promise<string | undefined> {
  context.output.info('no live stream here yet; waiting for one to start (Ctrl-C to stop)');
  const { promise, resolve } = Promise.withResolvers<string | undefined>();
  const unsubscribe = transport.subscribe((event) => {
    if (event.type !== 'payload' || !sameConversation(event.target, target)) return;
    const decoded = decodeStreamEvent(event.payload);
    if (decoded?.ok && decoded.event.type === 'start') resolve(decoded.event.stream);
  });
  const onAbort = (): void => {
    resolve(undefined);
  };
  context.signal.addEventListener('abort', onAbort, { once: true });
  try {
    return await promise;
  } finally {
    unsubscribe();
    context.signal.removeEventListener('abort', onAbort);
  }
}

/** One row of `stream list`. */
interface StreamRow {
  readonly stream: string;
  readonly state: 'live' | 'ended' | 'lost';
  readonly title: string;
  readonly sharer: string;
  readonly startedAt: string;
  readonly exitCode?: number | null;
}

/**
 * `mx-agent stream list WHERE`: the workspace's stream entries (live ones refresh theirs) merged
 * with what recent history shows — on XMPP a sharer that left the room no longer serves its
 * entry, but its stream is still in the room's archive.
 */
export async function listStreamsAction(where: string, context: CliContext): Promise<void> {
  await withProfileTransport(context, async (transport) => {
    const target = await joinTarget(transport, where, context.signal);
    const rows = new Map<string, StreamRow>();
    for (const s of await scanStreams(transport, target, context.signal, 5))
      rows.set(s.start.stream, {
        stream: s.start.stream,
        state: s.end ? 'ended' : 'live',
        title: s.start.title,
        sharer: s.from,
        startedAt: new Date(s.start.startedAt).toISOString(),
        ...(s.end ? { exitCode: s.end.exitCode } : {}),
      });
    if (target.kind === 'workspace')
      for (const s of await listStreams(transport, target.workspace))
        rows.set(s.stream, {
          stream: s.stream,
          state: s.state,
          title: s.title,
          sharer: s.sharer,
          startedAt: new Date(s.startedAt).toISOString(),
          ...(s.exitCode === undefined ? {} : { exitCode: s.exitCode }),
        });
    const list = [...rows.values()].sort((a, b) => b.startedAt.localeCompare(a.startedAt));
    context.output.result(list, (all) =>
      all.length === 0
        ? `no streams in ${where}`
        : all
            .map(
              (r) =>
                `${r.stream}  ${r.state.padEnd(5)}  ${r.startedAt.slice(0, 19).replace('T', ' ')}  ${r.exitCode === undefined ? '' : `exit ${String(r.exitCode)}  `}${r.title}  (${r.sharer})`,
            )
            .join('\n'),
    );
  });
}

export { exportStream } from './stream-export-action.ts';

/** For `--in` and the local index: where a stream id was seen. */
export function whereOf(id: string, files: StreamFiles, given: string | undefined): string {
  if (given) return given;
  const known = files.index().find((e) => e.stream === id || e.stream.startsWith(id));
  if (!known)
    throw new UsageError(
      `stream ${quote(id)} was not shared or watched here; say where it is with --in WORKSPACE`,
    );
  return known.where;
}
