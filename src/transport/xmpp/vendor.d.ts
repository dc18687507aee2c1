// Minimal typings for the parts of xmpp.js we use (the packages ship none; the DefinitelyTyped
// ones lag behind 0.14). Only what src/transport/xmpp touches is declared.

declare module '@xmpp/xml' {
  export class Element {
    constructor(name: string, attrs?: Record<string, string | undefined>);
    name: string;
    attrs: Record<string, string | undefined>;
    children: (Element | string)[];
    parent: Element | null;
    is(name: string, xmlns?: string): boolean;
    getNS(): string | undefined;
    getChild(name: string, xmlns?: string): Element | undefined;
    getChildren(name: string, xmlns?: string): Element[];
    getChildElements(): Element[];
    getChildText(name: string, xmlns?: string): string | null;
    text(): string;
    append(...children: (Element | string)[]): this;
    toString(): string;
  }
  export type Child = Element | string | undefined | null | false;
  export function xml(
    name: string,
    attrs?: Record<string, string | undefined> | null,
    ...children: (Child | Child[])[]
  ): Element;
}

// Tests parse wire text with it, to check what a peer's exact XML becomes.
declare module '@xmpp/xml/lib/parse.js' {
  import type { Element } from '@xmpp/xml';
  export default function parse(data: string): Element;
}

declare module '@xmpp/jid' {
  export class JID {
    local: string;
    domain: string;
    resource: string;
    bare(): JID;
    toString(): string;
    equals(other: JID): boolean;
  }
  export function jid(address: string): JID;
}

declare module '@xmpp/events' {
  export { EventEmitter } from 'node:events';
}

declare module '@xmpp/client-core' {
  import type { EventEmitter } from 'node:events';
  import type { Element } from '@xmpp/xml';
  import type { JID } from '@xmpp/jid';
  export interface Socket extends EventEmitter {
    secure?: boolean;
    socket: import('node:net').Socket | null;
  }
  export class Client extends EventEmitter {
    constructor(options: { service: string; domain: string; timeout?: number; lang?: string });
    jid: JID | null;
    status: string;
    socket: Socket | null;
    options: { service: string; domain: string; timeout?: number };
    transports: unknown[];
    isSecure(): boolean;
    start(): Promise<JID>;
    connect(service: string): Promise<void>;
    open(options: { domain: string; lang?: string }): Promise<unknown>;
    stop(): Promise<unknown>;
    disconnect(): Promise<unknown>;
    send(element: Element): Promise<void>;
    sendReceive(element: Element, timeout?: number): Promise<Element>;
    restart(): Promise<void>;
    _attachSocket(socket: unknown): void;
  }
}

declare module '@xmpp/tcp' {
  export default function tcp(deps: { entity: unknown }): void;
}

declare module '@xmpp/tls/lib/Connection.js' {
  export default class ConnectionTLS {
    socketParameters(service: string): Record<string, unknown> | undefined;
  }
}

declare module '@xmpp/tls/lib/Socket.js' {
  import type { EventEmitter } from 'node:events';
  export default class TlsSocket extends EventEmitter {
    secure: boolean;
    socket: import('node:tls').TLSSocket | null;
    connect(options: import('node:tls').ConnectionOptions): void;
  }
}

declare module '@xmpp/middleware' {
  import type { Element } from '@xmpp/xml';
  import type { JID } from '@xmpp/jid';
  export interface Context {
    stanza: Element;
    entity: unknown;
    name: string;
    id: string;
    type: string;
    from: JID | null;
    to: JID | null;
    element?: Element;
  }
  export type Next = () => Promise<unknown>;
  export type Handler = (ctx: Context, next: Next) => unknown;
  export interface Middleware {
    use(fn: Handler): Handler;
    filter(fn: Handler): Handler;
  }
  export default function middleware(deps: { entity: unknown }): Middleware;
}

declare module '@xmpp/stream-features' {
  import type { Element } from '@xmpp/xml';
  import type { Context, Middleware, Next } from '@xmpp/middleware';
  export interface StreamFeatures {
    use(
      name: string,
      xmlns: string,
      handler: (ctx: Context, next: Next, feature: Element) => unknown,
    ): void;
  }
  export default function streamFeatures(deps: { middleware: Middleware }): StreamFeatures;
}

declare module '@xmpp/iq/caller.js' {
  import type { Element } from '@xmpp/xml';
  import type { Middleware } from '@xmpp/middleware';
  export interface IqCaller {
    request(stanza: Element, timeout?: number): Promise<Element>;
    get(element: Element, to?: string, timeout?: number): Promise<Element | undefined>;
    set(element: Element, to?: string, timeout?: number): Promise<Element | undefined>;
  }
  export default function iqCaller(deps: { middleware: Middleware; entity: unknown }): IqCaller;
}

declare module '@xmpp/iq/callee.js' {
  import type { Element } from '@xmpp/xml';
  import type { Context, Middleware } from '@xmpp/middleware';
  export type IqHandler = (
    ctx: Context & { element: Element },
    next: () => Promise<unknown>,
  ) => unknown;
  export interface IqCallee {
    get(xmlns: string, name: string, handler: IqHandler): void;
    set(xmlns: string, name: string, handler: IqHandler): void;
  }
  export default function iqCallee(deps: { middleware: Middleware; entity: unknown }): IqCallee;
}

declare module '@xmpp/resource-binding' {
  import type { IqCaller } from '@xmpp/iq/caller.js';
  import type { StreamFeatures } from '@xmpp/stream-features';
  export default function resourceBinding(
    deps: { iqCaller: IqCaller; streamFeatures: StreamFeatures },
    resource?: string,
  ): void;
}

declare module '@xmpp/component' {
  import type { Client } from '@xmpp/client-core';
  import type { IqCaller } from '@xmpp/iq/caller.js';
  import type { IqCallee } from '@xmpp/iq/callee.js';
  import type { Middleware } from '@xmpp/middleware';
  export interface ComponentEntity extends Client {
    reconnect: { stop(): void };
    middleware: Middleware;
    iqCaller: IqCaller;
    iqCallee: IqCallee;
  }
  export function component(options: {
    service: string;
    domain: string;
    password: string;
  }): ComponentEntity;
}

declare module '@xmpp/events' {
  export function procedure<T = void>(
    entity: unknown,
    stanza: import('@xmpp/xml').Element | null,
    handler: (element: import('@xmpp/xml').Element, done: (value?: T) => void) => unknown,
  ): Promise<T>;
}
