/**
 * Typing notifications (Client-Server API, "Typing Notifications", `m.typing`): ephemeral, so
 * nothing is stored or encrypted; the server drops the notice after the timeout by itself.
 */
import type { MatrixClient } from 'matrix-js-sdk';
import { mapMatrixError } from './matrix-errors.ts';

/** How long a "typing" notice lasts unless renewed or ended. */
export const TYPING_TIMEOUT_MS = 30_000;

/** Say we are (or stopped) typing in a room. */
export async function sendTyping(
  client: MatrixClient,
  roomId: string,
  roomName: string,
  typing: boolean,
): Promise<void> {
  try {
    await client.sendTyping(roomId, typing, TYPING_TIMEOUT_MS);
  } catch (error) {
    throw mapMatrixError(error, `say we are ${typing ? '' : 'not '}typing in ${roomName}`);
  }
}
