/**
 * One queue per conversation: its turns run one after the other, while other conversations'
 * turns run at the same time, so a slow reply never holds up another person. The running
 * turn can be stopped (`/stop`).
 */

/** A unit of work for one conversation; `signal` aborts when it is stopped. */
export type QueuedWork = (signal: AbortSignal) => Promise<void>;

interface Lane {
  tail: Promise<void>;
  /** The running model turn (what /stop stops); commands are not stoppable. */
  running: AbortController | undefined;
  waiting: number;
}

/** The queues of all conversations. */
export class ConversationQueues {
  readonly #lanes = new Map<string, Lane>();
  readonly #onError: (conversation: string, error: unknown) => void;

  constructor(onError: (conversation: string, error: unknown) => void) {
    this.#onError = onError;
  }

  /**
   * Run `work` after the conversation's earlier work; resolves when it has run. Only
   * `stoppable` work (a model turn) is what `stop` aborts.
   */
  enqueue(conversation: string, work: QueuedWork, stoppable = true): Promise<void> {
    let lane = this.#lanes.get(conversation);
    if (lane === undefined) {
      lane = { tail: Promise.resolve(), running: undefined, waiting: 0 };
      this.#lanes.set(conversation, lane);
    }
    const current = lane;
    current.waiting++;
    const run = current.tail.then(async () => {
      current.waiting--;
      const controller = new AbortController();
      if (stoppable) current.running = controller;
      try {
        await work(controller.signal);
      } catch (error) {
        this.#onError(conversation, error);
      } finally {
        current.running = undefined;
        if (current.waiting === 0 && this.#lanes.get(conversation) === current)
          this.#lanes.delete(conversation);
      }
    });
    current.tail = run;
    return run;
  }

  /** Stop the conversation's running work; false when nothing was running. */
  stop(conversation: string): boolean {
    const running = this.#lanes.get(conversation)?.running;
    if (running === undefined) return false;
    running.abort(new StopRequested());
    return true;
  }

  /** True while the conversation has work running or waiting. */
  busy(conversation: string): boolean {
    return this.#lanes.has(conversation);
  }

  /** Stop everything and wait for it to end. */
  async close(): Promise<void> {
    const tails = [...this.#lanes.values()].map((lane) => {
      lane.running?.abort(new StopRequested());
      return lane.tail;
    });
    await Promise.allSettled(tails);
  }
}

/** The reason a turn was aborted by `/stop` or shutdown. */
export class StopRequested extends Error {
  constructor() {
    super('stopped');
    this.name = 'StopRequested';
  }
}
