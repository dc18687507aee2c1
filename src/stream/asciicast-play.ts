/**
 * Playing an asciicast with its own timing. Each event is due at a time computed from the
 * recording (gaps capped, then divided by the speed) and waited for against one clock started
 * at the beginning, so small timer delays do not add up over a long recording.
 */
import { setTimeout as delay } from 'node:timers/promises';
import { InterruptedError, UsageError, quote } from '../errors.ts';
import type { Asciicast, AsciicastEvent } from './asciicast.ts';

/** How to play: speed multiplier, longest pause, a way to stop, and resize notices. */
export interface PlayOptions {
  /** 2 plays twice as fast; default 1. */
  readonly speed?: number;
  /** Longest pause between two events, in recording time; default the header's idle_time_limit. */
  readonly idleLimitMs?: number;
  /** Stops playback at once; the promise then rejects with InterruptedError. */
  readonly signal?: AbortSignal;
  /** Told when the recorded terminal changed size, e.g. to tell the user to resize theirs. */
  readonly onResize?: (cols: number, rows: number) => void;
}

/**
 * Write the recording's output as it was timed. Input, markers and codes we do not know are
 * skipped, as the spec asks of players.
 */
export async function playAsciicast(
  cast: Asciicast,
  write: (text: string) => void,
  options: PlayOptions = {},
): Promise<void> {
  const { speed = 1, signal, onResize } = options;
  if (!(Number.isFinite(speed) && speed > 0)) {
    throw new UsageError(`expected a playback speed above 0, got ${quote(speed)}`);
  }
  const idleLimitMs = options.idleLimitMs ?? (cast.header.idleTimeLimit ?? Infinity) * 1000;
  if (!(idleLimitMs > 0)) {
    throw new UsageError(`expected an idle limit above 0 ms, got ${quote(idleLimitMs)}`);
  }
  const start = performance.now();
  let previousMs = 0;
  let dueMs = 0;
  for (const event of cast.events) {
    dueMs += Math.min(event.timeMs - previousMs, idleLimitMs) / speed;
    previousMs = event.timeMs;
    await waitUntil(start + dueMs, signal);
    deliver(event, write, onResize);
  }
}

function deliver(
  event: AsciicastEvent,
  write: (text: string) => void,
  onResize: PlayOptions['onResize'],
): void {
  switch (event.type) {
    case 'output':
      write(event.text);
      return;
    case 'resize':
      onResize?.(event.cols, event.rows);
      return;
    case 'input':
    case 'marker':
    case 'unknown':
      return;
  }
}

async function waitUntil(when: number, signal: AbortSignal | undefined): Promise<void> {
  const wait = when - performance.now();
  try {
    // Events already due go out without a timer, but a stop still ends playback between them.
    if (wait > 0) await delay(wait, undefined, { signal });
    else signal?.throwIfAborted();
  } catch (error) {
    throw new InterruptedError('playback stopped before the end of the recording', {
      cause: signal?.reason ?? error,
    });
  }
}
