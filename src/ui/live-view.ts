/**
 * The drawing loop the live views share (the workflow DAG, the serve dashboard): an ink app
 * re-rendered from a frame function at most every RENDER_MS after a change, once a second for
 * the clocks, and on a resize (ink keeps the frame it has; the rows that fit are decided by the
 * frame). Ctrl-C is left to the terminal: no raw mode, so it stays a SIGINT. Timers are
 * unref'd: a view left running must not keep the process alive.
 */
import { render } from 'ink';
import type { ReactElement } from 'react';
import type { ViewTerminal } from './workflow-view.ts';

/** The least time between two frames after a change. */
const RENDER_MS = 100;

/** A running live view. */
export interface LiveView {
  /** Something changed: draw within RENDER_MS. */
  changed(): void;
  /** Draw the last frame and let ink go; resolves when it has. Safe to call twice. */
  finish(): Promise<void>;
}

/** Start drawing `frame()` on `stdout`. */
export function startLiveView(
  stdout: ViewTerminal,
  frame: () => ReactElement,
  interactive: boolean | undefined,
): LiveView {
  const app = render(frame(), {
    stdout,
    exitOnCtrlC: false,
    ...(interactive === undefined ? {} : { interactive }),
  });
  let pending: NodeJS.Timeout | undefined;
  const draw = (): void => {
    clearTimeout(pending);
    pending = undefined;
    app.rerender(frame());
  };
  const clock = setInterval(draw, 1000).unref();
  stdout.on('resize', draw);
  let finished: Promise<void> | undefined;
  return {
    changed: () => {
      if (finished === undefined) pending ??= setTimeout(draw, RENDER_MS).unref();
    },
    finish: () => {
      finished ??= (async () => {
        clearInterval(clock);
        stdout.off('resize', draw);
        draw();
        app.unmount();
        await app.waitUntilExit();
      })();
      return finished;
    },
  };
}
