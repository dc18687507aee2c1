/** History pages of the fake network's per-conversation logs (fake.ts `history`). */
import { UsageError, quote } from '../errors.ts';
import type { HistoryPage, HistoryQuery, InboundMessage, Target } from './transport.ts';

/** One page of `log` read backwards; the cursor is the index where the page starts. */
export function historyPage(
  log: readonly InboundMessage[],
  target: Target,
  query: HistoryQuery,
): HistoryPage {
  const end = query.before === undefined ? log.length : Number(query.before);
  if (!Number.isSafeInteger(end) || end < 0 || end > log.length)
    throw new UsageError(`unknown history cursor ${quote(query.before ?? '')}`);
  const start = Math.max(0, end - (query.limit ?? 100));
  const messages = log
    .slice(start, end)
    .reverse()
    // Seen from this peer, a direct conversation is named by the other side: `target`.
    .map((m): InboundMessage => ({ ...structuredClone(m), target, delayed: true }));
  return { messages, ...(start > 0 ? { next: String(start) } : {}), unreadable: 0 };
}
