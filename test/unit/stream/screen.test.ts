import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { HeadlessScreen, snapshotReplay } from '../../../src/stream/screen.ts';

const ESC = '\x1b';
const bytes = (text: string): Uint8Array => new TextEncoder().encode(text);

const screens: HeadlessScreen[] = [];
afterEach(() => {
  for (const screen of screens.splice(0)) screen.dispose();
});
const screen = (cols = 40, rows = 10): HeadlessScreen => {
  const created = new HeadlessScreen(cols, rows);
  screens.push(created);
  return created;
};

/** Feed chunks one by one, as a pty delivers them. */
async function feed(target: HeadlessScreen, ...chunks: (string | Uint8Array)[]): Promise<void> {
  for (const chunk of chunks) await target.write(typeof chunk === 'string' ? bytes(chunk) : chunk);
}

/** A late joiner: a fresh screen of the same size that has been sent the snapshot of `source`. */
async function lateJoiner(source: HeadlessScreen): Promise<HeadlessScreen> {
  const snapshot = source.snapshot();
  const joiner = screen(snapshot.cols, snapshot.rows);
  await joiner.write(snapshotReplay(snapshot));
  return joiner;
}

/** Same text, same cursor, and same colours and attributes (the screen part of a snapshot). */
function assertSameScreen(actual: HeadlessScreen, expected: HeadlessScreen): void {
  assert.deepEqual(actual.lines(), expected.lines());
  assert.deepEqual(actual.cursor(), expected.cursor());
  assert.equal(actual.snapshot({ scrollback: 0 }).data, expected.snapshot({ scrollback: 0 }).data);
}

/** Snapshot `source` into a late joiner, then keep feeding both the same output. */
async function assertLateJoinerFollows(
  source: HeadlessScreen,
  ...further: string[]
): Promise<HeadlessScreen> {
  const joiner = await lateJoiner(source);
  assertSameScreen(joiner, source);
  for (const chunk of further) {
    await feed(source, chunk);
    await feed(joiner, chunk);
    assertSameScreen(joiner, source);
  }
  return joiner;
}

const shellSession = [
  `${ESC}[1;32muser@host${ESC}[0m:${ESC}[34m~/src${ESC}[0m$ ls --color\r\n`,
  ...Array.from({ length: 30 }, (_, i) => `${ESC}[3${i % 8}mfile-${i}.txt${ESC}[0m\r\n`),
  'progress 10%\rprogress 55%\rprogress 100%\r\n',
  `漢字 and emoji 🎉 ok\r\n`,
  `${ESC}[5;3H${ESC}[1;4;7mmoved${ESC}[0m${ESC}[K`,
  `${ESC}[7;1H${ESC}[2K${ESC}[8;10H${ESC}[1J`,
  `${ESC}[10;1H${ESC}[48;5;202m${ESC}[38;2;10;200;30m truecolour on 256 ${ESC}[0m$ `,
];

describe('HeadlessScreen', () => {
  it('shows what a terminal shows: text, colours, overwritten lines, wide characters', async () => {
    const a = screen(40, 6);
    await feed(a, 'one\r\ntwo\r\n', 'progress 10%\rdone        \r\n', '漢字x');
    assert.deepEqual(a.lines(), ['one', 'two', 'done', '漢字x', '', '']);
    // Each of 漢字 takes two cells.
    assert.deepEqual(a.cursor(), { x: 5, y: 3 });
  });

  it('joins a UTF-8 character split across two writes', async () => {
    const a = screen(20, 3);
    const kanji = bytes('漢'); // 3 bytes
    const emoji = bytes('🎉'); // 4 bytes
    await feed(a, kanji.subarray(0, 1), kanji.subarray(1), emoji.subarray(0, 3), emoji.subarray(3));
    assert.deepEqual(a.lines(), ['漢🎉', '', '']);
  });

  it('resizes after the writes made before it, not before they are parsed', async () => {
    const a = screen(10, 3);
    // Column 15 is clamped to the last column at the width the output was written for.
    const writing = a.write(bytes(`${ESC}[15GX`));
    const resizing = a.resize(20, 3);
    await Promise.all([writing, resizing]);
    assert.deepEqual(a.lines(), ['         X', '', '']);
  });
});

describe('snapshot and replay for a late joiner', () => {
  it('starts the replay with a full reset (RIS)', () => {
    const replay = snapshotReplay({ cols: 80, rows: 24, data: 'x' });
    assert.equal(new TextDecoder().decode(replay), `${ESC}cx`);
  });

  it('reproduces a shell session that scrolled past the screen, then follows it', async () => {
    const a = screen(40, 10);
    await feed(a, ...shellSession);
    await assertLateJoinerFollows(
      a,
      'echo more\r\n',
      `${ESC}[31mred without reset, `,
      'still red\r\n',
      ...Array.from({ length: 12 }, (_, i) => `line ${i}\r\n`),
    );
  });

  it('carries scrollback above the screen, bounded', async () => {
    const a = screen(20, 5);
    await feed(a, Array.from({ length: 400 }, (_, i) => `line ${i}\r\n`).join(''));
    const snapshot = a.snapshot({ scrollback: 10 });
    const lines = snapshot.data.split('\r\n');
    assert.equal(lines[0], 'line 386');
    assert.equal(lines.length, 15);
    assert.ok(a.snapshot().data.startsWith('line 196\r\n'));
  });

  it('reproduces a full-screen program that draws a box and stays on the alternate screen', async () => {
    const a = screen(30, 8);
    await feed(a, ...shellSession.slice(0, 5), 'vim notes.txt\r\n');
    await feed(
      a,
      `${ESC}[?1049h${ESC}[?25l${ESC}[H${ESC}[2J`,
      `${ESC}[44m${ESC}(0lqqqqqqqqk${ESC}(B\r\n`,
      `${ESC}(0x${ESC}(B 漢字 ok ${ESC}(0x${ESC}(B\r\n`,
      `${ESC}(0mqqqqqqqqj${ESC}(B`,
      `${ESC}[8;1H${ESC}[7m-- INSERT --${ESC}[27m${ESC}[2;4H`,
    );
    assert.equal(a.lines()[0], '┌────────┐');
    const b = await assertLateJoinerFollows(a, 'typed', `${ESC}[3;4H${ESC}[1mbold`);
    // The program exits: both go back to the main screen and the cursor it saved.
    await feed(a, `${ESC}[0m${ESC}[?1049l${ESC}[?25h$ `);
    await feed(b, `${ESC}[0m${ESC}[?1049l${ESC}[?25h$ `);
    assertSameScreen(b, a);
    assert.match(a.lines().join('\n'), /vim notes\.txt\n\$/);
  });

  it('reproduces the main screen after a full-screen program has left', async () => {
    const a = screen(30, 8);
    await feed(a, 'before\r\n', `${ESC}[?1049h${ESC}[HTUI${ESC}[?1049l`, 'after\r\n');
    assert.deepEqual(a.lines().slice(0, 3), ['before', 'after', '']);
    await assertLateJoinerFollows(a, 'and on\r\n');
  });

  it('restores the pen on the alternate screen when the main screen left it coloured', async () => {
    const a = screen(20, 4);
    await feed(a, `${ESC}[31mred`, `${ESC}[?1049h${ESC}[0mplain${ESC}[32m`);
    await assertLateJoinerFollows(a, 'green');
  });

  it('restores a scroll region, origin mode, hidden cursor and cursor shape', async () => {
    const a = screen(30, 8);
    // A pager-like layout: a status line outside a scroll region of rows 2-7.
    await feed(
      a,
      `${ESC}[8;1Hstatus line${ESC}[1;1Htitle${ESC}[2;7r${ESC}[?6h${ESC}[?25l${ESC}[6 q`,
      ...Array.from({ length: 9 }, (_, i) => `${ESC}[6;1Hrow ${i}\n`),
    );
    const replay = a.snapshot().data;
    for (const restored of ['[2;7r', '[?25l', '[6 q']) {
      assert.ok(replay.includes(`${ESC}${restored}`), restored);
    }
    await assertLateJoinerFollows(a, `${ESC}[6;1Hnext\n`, `${ESC}[6;1Hnext again\n`, 'tail');
  });

  it('keeps a soft-wrapped line wrapped, so later output lands the same', async () => {
    const a = screen(10, 4);
    await feed(a, 'abcdefghijklmnopqrstuvwxyz', `${ESC}[31m0123456789`);
    await assertLateJoinerFollows(a, 'more text that wraps again', '\r\n$ ');
  });

  it('keeps the modes that change what keys send (cursor keys, bracketed paste, mouse)', async () => {
    const a = screen(20, 4);
    await feed(a, `${ESC}[?1h${ESC}[?2004h${ESC}[?1000h`);
    const { data } = a.snapshot();
    for (const mode of ['?1h', '?2004h', '?1000h'])
      assert.ok(data.includes(`${ESC}[${mode}`), mode);
  });
  it('keeps the cursor where it is after text that ends in the last column', async () => {
    const a = screen(10, 4);
    await feed(a, '0123456789', `${ESC}[3;4H`);
    assert.deepEqual(a.cursor(), { x: 3, y: 2 });
    await assertLateJoinerFollows(a, 'here');
  });

  it('leaves no stray mark for a blank row above a soft-wrapped one', async () => {
    const a = screen(10, 4);
    await feed(a, 'abcdefghijKLM', `${ESC}[1;1H${ESC}[10X${ESC}[4;1H`);
    assert.deepEqual(a.lines(), ['', 'KLM', '', '']);
    await assertLateJoinerFollows(a, 'x');
  });

  it('keeps the coloured backdrop of a full-screen program below its last text', async () => {
    const a = screen(20, 6);
    await feed(a, `${ESC}[?1049h${ESC}[44m${ESC}[2J${ESC}[2;3H${ESC}[30;47m Menu ${ESC}[44m`);
    const b = await lateJoiner(a);
    // The bottom row, below the last text, is painted blue.
    assert.ok(b.snapshot().data.includes(`${ESC}[6;1H${ESC}[44m${ESC}[20X`));
    assertSameScreen(b, a);
  });

  it('restores the cursor, pen and scroll region the main screen saved, on leaving', async () => {
    const a = screen(20, 6);
    await feed(a, 'line\r\n', `${ESC}[2;5r${ESC}[33m$ `, `${ESC}[?1049h${ESC}[0m${ESC}[HTUI`);
    const b = await assertLateJoinerFollows(a);
    for (const target of [a, b]) await feed(target, `${ESC}[?1049l`, 'yellow', '\n\n\n\n\n');
    assertSameScreen(b, a);
  });

  it('restores a cursor saved with DECSC on the screen shown', async () => {
    const a = screen(20, 6);
    await feed(a, 'top\r\n', `${ESC}[3;5H${ESC}[32m${ESC}7${ESC}[0m${ESC}[6;1H$ `);
    await assertLateJoinerFollows(a, `${ESC}8saved`, `${ESC}[6;3Hback`);
  });

  it('survives the erase that crashes xterm 6.0 (ED 1 in the bottom-right cell)', async () => {
    const a = screen(80, 24);
    await feed(a, 'hello', `${ESC}[24;80H${ESC}[1J${ESC}[HX`);
    assert.deepEqual(a.lines(), ['X', ...Array.from({ length: 23 }, () => '')]);
  });
});
