/**
 * `mx-agent stream`: run a program, show it locally as a plain terminal would, and publish it
 * to peers — output, resizes, the end with its exit code and sha256, screen snapshots for late
 * joiners, and keystrokes from peers the sharer allowed.
 */
import { randomBytes } from 'node:crypto';
import { messageOf } from '../errors.ts';
import type { InboundMessage, Target, Transport } from '../transport/transport.ts';
import { InputGate } from './input-gate.ts';
import type { ProgramExit, RunningProgram } from './program.ts';
import { sameConversation } from './conversation.ts';
import { decodeStreamEvent } from './protocol-decode.ts';
import type { StreamEvent } from './protocol.ts';
import { StreamPublisher, type PublisherStats } from './publisher.ts';
import { HEARTBEAT_MS, putStreamRecord, type StreamRecord } from './registry.ts';
import { ScreenTracker } from './screen-tracker.ts';

/** The sharer's own terminal (or stdin/stdout in pipe mode). */
export interface LocalTerminal {
  /** Show program output. */
  write(bytes: Uint8Array, fd: 1 | 2): void;
  onInput(listener: (bytes: Uint8Array) => void): void;
  onInputEnd(listener: () => void): void;
  onResize(listener: (cols: number, rows: number) => void): void;
  /** Tell the person sharing something (a peer typing, input dropped). */
  notice(message: string): void;
}

/** Writes a local recording (asciicast) as the stream goes. */
export interface Recorder {
  output(tMs: number, bytes: Uint8Array): void;
  resize(tMs: number, cols: number, rows: number): void;
  close(): void;
}

/** What to share and with whom. */
export interface ShareOptions {
  readonly transport: Transport;
  readonly target: Target;
  /** Starts the program (in a pty or with pipes) at the given size. */
  readonly start: (cols: number, rows: number) => Promise<RunningProgram>;
  readonly command: readonly string[];
  readonly title: string;
  readonly term: string;
  readonly cols: number;
  readonly rows: number;
  readonly allowInput: readonly string[];
  readonly local: LocalTerminal;
  readonly recorder?: Recorder;
  readonly signal: AbortSignal;
  readonly log: (level: 'warn' | 'debug', message: string) => void;
  /** Called once the stream's start is queued: its id is known. */
  readonly onStarted?: (stream: string, control: StreamControl) => void;
  /** How long after the program ends to wait for delivery. */
  readonly flushTimeoutMs?: number;
  readonly snapshotIntervalMs?: number;
  /** Publisher limits (tests and benchmarks tune them). */
  readonly publisher?: { readonly window?: number; readonly maxInline?: number };
}

/** Live control of a running share. */
export interface StreamControl {
  allow(who: string): void;
  revoke(who: string): boolean;
  allowed(): string[];
}

/** How a share ended. */
export interface ShareResult {
  readonly stream: string;
  readonly exit: ProgramExit;
  readonly bytes: number;
  readonly sha256: string;
  readonly stats: PublisherStats;
}

const WATCH_SNAPSHOT_MIN_MS = 1_000;

/** Share a program until it ends. */
export async function shareTerminal(o: ShareOptions): Promise<ShareResult> {
  const stream = randomBytes(6).toString('hex');
  const startedAt = Date.now();
  const { transport, target, local } = o;
  const workspace = target.kind === 'workspace' ? target.workspace : undefined;
  const gate = new InputGate(transport, target, o.allowInput);
  let size = { cols: o.cols, rows: o.rows };
  const screen = new ScreenTracker(size.cols, size.rows);
  const publisher = new StreamPublisher({
    transport,
    target,
    stream,
    startedAt,
    ...o.publisher,
    onPressure: (paused) => {
      if (paused) program?.pause();
      else program?.resume();
    },
    onChunk: (_seq, bytes) => {
      screen.write(bytes);
    },
    log: o.log,
  });
  let program: RunningProgram | undefined;

  const record = async (
    status: 'live' | 'ended',
    extra: Partial<StreamRecord> = {},
  ): Promise<void> => {
    if (!workspace) return;
    const entry: StreamRecord = {
      stream,
      title: o.title,
      command: o.command,
      sharer: transport.address,
      startedAt,
      updatedAt: Date.now(),
      status,
      ...extra,
    };
    await putStreamRecord(transport, workspace, entry).catch((error: unknown) => {
      o.log('warn', `could not record the stream in ${workspace}: ${messageOf(error)}`);
    });
  };

  let lastSnapshotBytes = -1;
  let lastSnapshotAt = 0;
  const snapshot = (): void => {
    publisher.cutAll();
    const seq = publisher.nextSeq;
    const bytes = publisher.stats.bytes;
    const t = publisher.elapsed();
    lastSnapshotBytes = bytes;
    lastSnapshotAt = Date.now();
    screen.snapshot((shot) => {
      publisher.publishWithBytes(
        (data) => ({
          type: 'snapshot',
          stream,
          seq,
          t,
          cols: shot.cols,
          rows: shot.rows,
          bytes,
          ...data,
        }),
        shot.replay,
        `${stream}-snapshot-${String(seq)}.bin`,
      );
    });
  };

  const control: StreamControl = {
    allow: (who) => {
      gate.allow(who);
      publisher.publish({ type: 'control', stream, input: gate.list() });
    },
    revoke: (who) => {
      const was = gate.revoke(who);
      publisher.publish({ type: 'control', stream, input: gate.list() });
      return was;
    },
    allowed: () => gate.list(),
  };

  const typing = new Map<string, number>();
  const onPeerEvent = (message: InboundMessage, event: StreamEvent): void => {
    if (event.type === 'watch') {
      // A new viewer: the screen now, and who may type (it may not read the start event).
      if (Date.now() - lastSnapshotAt < WATCH_SNAPSHOT_MIN_MS) return;
      snapshot();
      publisher.publish({ type: 'control', stream, input: gate.list() });
      return;
    }
    if (event.type !== 'input') return;
    const verdict = gate.check(message.from);
    if (!verdict.allowed) {
      o.log('warn', `dropped input from ${verdict.who}: ${verdict.reason}`);
      notifyOnce(typing, `denied ${verdict.who}`, () => {
        local.notice(`input from ${verdict.who} dropped: ${verdict.reason}`);
      });
      return;
    }
    notifyOnce(typing, verdict.who, () => {
      local.notice(`${verdict.who} is typing`);
    });
    program?.write(event.data);
  };
  const unsubscribe = transport.subscribe((event) => {
    if (event.type !== 'payload' || !sameConversation(event.target, target)) return;
    const decoded = decodeStreamEvent(event.payload);
    if (!decoded) return;
    if (!decoded.ok) {
      o.log('warn', `dropped a stream payload from ${event.from}: ${decoded.reason}`);
      return;
    }
    if (decoded.event.stream === stream) onPeerEvent(event, decoded.event);
  });

  const timers: NodeJS.Timeout[] = [];
  try {
    program = await o.start(size.cols, size.rows);
    const running = program;
    const exited = new Promise<ProgramExit>((resolve) => {
      running.onExit(resolve);
    });
    publisher.publish({
      type: 'start',
      stream,
      command: o.command,
      title: o.title,
      cols: size.cols,
      rows: size.rows,
      term: o.term,
      mode: running.mode,
      startedAt,
      input: gate.list(),
    });
    void record('live');
    o.onStarted?.(stream, control);
    running.onData((bytes, fd) => {
      local.write(bytes, fd);
      o.recorder?.output(publisher.elapsed(), bytes);
      publisher.output(bytes);
    });
    local.onInput((bytes) => {
      running.write(bytes);
    });
    // Local end of input ends the program's input, as `cmd < file` would — unless peers may
    // type: then their keystrokes are still to come.
    local.onInputEnd(() => {
      if (gate.list().length === 0) running.endInput();
    });
    local.onResize((cols, rows) => {
      if (cols === size.cols && rows === size.rows) return;
      size = { cols, rows };
      running.resize(cols, rows);
      publisher.resize(cols, rows);
      screen.resize(cols, rows);
      o.recorder?.resize(publisher.elapsed(), cols, rows);
    });
    const hangUp = (): void => {
      running.kill('SIGHUP');
    };
    o.signal.addEventListener('abort', hangUp, { once: true });
    timers.push(
      setInterval(() => {
        if (publisher.stats.bytes !== lastSnapshotBytes) snapshot();
      }, o.snapshotIntervalMs ?? 30_000),
      setInterval(() => {
        void record('live');
      }, HEARTBEAT_MS),
    );
    const exit = await exited;
    o.signal.removeEventListener('abort', hangUp);
    for (const timer of timers) clearInterval(timer);
    await publisher.end(exit.exitCode, exit.signal, o.flushTimeoutMs ?? 60_000);
    await record('ended', { exitCode: exit.exitCode, bytes: publisher.stats.bytes });
    return {
      stream,
      exit,
      bytes: publisher.stats.bytes,
      sha256: publisher.digest(),
      stats: publisher.stats,
    };
  } finally {
    for (const timer of timers) clearInterval(timer);
    unsubscribe();
    screen.dispose();
    o.recorder?.close();
  }
}

const NOTICE_EVERY_MS = 30_000;

function notifyOnce(seen: Map<string, number>, key: string, notify: () => void): void {
  const last = seen.get(key) ?? 0;
  if (Date.now() - last < NOTICE_EVERY_MS) return;
  seen.set(key, Date.now());
  notify();
}
