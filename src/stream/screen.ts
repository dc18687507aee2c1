/**
 * A headless terminal screen kept beside a shared stream, so a viewer who joins late gets the
 * current screen (a snapshot) and then the live chunks, instead of a replay of everything.
 *
 * It wraps @xterm/headless and @xterm/addon-serialize; screen-state.ts completes the addon's
 * output where it falls short, and screen-guard.ts keeps xterm's bugs from crashing us.
 */
import xtermHeadless from '@xterm/headless';
import type { Terminal } from '@xterm/headless';
import xtermSerialize from '@xterm/addon-serialize';
import { guardTerminal } from './screen-guard.ts';
import { completeSnapshot } from './screen-state.ts';

// Both packages are CommonJS bundles that Node's ESM loader cannot see named exports in, so they
// come in as default imports (module.exports) and are destructured.
const { Terminal: HeadlessTerminal } = xtermHeadless;
const { SerializeAddon } = xtermSerialize;

/** How many lines above the screen a snapshot carries unless told otherwise. */
export const SNAPSHOT_SCROLLBACK = 200;

/** A screen as a string of terminal output that redraws it, with the size it was taken at. */
export interface ScreenSnapshot {
  readonly cols: number;
  readonly rows: number;
  readonly data: string;
}

/** A cell position: `x` is the column, `y` the row of the visible screen, both from 0. */
export interface CursorPosition {
  readonly x: number;
  readonly y: number;
}

/** Options for a new screen. */
export interface HeadlessScreenOptions {
  /** Lines kept above the screen; xterm's default is 1000. */
  readonly scrollback?: number;
  /** Told when xterm failed on some output (the rest of that write is lost); default: ignored. */
  readonly onError?: (error: unknown) => void;
}

/** A terminal emulator without a display: feed it output, ask what the screen shows. */
export class HeadlessScreen {
  readonly #terminal: Terminal;
  readonly #serializer: InstanceType<typeof SerializeAddon>;

  constructor(cols: number, rows: number, options: HeadlessScreenOptions = {}) {
    this.#terminal = new HeadlessTerminal({
      cols,
      rows,
      scrollback: options.scrollback ?? 1000,
      // The headless build puts `terminal.buffer`, which the serialize addon reads, behind this.
      allowProposedApi: true,
      // xterm logs unknown sequences to the console, which would land in a viewer's own screen.
      logLevel: 'off',
    });
    this.#serializer = new SerializeAddon();
    this.#terminal.loadAddon(this.#serializer);
    guardTerminal(this.#terminal, options.onError ?? (() => undefined));
  }

  /**
   * Feed output; resolves once xterm has parsed it. Bytes rather than text, so xterm's own
   * streaming UTF-8 decoder joins a character split across two chunks. xterm keeps a reference
   * until then, so do not reuse the array before the promise resolves.
   */
  write(bytes: Uint8Array): Promise<void> {
    return new Promise((resolve) => {
      this.#terminal.write(bytes, resolve);
    });
  }

  /**
   * Change the size once everything written before has been parsed: xterm queues writes but
   * resizes at once, and output meant for the old size must be laid out at the old size.
   */
  resize(cols: number, rows: number): Promise<void> {
    return new Promise((resolve) => {
      this.#terminal.write(new Uint8Array(0), () => {
        this.#terminal.resize(cols, rows);
        resolve();
      });
    });
  }

  /** The screen as it is after the writes that have resolved, with up to `scrollback` lines above. */
  snapshot(options: { scrollback?: number } = {}): ScreenSnapshot {
    const terminal = this.#terminal;
    const scrollback = options.scrollback ?? SNAPSHOT_SCROLLBACK;
    const serialized = this.#serializer.serialize({ scrollback });
    return {
      cols: terminal.cols,
      rows: terminal.rows,
      data: completeSnapshot(terminal, serialized, scrollback),
    };
  }

  /** The visible screen as text, one string per row, trailing blanks trimmed. */
  lines(): string[] {
    const buffer = this.#terminal.buffer.active;
    const lines: string[] = [];
    for (let row = 0; row < this.#terminal.rows; row++) {
      const line = buffer.getLine(buffer.baseY + row)?.translateToString(true) ?? '';
      // translateToString trims only cells never written; spaces a program wrote stay.
      lines.push(line.replace(/ +$/, ''));
    }
    return lines;
  }

  /** Where the cursor is; `x` equals the width while a wrap is pending after the last column. */
  cursor(): CursorPosition {
    const buffer = this.#terminal.buffer.active;
    return { x: buffer.cursorX, y: buffer.cursorY };
  }

  /** Free the terminal; the screen cannot be used afterwards. */
  dispose(): void {
    this.#terminal.dispose();
  }
}

/**
 * The bytes a viewer writes to its own terminal to show a snapshot. RIS (`ESC c`) comes first
 * rather than `CSI H CSI 2J CSI 3J`: clearing leaves modes, pen, scroll region, alternate screen
 * and cursor visibility as a previous program or snapshot set them, while RIS returns all of them
 * to their defaults, so the snapshot only has to set what differs from a fresh terminal.
 */
export function snapshotReplay(snapshot: ScreenSnapshot): Uint8Array {
  return new TextEncoder().encode(`\x1bc${snapshot.data}`);
}
