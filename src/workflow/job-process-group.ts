/**
 * A job's process group: the job was spawned detached, so it leads a group of its own and every
 * process it starts (unless it leaves on purpose with setsid) is in it. Signalling the group
 * reaches grandchildren that a kill of the job's pid alone would orphan.
 */

/** How long a group has between SIGTERM and SIGKILL. */
export const KILL_GRACE_MS = 2000;

/** Ends a process group: SIGTERM, then SIGKILL for whatever is left after the grace period. */
export class ProcessGroup {
  readonly #pgid: number | undefined;
  readonly #graceMs: number;
  #terminating = false;

  constructor(pgid: number | undefined, graceMs = KILL_GRACE_MS) {
    this.#pgid = pgid;
    this.#graceMs = graceMs;
  }

  /** Start ending the group; later calls do nothing. */
  terminate(): void {
    if (this.#terminating) return;
    this.#terminating = true;
    this.#signal('SIGTERM');
    // Unref'd: a group that is already gone must not keep the worker alive for the grace.
    setTimeout(() => {
      this.#signal('SIGKILL');
    }, this.#graceMs).unref();
  }

  #signal(signal: NodeJS.Signals): void {
    if (this.#pgid === undefined) return;
    try {
      process.kill(-this.#pgid, signal);
    } catch {
      // ESRCH: nothing left in the group.
    }
  }
}
