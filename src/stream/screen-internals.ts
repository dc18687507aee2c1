/**
 * Terminal state that @xterm/headless 6 keeps but its public API does not expose, read from
 * `_core` as @xterm/addon-serialize itself does for the pen. Every value is checked, so an xterm
 * upgrade that moves one fails loudly (the screen tests catch it) instead of silently dropping it.
 */
import type { Terminal } from '@xterm/headless';
import { InternalError } from '../errors.ts';

/** The drawing attributes (SGR) as xterm stores them; its methods return numbers as flags. */
export interface Pen {
  isInverse(): number;
  isBold(): number;
  isUnderline(): number;
  isOverline(): number;
  isBlink(): number;
  isInvisible(): number;
  isItalic(): number;
  isDim(): number;
  isStrikethrough(): number;
  isFgRGB(): boolean;
  isFgPalette(): boolean;
  getFgColor(): number;
  isBgRGB(): boolean;
  isBgPalette(): boolean;
  getBgColor(): number;
}

/**
 * A buffer's scroll region (screen rows from 0, inclusive) and its saved cursor (DECSC), whose
 * `savedY` counts from the top of the scrollback, not of the screen.
 */
export interface BufferState {
  readonly scrollTop: number;
  readonly scrollBottom: number;
  readonly savedX: number;
  readonly savedY: number;
  readonly savedPen: Pen;
}

/** What the public API leaves out. */
export interface TerminalInternals {
  /** The pen output is drawn with now. */
  readonly pen: Pen;
  readonly normal: BufferState;
  readonly active: BufferState;
  readonly cursorHidden: boolean;
  readonly cursorStyle: 'block' | 'underline' | 'bar' | undefined;
  readonly cursorBlink: boolean;
}

/** Read the state; throws InternalError if xterm no longer keeps it where 6.0 did. */
export function readInternals(terminal: Terminal): TerminalInternals {
  const core = field(terminal, '_core');
  const coreService = field(core, 'coreService');
  const modes = field(coreService, 'decPrivateModes');
  const buffers = field(field(core, '_bufferService'), 'buffers');
  const cursorHidden = field(coreService, 'isCursorHidden');
  const cursorStyle = field(modes, 'cursorStyle');
  if (typeof cursorHidden !== 'boolean' || !isCursorStyle(cursorStyle)) fail('coreService');
  const pen = field(field(core, '_inputHandler'), '_curAttrData');
  if (!isPen(pen)) fail('_inputHandler._curAttrData');
  return {
    pen,
    normal: bufferState(field(buffers, 'normal')),
    active: bufferState(field(buffers, 'active')),
    cursorHidden,
    cursorStyle,
    cursorBlink: field(modes, 'cursorBlink') === true,
  };
}

function bufferState(buffer: unknown): BufferState {
  const scrollTop = field(buffer, 'scrollTop');
  const scrollBottom = field(buffer, 'scrollBottom');
  const savedX = field(buffer, 'savedX');
  const savedY = field(buffer, 'savedY');
  const savedPen = field(buffer, 'savedCurAttrData');
  if (
    typeof scrollTop !== 'number' ||
    typeof scrollBottom !== 'number' ||
    typeof savedX !== 'number' ||
    typeof savedY !== 'number' ||
    !isPen(savedPen)
  ) {
    return fail('buffer');
  }
  return { scrollTop, scrollBottom, savedX, savedY, savedPen };
}

/** The SGR sequence that sets exactly this pen, starting from a reset. */
export function penSgr(pen: Pen): string {
  const codes = ['0'];
  const flags: [number, string][] = [
    [pen.isBold(), '1'],
    [pen.isDim(), '2'],
    [pen.isItalic(), '3'],
    [pen.isUnderline(), '4'],
    [pen.isBlink(), '5'],
    [pen.isInverse(), '7'],
    [pen.isInvisible(), '8'],
    [pen.isStrikethrough(), '9'],
    [pen.isOverline(), '53'],
  ];
  for (const [on, code] of flags) if (on) codes.push(code);
  const fg = color(pen.isFgRGB(), pen.isFgPalette(), pen.getFgColor(), 30);
  const bg = color(pen.isBgRGB(), pen.isBgPalette(), pen.getBgColor(), 40);
  for (const code of [fg, bg]) if (code !== undefined) codes.push(code);
  return `\x1b[${codes.join(';')}m`;
}

/** SGR parameters for a colour; `base` is 30 for the foreground, 40 for the background. */
export function color(rgb: boolean, palette: boolean, value: number, base: 30 | 40) {
  const extended = base + 8;
  if (rgb) return `${extended};2;${(value >>> 16) & 255};${(value >>> 8) & 255};${value & 255}`;
  if (!palette) return undefined;
  if (value >= 16) return `${extended};5;${value}`;
  return String(value >= 8 ? base + 60 + value - 8 : base + value);
}

/** A property of something that may not be an object, for probing xterm's internals. */
export function field(object: unknown, name: string): unknown {
  return typeof object === 'object' && object !== null ? Reflect.get(object, name) : undefined;
}

function isCursorStyle(value: unknown): value is 'block' | 'underline' | 'bar' | undefined {
  return value === undefined || value === 'block' || value === 'underline' || value === 'bar';
}

function isPen(value: unknown): value is Pen {
  return ['isBold', 'isFgRGB', 'getFgColor', 'getBgColor'].every(
    (name) => typeof field(value, name) === 'function',
  );
}

function fail(where: string): never {
  throw new InternalError(
    `expected @xterm/headless 6.0 internals (_core.${where}), got a different shape; ` +
      'check the xterm version against src/stream/screen-internals.ts',
  );
}
