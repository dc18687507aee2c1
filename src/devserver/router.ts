/**
 * A small router for the dev homeserver: method + path pattern (`:name` segments) → handler.
 * Unknown paths answer 404 M_UNRECOGNIZED and known paths with the wrong method 405
 * M_UNRECOGNIZED, as the spec asks of servers.
 */
import type { IncomingMessage } from 'node:http';
import { MatrixError } from './matrix-error.ts';

/** What a handler gets. */
export interface Request {
  readonly method: string;
  readonly params: Readonly<Record<string, string>>;
  readonly query: URLSearchParams;
  /** The parsed JSON body (an object), or {} for requests without one. */
  readonly body: Record<string, unknown>;
  readonly raw: IncomingMessage;
  /** The access token from `Authorization: Bearer` or `?access_token=`. */
  readonly token: string | undefined;
}

/** A handler returns the JSON response body (status 200) or throws a MatrixError. */
export type Handler = (request: Request) => unknown;

interface Route {
  readonly method: string;
  readonly pattern: RegExp;
  readonly names: readonly string[];
  readonly handler: Handler;
}

/** The route table. */
export class Router {
  readonly #routes: Route[] = [];

  /** Register `handler` for `method path`, e.g. `GET /_matrix/client/v3/rooms/:roomId/state`. */
  on(method: string, path: string, handler: Handler): this {
    const names: string[] = [];
    const pattern = new RegExp(
      `^${path
        .replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
        .replace(/:([a-zA-Z]+)/g, (_m, name: string) => {
          names.push(name);
          return '([^/]+)';
        })}$`,
    );
    this.#routes.push({ method, pattern, names, handler });
    return this;
  }

  /** Find the handler and path parameters for a request, or throw the spec's 404/405. */
  match(method: string, path: string): { handler: Handler; params: Record<string, string> } {
    let pathKnown = false;
    for (const route of this.#routes) {
      const found = route.pattern.exec(path);
      if (!found) continue;
      pathKnown = true;
      if (route.method !== method) continue;
      const params: Record<string, string> = {};
      route.names.forEach((name, i) => {
        params[name] = decodeURIComponent(found[i + 1] ?? '');
      });
      return { handler: route.handler, params };
    }
    throw pathKnown
      ? new MatrixError(405, 'M_UNRECOGNIZED', `method ${method} is not allowed on ${path}`)
      : new MatrixError(404, 'M_UNRECOGNIZED', `unrecognized request: ${method} ${path}`);
  }
}
