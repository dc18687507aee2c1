/**
 * A terminal for tests of the ink views: what ink writes lands on a headless xterm screen of a
 * given size, read back as lines.
 */
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { HeadlessScreen } from '../../src/stream/screen.ts';

/** A terminal of `columns`×`rows`; call `screen.dispose()` when done. */
export class FakeTerminal extends Writable {
  readonly isTTY = true;
  columns: number;
  rows: number;
  readonly screen: HeadlessScreen;
  #parsed: Promise<void> = Promise.resolve();

  constructor(columns: number, rows: number) {
    super();
    [this.columns, this.rows] = [columns, rows];
    this.screen = new HeadlessScreen(columns, rows, { scrollback: 500 });
  }

  override _write(chunk: Buffer, _encoding: string, callback: () => void): void {
    // A terminal's line discipline (ONLCR) turns each \n into \r\n; do what it does.
    const bytes = Buffer.from(chunk.toString('utf8').replaceAll('\n', '\r\n'), 'utf8');
    this.#parsed = this.screen.write(new Uint8Array(bytes));
    this.#parsed.then(callback, callback);
  }

  /** The user resized the window. */
  async resize(columns: number, rows: number): Promise<void> {
    await this.screen.resize(columns, rows);
    [this.columns, this.rows] = [columns, rows];
    this.emit('resize');
  }

  /** The visible screen once everything written so far is parsed. */
  async lines(): Promise<string[]> {
    await this.#parsed;
    return this.screen.lines();
  }

  /** Poll the screen until `expected` shows (ink draws on its own timers); the screen. */
  async until(expected: RegExp): Promise<string> {
    let screen = '';
    for (let i = 0; i < 60; i++) {
      screen = (await this.lines()).join('\n');
      if (expected.test(screen)) return screen;
      await sleep(50);
    }
    assert.fail(`the screen never matched ${String(expected)}:\n${screen}`);
  }
}
