/**
 * What @xterm/addon-serialize 0.14 gets wrong or leaves out, put right around its output so that
 * a terminal fed a snapshot shows what the source terminal shows:
 * - it ends with a relative cursor move counted from a pending wrap, which a terminal clamps to
 *   the last column first, so the cursor may land one column off: we place it absolutely;
 * - when it serializes no scrollback (always on the alternate screen), it stops at the last row
 *   with text and drops the background of blank rows below (a TUI's coloured backdrop): we paint
 *   blank cells' backgrounds first;
 * - it switches to the alternate screen with the current pen, whose background then fills it,
 *   and leaving that screen restores the wrong cursor, pen and (in xterm.js) scroll region;
 * - to keep a soft wrap after a blank row it moves by `CSI 0 C` / `CSI 0 D`, meaning to move 0
 *   columns, but terminals read a 0 as 1 and leave a stray "-" behind: we drop those;
 * - it omits the scroll region, the saved cursor (DECSC: position and pen), and the cursor's
 *   visibility (DECTCEM) and shape (DECSCUSR).
 * Still not restored: character sets, tab stops, the window title.
 */
import type { IBuffer, IBufferCell, Terminal } from '@xterm/headless';
import {
  color,
  penSgr,
  readInternals,
  type BufferState,
  type TerminalInternals,
} from './screen-internals.ts';

/** The addon's switch to the alternate screen; cell text never holds ESC, so it is unambiguous. */
const ALT_SCREEN_START = '\x1b[?1049h\x1b[H';
const RESET_PEN = '\x1b[0m';

/** The addon's `serialize({ scrollback })` output, completed into a faithful redraw. */
export function completeSnapshot(
  terminal: Terminal,
  addonOutput: string,
  scrollback: number,
): string {
  // The addon emits these only from that bug (it skips other moves of 0), and text holds no ESC.
  const serialized = addonOutput.replaceAll('\x1b[0C', '').replaceAll('\x1b[0D', '');
  const internals = readInternals(terminal);
  const { normal, alternate, active } = terminal.buffer;
  // The addon's own condition for serializing without scrollback, where blank rows get lost.
  const normalPaint = scrollback <= 0 || normal.length <= terminal.rows;
  const main = normalPaint ? paintBlankBackgrounds(normal, terminal.cols) : '';
  const altAt = serialized.indexOf(ALT_SCREEN_START);
  if (active.type === 'normal' || altAt < 0) {
    return main + serialized + restoreActive(terminal, internals, false);
  }
  const mainRegion = scrollRegion(terminal, internals.normal, false);
  return (
    main +
    serialized.slice(0, altAt) +
    mainRegion +
    leaveMainScreen(terminal, internals.normal) +
    ALT_SCREEN_START +
    // The switch cleared the alternate screen with the saved pen's background.
    `${RESET_PEN}\x1b[2J` +
    paintBlankBackgrounds(alternate, terminal.cols) +
    serialized.slice(altAt + ALT_SCREEN_START.length) +
    // xterm.js keeps a region per screen, other terminals one for both: set it either way.
    restoreActive(terminal, internals, mainRegion !== '')
  );
}

/**
 * The cursor and pen the main screen saved on switching, which the switch we replay saves in
 * turn: leaving the alternate screen then restores the same.
 */
function leaveMainScreen(terminal: Terminal, main: BufferState): string {
  return (
    cursorTo(savedRow(main, terminal.buffer.normal), Math.min(main.savedX, terminal.cols - 1)) +
    penSgr(main.savedPen)
  );
}

/** The screen row DECRC would return to: xterm saves a row of the whole buffer. */
function savedRow(state: BufferState, buffer: IBuffer): number {
  return Math.max(state.savedY - buffer.baseY, 0);
}

/** DECSC for the active screen, unless it holds what a reset terminal holds anyway. */
function saveCursor(terminal: Terminal, internals: TerminalInternals): string {
  const { active } = internals;
  const row = savedRow(active, terminal.buffer.active);
  const pen = penSgr(active.savedPen);
  if (active.savedX === 0 && row === 0 && pen === RESET_PEN) return '';
  const col = Math.min(active.savedX, terminal.cols - 1);
  return `${cursorTo(row, col)}${pen}\x1b7${penSgr(internals.pen)}`;
}

/** DECSTBM for the buffer's region; nothing for the whole screen unless `always`. */
function scrollRegion(terminal: Terminal, buffer: BufferState, always: boolean): string {
  const full = buffer.scrollTop === 0 && buffer.scrollBottom === terminal.rows - 1;
  if (full) return always ? '\x1b[r' : '';
  return `\x1b[${buffer.scrollTop + 1};${buffer.scrollBottom + 1}r`;
}

/**
 * Paint blank cells that have a background colour, as CUP + SGR + ECH runs, then reset the pen
 * and home the cursor for the addon's part. Run before it: the addon then draws over the cells
 * with text and leaves or repaints these with the same colour.
 */
function paintBlankBackgrounds(buffer: IBuffer, cols: number): string {
  let paint = '';
  for (let y = 0; y < buffer.length - buffer.baseY; y++) {
    const line = buffer.getLine(buffer.baseY + y);
    let x = 0;
    while (line && x < cols) {
      const cell = line.getCell(x);
      if (!cell || !isColouredBlank(cell)) {
        x++;
        continue;
      }
      let end = x + 1;
      for (let next = line.getCell(end); next && isColouredBlank(next); next = line.getCell(end)) {
        if (next.getBgColorMode() !== cell.getBgColorMode()) break;
        if (next.getBgColor() !== cell.getBgColor()) break;
        end++;
      }
      const bg = color(cell.isBgRGB(), cell.isBgPalette(), cell.getBgColor(), 40);
      paint += `${cursorTo(y, x)}\x1b[${bg ?? '49'}m\x1b[${end - x}X`;
      x = end;
    }
  }
  return paint === '' ? '' : `${paint}${RESET_PEN}\x1b[H`;
}

function isColouredBlank(cell: IBufferCell): boolean {
  // Width 0 is the right half of a wide character, which belongs to the character.
  return cell.getChars() === '' && cell.getWidth() === 1 && !cell.isBgDefault();
}

function cursorTo(row: number, col: number): string {
  return `\x1b[${row + 1};${col + 1}H`;
}

/** Saved cursor, scroll region, cursor position, visibility and shape, written last. */
function restoreActive(
  terminal: Terminal,
  internals: TerminalInternals,
  alwaysRegion: boolean,
): string {
  const { cursorX, cursorY } = terminal.buffer.active;
  const { originMode } = terminal.modes;
  // Before DECSTBM: without a scroll region, CUP is absolute even in origin mode.
  const saved = saveCursor(terminal, internals);
  const region = scrollRegion(terminal, internals.active, alwaysRegion);
  let restore = saved + region;
  // A pending wrap (x === cols) cannot be set by a cursor movement, only by printing; the addon's
  // content leaves it in place, unless something here (DECSTBM, DECOM: both home it) moved it.
  if (cursorX < terminal.cols || restore !== '' || originMode) {
    const row = cursorY - (originMode ? internals.active.scrollTop : 0);
    restore += cursorTo(row, Math.min(cursorX, terminal.cols - 1));
  }
  if (internals.cursorHidden) restore += '\x1b[?25l';
  if (internals.cursorStyle !== undefined) {
    const shape = { block: 1, underline: 3, bar: 5 }[internals.cursorStyle];
    restore += `\x1b[${internals.cursorBlink ? shape : shape + 1} q`;
  }
  return restore;
}
