/**
 * Workspace state on Matrix (specs/protocol.md §4.3): type T, key K is the room state event
 * `org.mxagent.T` with state key K; an empty content means absent. State is not encrypted.
 */
import { MatrixError, type MatrixClient } from 'matrix-js-sdk';
import { RefusedError, UsageError, quote } from '../../errors.ts';
import { sleep } from '../deadline.ts';
import * as T from '../transport.ts';
import { EVENT_PREFIX } from './codec.ts';
import { mapMatrixError, protocolDetail, retryDelay } from './matrix-errors.ts';
import { AGENT_STATE_EVENTS } from './room-defaults.ts';
import { isTransient } from './sdk.ts';

/** Check a state type, or throw UsageError naming the form. */
export function assertStateType(type: string): void {
  if (!T.STATE_TYPE.test(type)) {
    throw new UsageError(`expected a state type like "agent.card", got ${quote(type)}`);
  }
}

/** Write one document, retrying through outages and rate limits until the deadline. */
export async function writeState(
  client: () => MatrixClient,
  roomId: string,
  workspace: string,
  type: string,
  key: string,
  content: T.JsonObject,
  wait: { signal: AbortSignal; online: (signal: AbortSignal) => Promise<void> },
): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    await wait.online(wait.signal);
    try {
      await client().sendStateEvent(
        roomId,
        `${EVENT_PREFIX}${type}` as never,
        content as never,
        key,
      );
      return;
    } catch (error) {
      if (!isTransient(error)) throw writeFailure(error, workspace, type);
      await sleep(retryDelay(error, attempt), wait.signal);
    }
  }
}

/** A refused write of agent state says which role it needs (specs/protocol.md §4.2). */
function writeFailure(error: unknown, workspace: string, type: string): Error {
  const mapped = mapMatrixError(error, `write ${type} state in ${workspace}`);
  if (
    !(error instanceof MatrixError) ||
    error.errcode !== 'M_FORBIDDEN' ||
    !AGENT_STATE_EVENTS.includes(`${EVENT_PREFIX}${type}`)
  )
    return mapped;
  return new RefusedError(
    `${mapped.message}; publishing agent state in ${workspace} needs the publisher role: ask its owner to grant it`,
    { cause: error, detail: protocolDetail(error) },
  );
}

/** Read one document, or undefined when absent. */
export async function readState(
  client: MatrixClient,
  roomId: string,
  workspace: string,
  type: string,
  key: string,
): Promise<T.JsonObject | undefined> {
  try {
    const content = (await client.getStateEvent(
      roomId,
      `${EVENT_PREFIX}${type}`,
      key,
    )) as T.JsonObject;
    return Object.keys(content).length === 0 ? undefined : content;
  } catch (error) {
    if (error instanceof MatrixError && error.errcode === 'M_NOT_FOUND') return undefined;
    throw mapMatrixError(error, `read state in ${workspace}`);
  }
}

/** Every document of one type in a room. */
export async function listState(
  client: MatrixClient,
  roomId: string,
  workspace: string,
  type: string,
): Promise<T.StateEntry[]> {
  let events: Record<string, unknown>[];
  try {
    events = (await client.roomState(roomId)) as unknown as Record<string, unknown>[];
  } catch (error) {
    throw mapMatrixError(error, `read state in ${workspace}`);
  }
  const wanted = `${EVENT_PREFIX}${type}`;
  return events.flatMap((e): T.StateEntry[] => {
    const content = e.content as T.JsonObject | undefined;
    if (e.type !== wanted || typeof e.state_key !== 'string' || !content) return [];
    if (Object.keys(content).length === 0) return [];
    return [
      {
        type,
        key: e.state_key,
        content,
        ...(typeof e.sender === 'string' ? { sender: e.sender } : {}),
      },
    ];
  });
}
