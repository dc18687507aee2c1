/**
 * What every new session of a transport gets before it goes online: the protocol obligations,
 * the in-band blob server, the agent card (components), agent protocol requests, inbound
 * routing, and (with -v -v) a stanza trace.
 */
import { serveCard, type Advertiser } from './advert.ts';
import type { AgentIqs } from './agent-iq.ts';
import type { MessageArchive } from './archive.ts';
import type { BlobStore } from './blobs.ts';
import { answerObligations, type Identity } from './citizenship.ts';
import { routeInbound, type InboundDeps } from './inbound.ts';
import type { InstallHandlers } from './session.ts';
import { traceStanzas } from './trace.ts';

/** Everything the handlers need from the transport. */
export interface SessionHandlerDeps extends InboundDeps {
  readonly identity: Identity;
  readonly advert: Advertiser;
  /** The agent protocol (urn:fluux:agent:0) requests we answer. */
  readonly agent: AgentIqs;
  /** An XEP-0114 component: no PEP, so we serve our agent card ourselves. */
  readonly component: boolean;
  readonly blobs: BlobStore;
  readonly archive: MessageArchive;
  readonly trace: boolean;
}

/** The install step passed to openClientSession / openComponentSession. */
export function sessionHandlers(deps: SessionHandlerDeps): InstallHandlers {
  return (parts) => {
    answerObligations(parts.iqCallee, deps.identity, () => deps.advert.info());
    if (deps.component) serveCard(parts.iqCallee, () => deps.advert.card());
    deps.blobs.answer(parts.iqCallee);
    deps.agent.install(parts.iqCallee, deps.self);
    // Archive results first: they are answers to our queries, never live messages.
    parts.middleware.use((ctx, next) => (deps.archive.take(ctx.stanza) ? undefined : next()));
    parts.middleware.use((ctx, next) => (routeInbound(ctx.stanza, deps) ? undefined : next()));
    if (deps.trace) {
      traceStanzas(parts.entity, (line) => {
        deps.log('debug', line);
      });
    }
  };
}
