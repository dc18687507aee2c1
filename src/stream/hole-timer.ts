/**
 * When a viewer looks into history for a missing event: `waitMs` after the hole appeared, once
 * per hole. Set again on every later event, the look was pushed back for as long as live
 * traffic came faster than `waitMs`: the hole stayed open while the stream ran.
 */

/** What a hole timer does when it fires. */
export interface HoleLook {
  /** Read history for the hole. */
  look(): Promise<void>;
  /** The look failed (it may `set` the timer again). */
  onError(error: unknown, delayMs: number): void;
  /** The look is over, failed or not: is there still a hole to watch? */
  onSettled(): void;
}

/** The timer of one follower's holes. */
export class HoleTimer {
  readonly #what: HoleLook;
  #timer: NodeJS.Timeout | undefined;
  /** The hole (a sequence number) the timer is set for. */
  #hole = -1;
  /** A look is under way: no second one starts beside it. */
  #looking = false;
  #closed = false;

  constructor(what: HoleLook) {
    this.#what = what;
  }

  /** There is a hole at `hole` (or none): look for it after `waitMs`, unless already set to. */
  watch(hole: number | undefined, waitMs: number): void {
    if (hole === undefined) {
      this.clear();
      return;
    }
    if (this.#looking || (this.#timer !== undefined && this.#hole === hole)) return;
    this.set(hole, waitMs);
  }

  /** Look for `hole` in `delayMs`, replacing any look already set. */
  set(hole: number, delayMs: number): void {
    clearTimeout(this.#timer);
    if (this.#closed) return;
    this.#hole = hole;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#looking = true;
      void this.#what
        .look()
        .catch((error: unknown) => {
          this.#what.onError(error, delayMs);
        })
        .finally(() => {
          this.#looking = false;
          this.#what.onSettled();
        });
    }, delayMs);
  }

  /** No hole any more. */
  clear(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  /** The follower stops: nothing is set again, even by a look still under way. */
  close(): void {
    this.#closed = true;
    this.clear();
  }
}
