/**
 * `task.held` (specs/protocol.md §9): the worker's policy wants a person to approve the job
 * first. The answer says which approval it waits for and until when; the requester keeps
 * waiting (it is not a refusal, nor a lost worker) until the job is accepted, rejected with
 * stage `approval`, or the approval's expiry has passed.
 */
import type { JsonObject } from '../transport/transport.ts';

/** What the worker says when it holds a task for approval. */
export interface TaskHeld {
  /** The approval's id on the worker (`apr-…`), for its owner's `mx-agent approvals approve`. */
  readonly approval: string;
  /** When the worker refuses it if nobody approved it, ms since the epoch (worker's clock). */
  readonly expires: number;
  /** The worker sends `task.alive` at least this often while it holds the task. */
  readonly keepaliveMs?: number;
}

/** The envelope body of a hold. */
export function heldToJson(h: TaskHeld): JsonObject {
  return {
    approval: h.approval,
    expires: h.expires,
    ...(h.keepaliveMs === undefined ? {} : { keepalive_ms: h.keepaliveMs }),
  };
}

/** Read a hold; undefined when malformed. */
export function parseHeld(body: JsonObject): TaskHeld | undefined {
  const { approval, expires, keepalive_ms: keepaliveMs } = body;
  if (typeof approval !== 'string' || !/^apr-[a-z2-7]{8}$/.test(approval)) return undefined;
  if (typeof expires !== 'number' || !Number.isSafeInteger(expires) || expires <= 0)
    return undefined;
  const every =
    typeof keepaliveMs === 'number' && Number.isSafeInteger(keepaliveMs) && keepaliveMs > 0
      ? keepaliveMs
      : undefined;
  return { approval, expires, ...(every === undefined ? {} : { keepaliveMs: every }) };
}
