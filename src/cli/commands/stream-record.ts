import { AsciicastWriter } from '../../stream/asciicast.ts';
import type { Recorder } from '../../stream/sharer.ts';

/** Start a local asciicast v2 recording (refuses to overwrite an existing file). */
export function openRecorder(
  path: string,
  session: { cols: number; rows: number; title: string; command: string },
): Recorder {
  return AsciicastWriter.toFile(path, {
    width: session.cols,
    height: session.rows,
    timestamp: Date.now() / 1000,
    title: session.title,
    command: session.command,
    env: {
      TERM: process.env.TERM ?? 'xterm-256color',
      ...(process.env.SHELL ? { SHELL: process.env.SHELL } : {}),
    },
  });
}
