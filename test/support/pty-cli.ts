/** The built CLI in a pseudo-terminal (node-pty), as a person at a terminal runs it. */
import type { IPty } from 'node-pty';
import { CLI } from './cli.ts';

/** A CLI running in a terminal: everything it drew so far, and its exit code. */
export interface PtyCli {
  readonly term: IPty;
  /** All output so far, escape sequences included. */
  readonly screen: () => string;
  readonly exited: Promise<number>;
}

/** Start `mx-agent ARGS` in a `cols`×`rows` xterm-256color terminal. */
export async function startCliInPty(
  args: readonly string[],
  env: NodeJS.ProcessEnv,
  size: { readonly cols: number; readonly rows: number } = { cols: 80, rows: 24 },
): Promise<PtyCli> {
  const pty = await import('node-pty');
  const term = pty.spawn(process.execPath, [CLI, ...args], {
    name: 'xterm-256color',
    ...size,
    env,
  });
  let screen = '';
  term.onData((d) => {
    screen += d;
  });
  const exited = new Promise<number>((resolve) => {
    term.onExit((e) => {
      resolve(e.exitCode);
    });
  });
  return { term, screen: () => screen, exited };
}
