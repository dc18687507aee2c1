/**
 * A bound on a burst of queries (the directory walk): at most `parallel` in flight, at most
 * `budget` in all, and none started once the signal has fired.
 */
import { InterruptedError } from '../../errors.ts';

/** Runs queries within the bounds; a query over budget or after the abort rejects at once. */
export class QueryPool {
  readonly #parallel: number;
  readonly #signal: AbortSignal;
  #left: number;
  #active = 0;
  readonly #waiting: (() => void)[] = [];
  /** True once a query was refused for lack of budget. */
  exhausted = false;

  constructor(parallel: number, budget: number, signal: AbortSignal) {
    this.#parallel = parallel;
    this.#left = budget;
    this.#signal = signal;
  }

  async run<T>(query: () => Promise<T>): Promise<T> {
    if (this.#active >= this.#parallel)
      await new Promise<void>((resolve) => this.#waiting.push(resolve));
    else this.#active++;
    try {
      if (this.#signal.aborted) throw new InterruptedError('the search was stopped');
      if (this.#left <= 0) {
        this.exhausted = true;
        throw new RangeError('query budget exhausted');
      }
      this.#left--;
      return await query();
    } finally {
      // Hand the slot straight to the next waiter, or give it back.
      const next = this.#waiting.shift();
      if (next) next();
      else this.#active--;
    }
  }
}
