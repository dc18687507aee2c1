/**
 * User-interactive authentication (spec: "User-Interactive Authentication API"), with the one
 * stage a development server needs: m.login.dummy. A request without `auth` gets 401 with the
 * flows and a session id; the retry carrying `{ type: 'm.login.dummy', session }` passes, and so
 * does a first request that completes the stage at once (`{ type: 'm.login.dummy' }`).
 */
import { randomBytes } from 'node:crypto';
import { MatrixError } from './matrix-error.ts';

const MAX_PENDING = 10_000;

/** Issued UIA sessions (in memory: an interrupted flow just starts again). */
export class InteractiveAuth {
  readonly #sessions = new Set<string>();

  /** Pass, or throw the 401 that starts the flow (or says why the attempt failed). */
  require(body: Record<string, unknown>): void {
    const auth = body.auth;
    if (typeof auth !== 'object' || auth === null) throw this.#challenge();
    const { type, session } = auth as { type?: unknown; session?: unknown };
    // The session is required only "if one was given" (spec: User-Interactive Authentication
    // API): a client may attempt the dummy stage in its first request, as matrix-nio does.
    const ours =
      session === undefined || (typeof session === 'string' && this.#sessions.delete(session));
    if (type === 'm.login.dummy' && ours) return;
    throw this.#challenge(
      `expected auth of type m.login.dummy with a session from this server, got ${JSON.stringify(auth)}`,
    );
  }

  #challenge(failure?: string): MatrixError {
    const session = randomBytes(12).toString('base64url');
    this.#sessions.add(session);
    // Abandoned flows must not grow memory without bound; the oldest go first.
    if (this.#sessions.size > MAX_PENDING)
      this.#sessions.delete(this.#sessions.values().next().value ?? '');
    const flows = { flows: [{ stages: ['m.login.dummy'] }], params: {}, session };
    return failure === undefined
      ? new MatrixError(401, '', 'additional authentication is required', flows)
      : new MatrixError(401, 'M_FORBIDDEN', failure, flows);
  }
}
