/** How a Matrix transport connects: one logged-in device of one account. */
export interface MatrixTransportOptions {
  /** Client-Server API base URL, e.g. https://matrix.example.org. */
  readonly homeserver: string;
  /** Fully qualified user id, e.g. @alice:example.org. */
  readonly userId: string;
  /** The device's access token (the profile's secret). */
  readonly accessToken: string;
  /** The device id the login created; the crypto store belongs to it. */
  readonly deviceId: string;
  /**
   * A private directory (0700) this device owns: crypto database, its storage key, the sync
   * store, the delivery ledger and the lock. One process at a time (see store.ts).
   */
  readonly storeDir: string;
  /**
   * Create workspaces and direct rooms end-to-end encrypted (default true). Rooms that are
   * already encrypted stay encrypted whatever this says: plaintext is never sent into them.
   */
  readonly encryption?: boolean;
  /** Timeout of the first connection (initial sync), in ms (default 10 000). */
  readonly connectTimeoutMs?: number;
  /** Long-poll timeout of /sync, in ms (default 30 000). */
  readonly pollTimeoutMs?: number;
  /** Retry bounds while the homeserver is unreachable (sends, and polling for its return), in ms. */
  readonly backoff?: { readonly initialMs: number; readonly maxMs: number };
  /** Milliseconds our agent request handler may take per request (default 5 minutes). */
  readonly agentDeadlineMs?: number;
  /** Called with diagnostics that a verbose CLI prints; never contains secrets. */
  readonly log?: (level: 'debug' | 'info' | 'warn', message: string) => void;
}
