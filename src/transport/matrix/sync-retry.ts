/**
 * Brings a dropped /sync back soon after the homeserver returns. matrix-js-sdk, once a /sync
 * fails, first asks `/_matrix/client/versions` 2–7 s later and then every 5–10 s, so an agent
 * stayed deaf for up to 10 s after a homeserver restart. While the sync is down this also pokes
 * the SDK (`retryImmediately`) on our own reconnect schedule: first within half a second, then
 * doubling, with jitter (../backoff.ts), as the XMPP transport reconnects. The SDK's own polls
 * go on, so a long outage is still checked at least every 10 s.
 */
import { Backoff, type BackoffOptions } from '../backoff.ts';

/** Pokes a lost sync on a backoff schedule until it is back. */
export class SyncRetry {
  readonly #poke: () => void;
  readonly #backoff: Backoff;
  #timer: NodeJS.Timeout | undefined;
  #stopped = false;

  /** `poke` asks the SDK to check the homeserver now (`MatrixClient.retryImmediately`). */
  constructor(poke: () => void, options: BackoffOptions) {
    this.#poke = poke;
    this.#backoff = new Backoff(options);
  }

  /** The sync failed (or is reconnecting): poke it until `restored()`. Repeated calls are one. */
  lost(): void {
    if (this.#timer !== undefined || this.#stopped) return;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#poke();
      this.lost();
    }, this.#backoff.nextDelay());
    // Waiting for the homeserver is no reason to keep the process alive.
    this.#timer.unref();
  }

  /** The sync is back: stop poking. */
  restored(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#backoff.connected();
  }

  /** The transport closes: never poke again. */
  stop(): void {
    this.#stopped = true;
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }
}
