import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { InterruptedError } from '../../../src/errors.ts';
import {
  playAsciicast,
  type Asciicast,
  type AsciicastEvent,
  type PlayOptions,
} from '../../../src/stream/asciicast.ts';

// Timings are asserted loosely: never earlier than due, and far below what a broken limit or
// speed would take, so a loaded two-core machine cannot make these flaky.

const output = (timeMs: number, text: string): AsciicastEvent => ({ type: 'output', timeMs, text });
const cast = (events: AsciicastEvent[], idleTimeLimit?: number): Asciicast => ({
  header: { width: 80, height: 24, ...(idleTimeLimit !== undefined && { idleTimeLimit }) },
  events,
});

/** Play and return what was written (resizes as "<cols>x<rows>") and how long it took. */
async function play(
  recording: Asciicast,
  options: PlayOptions = {},
): Promise<{ written: string[]; ms: number }> {
  const written: string[] = [];
  const started = performance.now();
  await playAsciicast(recording, (text) => written.push(text), {
    onResize: (cols, rows) => written.push(`${cols}x${rows}`),
    ...options,
  });
  return { written, ms: performance.now() - started };
}

describe('playAsciicast', () => {
  it('writes output in order with the recorded timing, resizes reported in between', async () => {
    const recording = cast([
      output(0, 'a'),
      { type: 'input', timeMs: 50, text: 'typed' },
      output(100, 'b'),
      { type: 'resize', timeMs: 150, cols: 100, rows: 30 },
      { type: 'marker', timeMs: 150, label: 'm' },
      output(200, 'c'),
    ]);
    const { written, ms } = await play(recording);
    assert.deepEqual(written, ['a', 'b', '100x30', 'c']);
    assert.ok(ms >= 190 && ms < 5000, `took ${ms} ms`);
  });

  it('plays faster with a higher speed', async () => {
    const { written, ms } = await play(cast([output(0, 'a'), output(600, 'b')]), { speed: 4 });
    assert.deepEqual(written, ['a', 'b']);
    assert.ok(ms >= 140 && ms < 590, `took ${ms} ms`);
  });

  it('caps idle gaps at the given limit, or else the header idle_time_limit', async () => {
    const long = [output(0, 'a'), output(60_000, 'b'), output(60_050, 'c')];
    const limited = await play(cast(long), { idleLimitMs: 100 });
    assert.deepEqual(limited.written, ['a', 'b', 'c']);
    assert.ok(limited.ms >= 140 && limited.ms < 5000, `took ${limited.ms} ms`);

    const fromHeader = await play(cast(long, 0.1));
    assert.ok(fromHeader.ms >= 140 && fromHeader.ms < 5000, `took ${fromHeader.ms} ms`);

    const optionWins = await play(cast(long, 30), { idleLimitMs: 20 });
    assert.ok(optionWins.ms >= 35 && optionWins.ms < 5000, `took ${optionWins.ms} ms`);
  });

  it('stops promptly when aborted, with InterruptedError', async () => {
    const controller = new AbortController();
    const written: string[] = [];
    const started = performance.now();
    const playing = playAsciicast(
      cast([output(0, 'a'), output(60_000, 'never')]),
      (text) => {
        written.push(text);
        setTimeout(() => {
          controller.abort();
        }, 20);
      },
      { signal: controller.signal },
    );
    await assert.rejects(playing, InterruptedError);
    assert.deepEqual(written, ['a']);
    assert.ok(performance.now() - started < 5000);
  });

  it('writes nothing when already aborted', async () => {
    const written: string[] = [];
    await assert.rejects(
      playAsciicast(cast([output(0, 'a')]), (text) => written.push(text), {
        signal: AbortSignal.abort(),
      }),
      { name: 'InterruptedError', message: 'playback stopped before the end of the recording' },
    );
    assert.deepEqual(written, []);
  });

  it('refuses a speed or idle limit that is not above 0', async () => {
    await assert.rejects(play(cast([]), { speed: 0 }), {
      name: 'UsageError',
      message: 'expected a playback speed above 0, got 0',
    });
    await assert.rejects(play(cast([]), { idleLimitMs: -5 }), {
      name: 'UsageError',
      message: 'expected an idle limit above 0 ms, got -5',
    });
  });
});
