/**
 * Deadlines on Client-Server API requests, so that a silent dead path (a pulled cable, a NAT
 * mapping that expired: no RST, no FIN, nothing) is noticed. matrix-js-sdk gives a /sync long
 * poll its `timeout` plus 80 s, and every other request no deadline at all, so fetch waits on a
 * dead socket for minutes (undici's 300 s headers timeout) while the room's send queue waits
 * behind it. A request past its deadline here fails like a lost connection (the SDK wraps the
 * abort as a ConnectionError): sync goes into its keepalive loop and polls until the server
 * answers again, and a send is retried under the same transaction id, which the server
 * de-duplicates (Client-Server API, "Transaction identifiers"), so a slow answer costs a retry
 * and never a duplicate.
 */

/** How long requests may go unanswered. */
export interface RequestDeadlines {
  /** Any request but /sync. */
  readonly requestMs: number;
  /** An incremental /sync: its long-poll `timeout` plus this. */
  readonly syncGraceMs: number;
}

/**
 * 30 s: no Client-Server call the SDK makes takes that long on a healthy server (media, which
 * can, goes through media.ts with its own deadlines). 20 s past a long poll's end: a server
 * answers an empty poll at its `timeout`, and a busy one well within that.
 */
export const REQUEST_DEADLINES: RequestDeadlines = { requestMs: 30_000, syncGraceMs: 20_000 };

/**
 * The deadline of one request, in ms; undefined for the initial /sync (no `since`), which a
 * big account's server may take minutes to compute and which is not retried from scratch
 * lightly: the SDK's own limit stays.
 */
export function deadlineOf(url: string, deadlines: RequestDeadlines): number | undefined {
  const parsed = new URL(url);
  if (!parsed.pathname.endsWith('/sync')) return deadlines.requestMs;
  if (!parsed.searchParams.has('since')) return undefined;
  const poll = Number(parsed.searchParams.get('timeout') ?? '0');
  return (Number.isFinite(poll) && poll > 0 ? poll : 0) + deadlines.syncGraceMs;
}

/** `inner` with a deadline on every request (see the module comment). */
export function withDeadlines(
  inner: typeof fetch,
  deadlines: RequestDeadlines = REQUEST_DEADLINES,
): typeof fetch {
  return (input, init) => {
    const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
    const ms = deadlineOf(url, deadlines);
    if (ms === undefined) return inner(input, init);
    const timeout = AbortSignal.timeout(ms);
    const signal = init?.signal ? AbortSignal.any([init.signal, timeout]) : timeout;
    return inner(input, { ...init, signal });
  };
}
