/**
 * Keeps a program's output from crashing us through @xterm/headless. xterm parses on a timer, so
 * an exception in its parser is uncaught: it would end the process and never resolve the write.
 *
 * Known case (6.0.0): ED 1 (`CSI 1 J`, erase above) with the cursor in the last column of the
 * bottom row, while nothing has scrolled off yet (a fresh screen, the alternate screen), marks
 * the line below as unwrapped, and there is none: `printf '\e[999;999H\e[1J'` is enough. There
 * the erase covers every cell, so it is done as ED 2 instead. Anything else that throws drops
 * the rest of that write and is reported to `onError`, and the screen carries on.
 */
import type { Terminal } from '@xterm/headless';
import { InternalError } from '../errors.ts';
import { field } from './screen-internals.ts';

/** Install both guards; `onError` hears of exceptions that would otherwise have been uncaught. */
export function guardTerminal(terminal: Terminal, onError: (error: unknown) => void): void {
  const inputHandler = field(field(terminal, '_core'), '_inputHandler');
  const eraseInDisplay = field(inputHandler, 'eraseInDisplay');
  const parse = field(inputHandler, 'parse');
  if (typeof inputHandler !== 'object' || inputHandler === null || typeof parse !== 'function') {
    throw new InternalError(
      'expected @xterm/headless 6 internals (_core._inputHandler.parse), got a different shape; ' +
        'check the xterm version',
    );
  }
  for (const selective of [false, true]) {
    const id = selective ? { prefix: '?', final: 'J' } : { final: 'J' };
    terminal.parser.registerCsiHandler(id, (params) => {
      if (params[0] !== 1 || typeof eraseInDisplay !== 'function') return false;
      if (!eraseAboveWouldThrow(terminal)) return false;
      Reflect.apply(eraseInDisplay, inputHandler, [{ params: [2], length: 1 }, selective]);
      return true;
    });
  }
  // xterm's write buffer looks `parse` up on each chunk, so replacing it on the instance works.
  Reflect.set(inputHandler, 'parse', (...args: unknown[]): unknown => {
    try {
      const result: unknown = Reflect.apply(parse, inputHandler, args);
      return result;
    } catch (error) {
      onError(error);
      return undefined;
    }
  });
}

function eraseAboveWouldThrow(terminal: Terminal): boolean {
  const buffer = terminal.buffer.active;
  return buffer.cursorX >= terminal.cols - 1 && buffer.getLine(buffer.cursorY + 1) === undefined;
}
