/**
 * The sharer's side of the screen: in a terminal, raw mode (every key goes to the program, as
 * if mx-agent were not there) and window-size changes; without one, stdin and stdout as pipes.
 */
import type { LocalTerminal } from '../../stream/sharer.ts';
import type { Output } from '../output.ts';

/** A LocalTerminal over this process's stdio; `close()` restores the terminal. */
export function localTerminal(raw: boolean, output: Output): LocalTerminal & { close(): void } {
  const { stdin, stdout, stderr } = process;
  const cleanups: (() => void)[] = [];
  let closed = false;
  if (raw && stdin.isTTY) {
    stdin.setRawMode(true);
    cleanups.push(() => {
      stdin.setRawMode(false);
    });
  }
  return {
    write: (bytes, fd) => {
      (fd === 2 ? stderr : stdout).write(bytes);
    },
    onInput: (listener) => {
      const onData = (chunk: Buffer): void => {
        listener(chunk);
      };
      stdin.on('data', onData);
      stdin.resume();
      cleanups.push(() => {
        stdin.off('data', onData);
        stdin.pause();
      });
    },
    onInputEnd: (listener) => {
      stdin.once('end', listener);
    },
    onResize: (listener) => {
      if (!stdout.isTTY) return;
      const onResize = (): void => {
        listener(stdout.columns, stdout.rows);
      };
      stdout.on('resize', onResize);
      cleanups.push(() => {
        stdout.off('resize', onResize);
      });
    },
    notice: (message) => {
      // In raw mode the cursor may be anywhere: start and end on a fresh line.
      if (raw) stderr.write(`\r\n[mx-agent] ${message}\r\n`);
      else output.info(message);
    },
    close: () => {
      if (closed) return;
      closed = true;
      for (const cleanup of cleanups.splice(0).reverse()) cleanup();
    },
  };
}
