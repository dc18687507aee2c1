import { readFileSync } from 'node:fs';
import { UsageError, messageOf, quote } from '../../errors.ts';
import { parseAsciicast, playAsciicast } from '../../stream/asciicast.ts';
import type { CliContext } from '../context.ts';
import { stringOption } from '../option-values.ts';

/** `mx-agent stream replay FILE [--speed N] [--idle-limit S]`. */
export async function replayRecording(
  file: string,
  values: Record<string, unknown>,
  context: CliContext,
): Promise<void> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new UsageError(`cannot read ${quote(file)}: ${messageOf(error)}`);
  }
  const cast = parseAsciicast(text);
  const speed = positive(stringOption(values, 'speed'), '--speed');
  const idle = positive(stringOption(values, 'idleLimit'), '--idle-limit');
  context.endsOnInterrupt();
  const { output } = context;
  try {
    await playAsciicast(
      cast,
      (chunk) => {
        process.stdout.write(chunk);
      },
      {
        ...(speed === undefined ? {} : { speed }),
        ...(idle === undefined ? {} : { idleLimitMs: idle * 1000 }),
        signal: context.signal,
        onResize: (cols, rows) => {
          output.debug(`the recording is now ${String(cols)}x${String(rows)}`);
        },
      },
    );
  } catch (error) {
    if (context.signal.aborted) return;
    throw error;
  }
}

function positive(input: string | undefined, name: string): number | undefined {
  if (input === undefined) return undefined;
  const value = Number(input);
  if (!Number.isFinite(value) || value <= 0)
    throw new UsageError(`expected ${name} to be a number above 0, got ${quote(input)}`);
  return value;
}
