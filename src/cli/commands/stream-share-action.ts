import { accessSync, constants as fsConstants } from 'node:fs';
import { delimiter, isAbsolute, join } from 'node:path';
import { resolvePaths } from '../../config/paths.ts';
import { UsageError, messageOf, quote } from '../../errors.ts';
import { serveControl, sendControl } from '../../stream/control-socket.ts';
import { StreamFiles } from '../../stream/local-files.ts';
import { exitCodeOf, spawnPipe, spawnPty, type ProgramSpec } from '../../stream/program.ts';
import { shareTerminal } from '../../stream/sharer.ts';
import type { Target, Transport } from '../../transport/transport.ts';
import { withProfileTransport } from '../connect.ts';
import type { CliContext } from '../context.ts';
import { listOption, stringOption } from '../option-values.ts';
import { openRecorder } from './stream-record.ts';
import { localTerminal } from './stream-terminal.ts';

/** `mx-agent stream [-- COMMAND ARGS]`. */
export async function shareStream(
  commandLine: readonly string[],
  values: Record<string, unknown>,
  context: CliContext,
): Promise<void> {
  const where = stringOption(values, 'to') ?? process.env.MX_AGENT_WORKSPACE;
  if (!where)
    throw new UsageError(
      'say where to share: --to WORKSPACE or --to ADDRESS (or set MX_AGENT_WORKSPACE)',
    );
  if (values.pty === true && values.pipe === true)
    throw new UsageError('choose one of --pty and --pipe');
  const tty = process.stdin.isTTY && process.stdout.isTTY;
  const mode = values.pipe === true ? 'pipe' : values.pty === true || tty ? 'pty' : 'pipe';
  const size = parseSize(stringOption(values, 'size'));
  const shell = process.env.SHELL || '/bin/sh';
  const [command = shell, ...args] = commandLine;
  const executable = resolveExecutable(command);
  const title = stringOption(values, 'title') ?? [command, ...args].join(' ');
  const record = stringOption(values, 'record');
  const { output } = context;
  const files = new StreamFiles(resolvePaths().data);

  await withProfileTransport(context, async (transport, profile) => {
    const target = await joinTarget(transport, where, context.signal);
    const allowInput = await Promise.all(
      listOption(values, 'allowInput').map((who) => peerAddress(transport, who)),
    );
    const cols = (tty ? process.stdout.columns : undefined) ?? size.cols;
    const rows = (tty ? process.stdout.rows : undefined) ?? size.rows;
    const term = mode === 'pty' ? 'xterm-256color' : (process.env.TERM ?? 'dumb');
    const local = localTerminal(mode === 'pty' && tty, output);
    const spec = (c: number, r: number): ProgramSpec => ({
      command: executable,
      args,
      cwd: process.cwd(),
      env: { ...process.env, ...(mode === 'pty' ? { TERM: term } : {}) },
      cols: c,
      rows: r,
      term,
    });
    const recorder = record
      ? openRecorder(record, { cols, rows, title, command: [command, ...args].join(' ') })
      : undefined;
    let control: Awaited<ReturnType<typeof serveControl>> | undefined;
    let streamId = '';
    try {
      const result = await shareTerminal({
        transport,
        target,
        start: (c, r) => (mode === 'pty' ? spawnPty(spec(c, r)) : spawnPipe(spec(c, r))),
        command: [command, ...args],
        title,
        term,
        cols,
        rows,
        allowInput,
        local,
        ...(recorder ? { recorder } : {}),
        signal: context.signal,
        log: (level, message) => {
          if (level === 'warn') output.warn(message);
          else output.debug(message);
        },
        onStarted: (stream, handle) => {
          streamId = stream;
          files.remember({ stream, where, profile: profile.name, title, startedAt: Date.now() });
          const live = files.registerLive({ stream, where, title });
          void serveControl(live.socket, handle, (who) => peerAddress(transport, who)).then(
            (server) => {
              control = server;
            },
            (error: unknown) => {
              output.warn(`stream allow/revoke will not work: ${messageOf(error)}`);
            },
          );
          local.notice(
            `sharing stream ${stream} in ${where}${allowInput.length ? `; ${allowInput.join(', ')} may type` : ' (view-only)'}`,
          );
        },
      });
      local.close();
      output.info(
        `stream ${result.stream} ended: ${result.exit.signal ?? `exit code ${String(result.exit.exitCode)}`}, ${String(result.bytes)} bytes in ${String(result.stats.events)} events`,
      );
      context.exitWith(exitCodeOf(result.exit));
    } finally {
      local.close();
      control?.close();
      if (streamId) files.unregisterLive(streamId);
    }
  });
}

/** `mx-agent stream allow|revoke ADDRESS [--stream ID]`. */
export async function controlStream(
  op: 'allow' | 'revoke',
  who: string,
  values: Record<string, unknown>,
  context: CliContext,
): Promise<void> {
  const files = new StreamFiles(resolvePaths().data);
  const live = files.live();
  const wanted = stringOption(values, 'stream');
  const matches = wanted ? live.filter((s) => s.stream.startsWith(wanted)) : live;
  if (matches.length === 0)
    throw new UsageError(
      wanted ? `no stream ${quote(wanted)} is running here` : 'no stream is running here',
    );
  const [share] = matches;
  if (matches.length > 1 || !share)
    throw new UsageError(
      `several streams run here (${live.map((s) => s.stream).join(', ')}): choose one with --stream`,
    );
  const input = await sendControl(share.socket, { op, who });
  context.output.result({ stream: share.stream, input }, (r) =>
    r.input.length ? `may type in ${r.stream}: ${r.input.join(', ')}` : `${r.stream} is view-only`,
  );
}

/** Join a workspace, or name a direct peer. */
export async function joinTarget(
  transport: Transport,
  where: string,
  signal: AbortSignal,
): Promise<Target> {
  const target = await transport.resolveTarget(where, { signal });
  if (target.kind === 'workspace')
    await transport.joinWorkspace(target.workspace, { signal, timeoutMs: 30_000 });
  return target;
}

/** A peer address in the network's own grammar (never a workspace). */
async function peerAddress(transport: Transport, who: string): Promise<string> {
  const target = await transport.resolveTarget(who);
  if (target.kind !== 'direct')
    throw new UsageError(
      `expected a peer address to allow input from, got a workspace ${quote(who)}`,
    );
  return target.address;
}

function parseSize(input: string | undefined): { cols: number; rows: number } {
  if (input === undefined) return { cols: 80, rows: 24 };
  const match = /^([1-9][0-9]{0,3})x([1-9][0-9]{0,3})$/.exec(input);
  if (!match) throw new UsageError(`expected --size like 120x40, got ${quote(input)}`);
  return { cols: Number(match[1]), rows: Number(match[2]) };
}

/** The program's path, checked before anything is published: a typo fails fast and clearly. */
function resolveExecutable(command: string): string {
  const candidates = command.includes('/')
    ? [command]
    : (process.env.PATH ?? '')
        .split(delimiter)
        .filter(isAbsolute)
        .map((dir) => join(dir, command));
  for (const candidate of candidates) {
    try {
      accessSync(candidate, fsConstants.X_OK);
      return candidate;
    } catch {
      // try the next one
    }
  }
  throw new UsageError(
    command.includes('/')
      ? `cannot run ${quote(command)}: no such executable file`
      : `cannot run ${quote(command)}: not found in PATH`,
  );
}
