/**
 * THE transport interface (design.md §3). Every feature talks to this and never to an SDK.
 * It speaks in our terms — addresses, workspaces, text, protocol payloads, presence, blobs,
 * durable state — so the same feature code runs on Matrix, XMPP and the in-memory fake.
 */
import type {
  AgentRequestHandler,
  AgentResponse,
  Attachment,
  ConfirmRequest,
  ConfirmationEvent,
  ReactionEvent,
} from './chat-types.ts';

export type {
  AgentRequest,
  AgentRequestHandler,
  AgentResponse,
  Attachment,
  ConfirmRequest,
  ConfirmationEvent,
  ReactionEvent,
  SkillDescription,
} from './chat-types.ts';

/** Which network a transport is on. */
export type Network = 'xmpp' | 'matrix' | 'fake';

/** A JSON value as it crosses the wire: no undefined, no functions, no class instances. */
export type JsonValue = null | boolean | number | string | JsonValue[] | JsonObject;

/** A JSON object. */
export interface JsonObject {
  [key: string]: JsonValue;
}

/** Where a message goes or came from: one peer directly, or everyone in a workspace. */
export type Target =
  | { readonly kind: 'direct'; readonly address: string }
  | { readonly kind: 'workspace'; readonly workspace: string };

/**
 * A protocol payload: one of our namespaced, versioned documents (specs/protocol.md).
 * `kind` is a dotted name such as `stream.chunk`; `version` a positive integer; `body` the
 * document itself, carried intact (unknown fields included).
 */
export interface Payload {
  readonly kind: string;
  readonly version: number;
  readonly body: JsonObject;
}

/** What one send carries. */
export type Outbound = OutboundText | { readonly type: 'payload'; readonly payload: Payload };

/** Human text to send. */
export interface OutboundText {
  readonly type: 'text';
  readonly text: string;
  /**
   * The id (a SendReceipt id) of a message we sent earlier to the same target whose text this
   * replaces: a Matrix `m.replace` edit, an XMPP correction (XEP-0308). Clients that cannot
   * show edits see a new message.
   */
  readonly replaces?: string;
  /** Accounts the text mentions, so their clients notify them (Matrix `m.mentions`). */
  readonly mentions?: readonly string[];
  /** A confirmation this message asks for (urn:fluux:agent:0#confirm on XMPP). */
  readonly confirm?: ConfirmRequest;
  /**
   * An id the sender chooses, so that the same message sent again (by a process restarted
   * after a crash) is one message: the XMPP stanza id and origin-id (XEP-0359), on which
   * receivers de-duplicate; the Matrix transaction id, on which the homeserver de-duplicates
   * per device (the repeated send gets the first one's event id back). Random when absent.
   */
  readonly id?: string;
}

/** A message that arrived: human text or a protocol payload. Never our own echo. */
export type InboundMessage = {
  /** Stable id; the same message delivered twice (after a reconnect) has the same id. */
  readonly id: string;
  /** The sender's address (in a workspace: the member address as the workspace shows it). */
  readonly from: string;
  /** Where it arrived: directly from `from`, or in a workspace. */
  readonly target: Target;
  /** Milliseconds since the epoch, the sender's or server's time when known. */
  readonly timestamp: number;
  /** True when it was sent while we were away and is delivered late (offline store, catch-up). */
  readonly delayed: boolean;
} & (
  | {
      readonly type: 'text';
      /** The text, with attachment links (XMPP OOB URLs) taken out. */
      readonly text: string;
      /** Accounts the sender mentioned explicitly (Matrix `m.mentions` and pills). */
      readonly mentions?: readonly string[];
      readonly attachments?: readonly Attachment[];
      /** Set when this message edits or corrects an earlier one: that message's id. */
      readonly replaces?: string;
      /** The confirmation the message asks for, when the sender attached one. */
      readonly confirm?: ConfirmRequest;
    }
  | { readonly type: 'payload'; readonly payload: Payload }
);

/** How present a peer is. `offline` also means "left the workspace". */
export type Availability = 'available' | 'away' | 'busy' | 'offline';

/** A peer's presence changed, directly or in a workspace. */
export interface PresenceEvent {
  readonly type: 'presence';
  readonly from: string;
  readonly workspace?: string;
  readonly availability: Availability;
  readonly status?: string;
}

/** The state of our own connection. */
export type ConnectionState = 'offline' | 'connecting' | 'online' | 'reconnecting' | 'closed';

/** Our connection changed state; `retryInMs` tells when the next attempt is due. */
export interface ConnectionEvent {
  readonly type: 'connection';
  readonly state: ConnectionState;
  readonly error?: Error;
  readonly retryInMs?: number;
}

/** Something from the network was malformed and dropped; reported so it can be logged. */
export interface RejectedEvent {
  readonly type: 'rejected';
  readonly from?: string;
  readonly reason: string;
}

/** Everything a transport reports to its listeners. */
export type TransportEvent =
  | InboundMessage
  | ReactionEvent
  | ConfirmationEvent
  | PresenceEvent
  | ConnectionEvent
  | RejectedEvent;

/** A listener for transport events. It must not throw; errors it throws are reported and dropped. */
export type TransportListener = (event: TransportEvent) => void;

/** Options every network wait accepts. */
export interface WaitOptions {
  readonly signal?: AbortSignal;
  readonly timeoutMs?: number;
}

/** Options of a join. */
export interface JoinOptions extends WaitOptions {
  /** The nickname to use where the workspace has nicknames (an XMPP MUC); the account's name otherwise. */
  readonly nick?: string;
}

/** The receipt of a send: the id peers will see. */
export interface SendReceipt {
  readonly id: string;
}

/** A member of a workspace as presence shows it. */
export interface Member {
  readonly address: string;
  /** The member's own account address, when the workspace reveals it. */
  readonly account?: string;
  readonly availability: Availability;
  readonly status?: string;
}

/** A joined workspace. */
export interface WorkspaceInfo {
  readonly workspace: string;
  /** Our own address inside it. */
  readonly self: string;
  /** True when joining created it. */
  readonly created: boolean;
  readonly members: readonly Member[];
}

/** A reference to stored bytes that any peer with access can fetch and verify. */
export interface BlobRef {
  readonly uri: string;
  readonly size: number;
  /**
   * Lower-case hex sha256 of the bytes, checked on download. Empty for Matrix media another
   * client sent (no plaintext hash in the event; `extra.unhashed`), which is checked by its size
   * and the EncryptedFile's ciphertext hash instead.
   */
  readonly sha256: string;
  readonly contentType?: string;
  readonly name?: string;
  /** Network-specific extras (e.g. Matrix EncryptedFile key material), carried opaquely. */
  readonly extra?: JsonObject;
}

/** Metadata for an upload. */
export interface BlobMeta {
  readonly contentType?: string;
  readonly name?: string;
}

/** One entry of durable workspace state. */
export interface StateEntry {
  readonly type: string;
  readonly key: string;
  readonly content: JsonObject;
  readonly sender?: string;
}

/** Which page of past messages to read. */
export interface HistoryQuery {
  /** The `next` cursor of the previous page; absent for the newest page. */
  readonly before?: string;
  /** At most this many messages (the network may return fewer); default 100. */
  readonly limit?: number;
}

/** One page of past messages, read backwards from now. */
export interface HistoryPage {
  /**
   * Newest first. Ids equal those live delivery used, so a reader can stitch history and live
   * traffic together. Our own messages are included (their `from` is our own address there);
   * every message is marked `delayed`.
   */
  readonly messages: readonly InboundMessage[];
  /** The cursor for the next (older) page; absent when the beginning has been reached. */
  readonly next?: string;
  /** Messages on this page that could not be read (Matrix: no key to decrypt them) and were left out. */
  readonly unreadable: number;
}

/** How a new workspace is set up. */
export interface WorkspaceSettings {
  /**
   * Public: listed in the server's directory (Matrix room directory, XMPP disco#items) and
   * open to anyone who finds it. Private (the default): only invited accounts may join.
   */
  readonly public?: boolean;
  /** A human title; the workspace's name when absent. */
  readonly title?: string;
}

/**
 * What an account may do in a workspace. `owner`: administers it (invites, grants). `publisher`:
 * may publish agent state (agent cards and heartbeats, specs/protocol.md §6). `member`: takes part
 * but publishes no agent state; readers ignore agent state from members.
 */
export type WorkspaceRole = 'owner' | 'publisher' | 'member';

/** One account's role in a workspace. */
export interface RoleEntry {
  /** The account (Matrix user id, XMPP bare JID), never a room nick. */
  readonly account: string;
  readonly role: WorkspaceRole;
}

/**
 * How this account describes itself to the whole network, beyond workspaces: on XMPP the
 * disco#info identity and features (XEP-0030, with entity caps XEP-0115), a PEP item holding
 * the card, and a summary in presence; Matrix has no per-account equivalent and keeps only the
 * per-workspace state.
 */
export interface Advertisement {
  /** Human-readable name. */
  readonly name: string;
  /** A long-running agent (`bot`) or a person's command line (`console`). */
  readonly kind: 'bot' | 'console';
  /** Feature strings (namespaced URIs) offered, beyond the transport's own. */
  readonly features: readonly string[];
  /** The agent card document (specs/protocol.md §6.1). */
  readonly card: JsonObject;
}

/** What to search a public directory for. */
export interface DirectoryQuery {
  /** Another server or service to search than our own (a Matrix server name, an XMPP domain). */
  readonly server?: string;
  /** Only entries whose address, name or description contains this (case-insensitive). */
  readonly text?: string;
}

/** A workspace or an agent found in a public directory. */
export interface DirectoryEntry {
  readonly kind: 'workspace' | 'agent';
  /** What to join or address: a room alias or id, a MUC or agent JID. */
  readonly address: string;
  readonly name?: string;
  readonly description?: string;
  /** Joined members, when the directory says. */
  readonly members?: number;
  /**
   * True when the entry marks itself as mx-agent's (Matrix room type, XMPP disco feature),
   * false when it shows it is not, absent when the directory cannot tell (an XMPP room).
   */
  readonly mxAgent?: boolean;
  /** An agent's advertised features (XMPP disco#info), when known. */
  readonly features?: readonly string[];
}

/** The one interface every feature uses to reach peers. */
export interface Transport {
  readonly network: Network;
  /**
   * What joining a workspace means. `session`: presence in it lasts while this connection is
   * in it (an XMPP MUC), so joining only to send and leaving after is the polite thing.
   * `durable`: membership belongs to the account and outlives connections (a Matrix room);
   * leaving is a deliberate act, never tidiness.
   */
  readonly membership: 'session' | 'durable';
  /** Our own address (set once connected). */
  readonly address: string;
  readonly state: ConnectionState;

  /** Connect and authenticate; rejects with AuthError / NetworkError. Reconnects on its own afterwards. */
  connect(options?: WaitOptions): Promise<void>;
  /** Flush what can be flushed, leave, and disconnect. Idempotent. */
  close(): Promise<void>;
  /** Listen to events; returns the function that stops listening. */
  subscribe(listener: TransportListener): () => void;

  /** Parse a user-typed address or workspace into a target, or throw UsageError naming the form. */
  resolveTarget(input: string, options?: WaitOptions): Promise<Target>;
  /**
   * Send text or a payload. While disconnected the send is queued and delivered after reconnect;
   * if that does not happen within the timeout it rejects with NetworkError.
   */
  send(target: Target, content: Outbound, options?: WaitOptions): Promise<SendReceipt>;

  /** Join (creating if allowed and absent) a workspace. History from before the join is not replayed as new input. */
  joinWorkspace(workspace: string, options?: JoinOptions): Promise<WorkspaceInfo>;
  /**
   * Create a workspace with these settings and join it; we become its owner. Rejects with
   * RefusedError (detail.condition `exists`) when it exists already. (`joinWorkspace` also
   * creates a missing workspace, with the network's defaults, for commands that just need a place.)
   */
  createWorkspace(
    workspace: string,
    settings?: WorkspaceSettings,
    options?: WaitOptions,
  ): Promise<WorkspaceInfo>;
  /**
   * Invite an account into a joined workspace, so it may join a private one (Matrix invite; XMPP
   * mediated invitation, XEP-0045 §7.8.2). An invitation from the owner also makes the account a
   * publisher: the owner vouches for the agents it invites (Matrix power level; XMPP member
   * affiliation, which a private room needs anyway). Anyone else's invitation only lets it in,
   * where the network allows that. RefusedError when we may not invite.
   */
  invite(workspace: string, account: string, options?: WaitOptions): Promise<void>;
  /**
   * Set an account's role in a joined workspace we own: `publisher` lets it publish agent state,
   * `member` takes that away (Matrix power levels; XMPP affiliations). RefusedError when we may not.
   */
  setRole(
    workspace: string,
    account: string,
    role: Exclude<WorkspaceRole, 'owner'>,
    options?: WaitOptions,
  ): Promise<void>;
  /**
   * The accounts with a role in a joined workspace as the server records it: owners and
   * publishers always, members where the network lists them. Agent state from an account not
   * listed as owner or publisher must be ignored.
   */
  roles(workspace: string, options?: WaitOptions): Promise<readonly RoleEntry[]>;
  /** Publish (replace) how this account describes itself network-wide; see Advertisement. */
  advertise(advertisement: Advertisement, options?: WaitOptions): Promise<void>;
  /** Search the public directory of our server (or query.server) for workspaces and agents. */
  searchDirectory(
    query?: DirectoryQuery,
    options?: WaitOptions,
  ): Promise<readonly DirectoryEntry[]>;
  /** Leave a workspace. */
  leaveWorkspace(workspace: string, options?: WaitOptions): Promise<void>;
  /** The workspaces joined now. */
  joinedWorkspaces(): readonly string[];
  /** Members of a joined workspace as last seen. */
  members(workspace: string): readonly Member[];
  /** Set our own presence. */
  setPresence(availability: Availability, status?: string, options?: WaitOptions): Promise<void>;
  /**
   * Say we are composing (true) or stopped (false) in a conversation: XEP-0085 chat states
   * (with no-store hints), Matrix `m.typing`. Best effort; sending a message also ends it.
   */
  setTyping(target: Target, typing: boolean, options?: WaitOptions): Promise<void>;
  /** React to a message (Matrix `m.reaction`, XEP-0444) with one emoji. */
  react(target: Target, messageId: string, emoji: string, options?: WaitOptions): Promise<void>;

  /**
   * Answer agent protocol requests from peers with `handler` (XMPP IQs `urn:fluux:agent:0#skills`
   * and `#execute`, advertised in disco#info; the same operations as protocol payloads on
   * Matrix); undefined stops answering (requests then get `service-unavailable`). Only the
   * process that hosts the connection can answer.
   */
  answerAgentRequests(handler: AgentRequestHandler | undefined): void;
  /** Send an agent protocol request to a peer and wait for its answer. */
  askAgent(
    to: string,
    request:
      | { readonly kind: 'skills' }
      | {
          readonly kind: 'execute';
          readonly skill: string;
          readonly params: Readonly<Record<string, string>>;
        },
    options?: WaitOptions,
  ): Promise<AgentResponse>;

  /** Store bytes where peers can fetch them. */
  putBlob(data: Uint8Array, meta?: BlobMeta, options?: WaitOptions): Promise<BlobRef>;
  /** Fetch and verify (size and sha256) bytes stored by any peer. */
  getBlob(ref: BlobRef, options?: WaitOptions): Promise<Uint8Array>;

  /** Write durable state in a workspace: one JSON document per (type, key); replaces the previous. */
  putState(
    workspace: string,
    type: string,
    key: string,
    content: JsonObject,
    options?: WaitOptions,
  ): Promise<void>;
  /** Read one state document, or undefined when absent. */
  getState(
    workspace: string,
    type: string,
    key: string,
    options?: WaitOptions,
  ): Promise<JsonObject | undefined>;
  /** Read all state documents of one type in a workspace. */
  listState(workspace: string, type: string, options?: WaitOptions): Promise<readonly StateEntry[]>;

  /**
   * Read past messages of a joined workspace or of the direct conversation with one peer,
   * newest first, one page at a time (Matrix `/messages`, XMPP MAM). Malformed entries are left
   * out, as live delivery leaves them out. What the server keeps, and for how long, is its own
   * policy: history may begin later than the conversation did.
   */
  history(target: Target, query?: HistoryQuery, options?: WaitOptions): Promise<HistoryPage>;
}

/** Payload kinds are dotted lower-case names: `stream.chunk`, `task.request`. */
export const PAYLOAD_KIND = /^[a-z][a-z0-9_-]*(\.[a-z][a-z0-9_-]*)*$/;

/** State types follow the same rule as payload kinds. */
export const STATE_TYPE = PAYLOAD_KIND;
