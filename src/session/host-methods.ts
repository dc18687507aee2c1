/**
 * The Transport methods as the host runs them for one client: parameters read and checked
 * (a request that does not match is a client bug, an internal error naming what was expected),
 * the call made with the request's abort signal, the result made JSON. Workspace operations need
 * the client's own lease (leases.ts), exactly as a stand-alone transport needs its own join.
 */
import {
  InternalError,
  MxAgentError,
  UsageError,
  describeValue,
  messageOf,
  quote,
} from '../errors.ts';
import type { Transport, WaitOptions } from '../transport/transport.ts';
import type { ClientConnection } from './host-connection.ts';
import type { HostLog } from './log.ts';
import type { Holder, WorkspaceLeases } from './leases.ts';
import { toWireError, type Request, type TransportMethod } from './protocol.ts';
import {
  isAdvertisement,
  isAgentAsk,
  isAvailability,
  isBlobMeta,
  isBlobRef,
  isDirectoryQuery,
  isHistoryQuery,
  isObject,
  isOutbound,
  isTarget,
  isWorkspaceSettings,
} from './shapes.ts';

/** What a transport call runs with. */
export interface CallContext {
  readonly transport: Transport;
  readonly leases: WorkspaceLeases;
  readonly client: Holder;
  /** Aborted by `cancel` or when the client goes away. */
  readonly signal: AbortSignal;
}

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

const isString = (value: unknown): value is string => typeof value === 'string';
const isBase64 = (value: unknown): value is string =>
  typeof value === 'string' && value.length % 4 === 0 && BASE64.test(value);

/**
 * Run one Transport request of a greeted client and send its answer. It runs with its own
 * abort signal, kept in the client's in-flight table until it settles.
 */
export function runTransportRequest(
  client: ClientConnection,
  method: TransportMethod,
  request: Request,
  serving: { readonly transport: Transport; readonly leases: WorkspaceLeases },
  log: HostLog,
): void {
  const { id } = request;
  if (client.inFlight.has(id)) {
    const error = new InternalError(`session request id ${String(id)} is already in use`);
    client.send({ id, error: toWireError(error) });
    return;
  }
  const controller = new AbortController();
  client.inFlight.set(id, controller);
  const context = { ...serving, client: client.id, signal: controller.signal };
  void callTransport(method, request, context)
    .then(
      (result) => {
        client.send({ id, result });
      },
      (error: unknown) => {
        // Our errors are answers; anything else is a bug worth a line in the log.
        if (!(error instanceof MxAgentError))
          log('warn', `${method} failed unexpectedly: ${messageOf(error)}`);
        client.send({ id, error: toWireError(error) });
      },
    )
    .finally(() => client.inFlight.delete(id));
}

/** Run one Transport method for a client; resolves with the JSON result. */
export async function callTransport(
  method: TransportMethod,
  request: Request,
  context: CallContext,
): Promise<unknown> {
  const { transport, leases, client } = context;
  const str = (name: string): string => stringParam(request, name);
  const wait = waitOptions(request, context.signal);
  const joined = (workspace: string): string => {
    if (!leases.holds(workspace, client))
      throw new UsageError(`not joined to workspace ${quote(workspace)}: join it first`);
    return workspace;
  };
  switch (method) {
    case 'resolveTarget':
      return transport.resolveTarget(str('input'), wait);
    case 'send': {
      const target = request.params.target;
      const content = request.params.content;
      if (!isTarget(target)) throw mismatch(request, 'target', 'a direct or workspace target');
      if (!isOutbound(content)) throw mismatch(request, 'content', 'text or a payload');
      if (target.kind === 'workspace') joined(target.workspace);
      return transport.send(target, content, wait);
    }
    case 'joinWorkspace':
      return leases.acquire(str('workspace'), client, wait);
    case 'leaveWorkspace':
      await leases.release(str('workspace'), client, wait);
      return null;
    case 'setPresence': {
      const availability = request.params.availability;
      const status = request.params.status;
      if (!isAvailability(availability))
        throw mismatch(request, 'availability', 'available, away, busy or offline');
      if (status !== undefined && !isString(status)) throw mismatch(request, 'status', 'a string');
      await transport.setPresence(availability, status, wait);
      return null;
    }
    case 'putBlob': {
      const data = request.params.data;
      const meta = request.params.meta ?? {};
      if (!isBase64(data)) throw mismatch(request, 'data', 'the bytes in base64');
      if (!isBlobMeta(meta)) throw mismatch(request, 'meta', 'blob metadata');
      return transport.putBlob(Buffer.from(data, 'base64'), meta, wait);
    }
    case 'getBlob': {
      const ref = request.params.ref;
      if (!isBlobRef(ref)) throw mismatch(request, 'ref', 'a blob reference');
      const bytes = await transport.getBlob(ref, wait);
      return {
        data: Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64'),
      };
    }
    case 'putState': {
      const content = request.params.content;
      if (!isObject(content)) throw mismatch(request, 'content', 'a JSON object');
      await transport.putState(joined(str('workspace')), str('type'), str('key'), content, wait);
      return null;
    }
    case 'getState': {
      const content = await transport.getState(
        joined(str('workspace')),
        str('type'),
        str('key'),
        wait,
      );
      return { content: content ?? null };
    }
    case 'listState':
      return transport.listState(joined(str('workspace')), str('type'), wait);
    case 'history': {
      const target = request.params.target;
      const query = request.params.query ?? {};
      if (!isTarget(target)) throw mismatch(request, 'target', 'a direct or workspace target');
      if (!isHistoryQuery(query)) throw mismatch(request, 'query', 'a history query');
      if (target.kind === 'workspace') joined(target.workspace);
      return transport.history(target, query, wait);
    }
    case 'createWorkspace': {
      const settings = request.params.settings ?? {};
      if (!isWorkspaceSettings(settings)) throw mismatch(request, 'settings', 'workspace settings');
      return leases.create(str('workspace'), settings, client, wait);
    }
    case 'invite':
      await transport.invite(joined(str('workspace')), str('account'), wait);
      return null;
    case 'setRole': {
      const role = request.params.role;
      if (role !== 'publisher' && role !== 'member')
        throw mismatch(request, 'role', 'publisher or member');
      await transport.setRole(joined(str('workspace')), str('account'), role, wait);
      return null;
    }
    case 'roles':
      return transport.roles(joined(str('workspace')), wait);
    case 'advertise': {
      const advertisement = request.params.advertisement;
      if (!isAdvertisement(advertisement))
        throw mismatch(request, 'advertisement', 'an advertisement');
      await transport.advertise(advertisement, wait);
      return null;
    }
    case 'searchDirectory': {
      const query = request.params.query ?? {};
      if (!isDirectoryQuery(query)) throw mismatch(request, 'query', 'a directory query');
      return transport.searchDirectory(query, wait);
    }
    case 'askAgent': {
      const ask = request.params.request;
      if (!isAgentAsk(ask)) throw mismatch(request, 'request', 'a skills or execute request');
      return transport.askAgent(str('to'), ask, wait);
    }
    case 'setTyping': {
      const target = request.params.target;
      const typing = request.params.typing;
      if (!isTarget(target)) throw mismatch(request, 'target', 'a direct or workspace target');
      if (typeof typing !== 'boolean') throw mismatch(request, 'typing', 'true or false');
      if (target.kind === 'workspace') joined(target.workspace);
      await transport.setTyping(target, typing, wait);
      return null;
    }
    case 'react': {
      const target = request.params.target;
      if (!isTarget(target)) throw mismatch(request, 'target', 'a direct or workspace target');
      if (target.kind === 'workspace') joined(target.workspace);
      await transport.react(target, str('messageId'), str('emoji'), wait);
      return null;
    }
  }
}

function waitOptions(request: Request, signal: AbortSignal): WaitOptions {
  const timeoutMs = request.params.timeoutMs;
  if (timeoutMs === undefined) return { signal };
  if (typeof timeoutMs !== 'number' || !Number.isFinite(timeoutMs) || timeoutMs <= 0)
    throw mismatch(request, 'timeoutMs', 'a positive number of milliseconds');
  return { signal, timeoutMs };
}

function stringParam(request: Request, name: string): string {
  const value = request.params[name];
  if (!isString(value)) throw mismatch(request, name, 'a string');
  return value;
}

function mismatch(request: Request, name: string, expected: string): InternalError {
  return new InternalError(
    `session request ${request.method}: expected params.${name} to be ${expected}, got ${describeValue(request.params[name])}`,
  );
}
