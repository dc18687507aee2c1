/**
 * A running share's local control socket (mode 0600, this user only): `stream allow` and
 * `stream revoke` reach the sharer through it, so input can be granted and taken back while
 * the program runs. One JSON request per connection: `{"op":"allow"|"revoke","who":"…"}`,
 * answered with `{"input":[…]}` or `{"error":"…"}`.
 */
import { chmodSync, rmSync } from 'node:fs';
import { createConnection, createServer, type Server } from 'node:net';
import { NetworkError, UsageError, messageOf } from '../errors.ts';
import type { StreamControl } from './sharer.ts';

/** A control request. */
export interface ControlRequest {
  readonly op: 'allow' | 'revoke';
  readonly who: string;
}

/** Serve `control` on `path` until closed. `check` validates an address before it is allowed. */
export async function serveControl(
  path: string,
  control: StreamControl,
  check: (who: string) => Promise<string>,
): Promise<Server> {
  rmSync(path, { force: true });
  const server = createServer((socket) => {
    let text = '';
    socket.setEncoding('utf8');
    socket.on('error', () => undefined);
    socket.on('data', (chunk: string) => {
      text += chunk;
      if (!text.includes('\n') || text.length > 4096) return;
      void answer(text.slice(0, text.indexOf('\n'))).then((reply) => {
        socket.end(`${JSON.stringify(reply)}\n`);
      });
    });
  });
  const answer = async (line: string): Promise<object> => {
    try {
      const request = JSON.parse(line) as Partial<ControlRequest>;
      if (typeof request.who !== 'string') throw new UsageError('expected a peer address');
      const who = await check(request.who);
      if (request.op === 'allow') control.allow(who);
      else if (request.op === 'revoke') {
        if (!control.revoke(who)) throw new UsageError(`${who} was not allowed to type`);
      } else throw new UsageError('expected op allow or revoke');
      return { input: control.allowed() };
    } catch (error) {
      return { error: messageOf(error) };
    }
  };
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(path, () => {
      chmodSync(path, 0o600);
      resolve();
    });
  });
  server.unref();
  return server;
}

/** Ask the share behind `path`; resolves with who may type now. */
export function sendControl(path: string, request: ControlRequest): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const socket = createConnection(path);
    let text = '';
    socket.setEncoding('utf8');
    socket.setTimeout(10_000, () => {
      socket.destroy(new Error('no answer within 10 s'));
    });
    socket.on('connect', () => {
      socket.write(`${JSON.stringify(request)}\n`);
    });
    socket.on('data', (chunk: string) => {
      text += chunk;
    });
    socket.on('error', (error) => {
      reject(new NetworkError(`cannot reach the running share: ${error.message}`));
    });
    socket.on('end', () => {
      try {
        const reply = JSON.parse(text) as { input?: string[]; error?: string };
        if (reply.error !== undefined) reject(new UsageError(reply.error));
        else resolve(reply.input ?? []);
      } catch {
        reject(new NetworkError('the running share gave no answer'));
      }
    });
  });
}
