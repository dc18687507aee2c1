/**
 * The sharer's copy of the screen, kept by a headless terminal fed the same bytes peers get.
 * Writes, resizes and snapshots are applied strictly in the order they were asked for, so a
 * snapshot taken after output number N shows exactly the screen after N — whatever the
 * emulator's own asynchronous parsing does.
 */
import { HeadlessScreen, snapshotReplay } from './screen.ts';

/** A snapshot ready to publish: the bytes that redraw the screen on a terminal of this size. */
export interface TrackedSnapshot {
  readonly cols: number;
  readonly rows: number;
  readonly replay: Uint8Array;
}

/** Scrollback kept for snapshots, in lines: enough context, bounded size. */
const SNAPSHOT_SCROLLBACK = 200;

/** A headless screen behind a queue. */
export class ScreenTracker {
  readonly #screen: HeadlessScreen;
  #chain: Promise<void> = Promise.resolve();
  #disposed = false;

  constructor(cols: number, rows: number) {
    this.#screen = new HeadlessScreen(cols, rows, { scrollback: SNAPSHOT_SCROLLBACK });
  }

  /** Feed output. */
  write(bytes: Uint8Array): void {
    this.#then(() => this.#screen.write(bytes));
  }

  /** Follow a resize. */
  resize(cols: number, rows: number): void {
    this.#then(() => this.#screen.resize(cols, rows));
  }

  /** Take a snapshot once everything asked before has been applied. */
  snapshot(use: (snapshot: TrackedSnapshot) => void): void {
    this.#then(() => {
      const shot = this.#screen.snapshot();
      use({ cols: shot.cols, rows: shot.rows, replay: snapshotReplay(shot) });
    });
  }

  /** Wait for everything queued so far (tests, the end of a stream). */
  async settled(): Promise<void> {
    await this.#chain;
  }

  dispose(): void {
    this.#then(() => {
      this.#disposed = true;
      this.#screen.dispose();
    });
  }

  #then(step: () => void | Promise<void>): void {
    this.#chain = this.#chain
      .then(() => (this.#disposed ? undefined : step()))
      .catch(() => undefined); // an emulator hiccup must not stop the stream
  }
}
