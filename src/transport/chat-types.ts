/**
 * The parts of the transport interface (transport.ts) for chat agents: confirmations,
 * attachments, reactions, and the agent protocol's requests (urn:fluux:agent:0). transport.ts
 * re-exports them, so features import everything from there.
 */
import type { BlobRef, JsonObject, Target } from './transport.ts';

/** A request for a person's yes or no before an action (urn:fluux:agent:0#confirm). */
export interface ConfirmRequest {
  readonly id: string;
  /** What would be done, e.g. `send-message`. */
  readonly action: string;
  /** Milliseconds since the epoch after which the answer is no. */
  readonly expires: number;
  readonly risk?: 'low' | 'medium' | 'high';
}

/** A file attached to an inbound message. */
export interface Attachment {
  /** Where to fetch it with `getBlob` (Matrix media, encrypted included). */
  readonly ref?: BlobRef;
  /** Or a plain link to download (XMPP OOB, XEP-0066, usually an XEP-0363 upload). */
  readonly url?: string;
  readonly name?: string;
  readonly contentType?: string;
  /** Bytes, when the sender said. */
  readonly size?: number;
}

/** A peer reacted to a message (Matrix `m.reaction`, XMPP XEP-0444). */
export interface ReactionEvent {
  readonly type: 'reaction';
  readonly id: string;
  readonly from: string;
  readonly target: Target;
  /** The id of the message reacted to, as its receipt or inbound id gave it. */
  readonly reactsTo: string;
  /** The emojis the sender now has on that message (XEP-0444 replaces; Matrix adds one). */
  readonly emojis: readonly string[];
  /**
   * True when the server could have made it up: a Matrix reaction travels in plaintext even in
   * an encrypted room (clients do not encrypt `m.reaction`). Never take such a one as consent.
   */
  readonly forgeable?: boolean;
  readonly timestamp: number;
}

/** A peer answered a confirmation request structurally (XMPP `<confirmed>` of urn:fluux:agent:0#confirm). */
export interface ConfirmationEvent {
  readonly type: 'confirmation';
  readonly from: string;
  readonly target: Target;
  /** The ConfirmRequest id answered. */
  readonly confirm: string;
  readonly decision: 'approve' | 'deny';
}

/** A skill as the agent protocol describes it (urn:fluux:agent:0#skills). */
export interface SkillDescription {
  readonly name: string;
  readonly description: string;
  /** JSON Schema of the input. */
  readonly inputSchema: JsonObject;
  /** True when running it changes something outside; it then asks for a confirmation. */
  readonly destructive: boolean;
}

/** A request of the agent protocol from a peer: list skills, or run one. */
export type AgentRequest =
  | { readonly kind: 'skills'; readonly from: string }
  | {
      readonly kind: 'execute';
      readonly from: string;
      readonly skill: string;
      /** `<param name=…>value</param>`: every value arrives as a string. */
      readonly params: Readonly<Record<string, string>>;
    };

/** The answer to an AgentRequest. */
export type AgentResponse =
  | { readonly kind: 'skills'; readonly skills: readonly SkillDescription[] }
  | { readonly kind: 'result'; readonly text: string }
  | {
      readonly kind: 'error';
      /** An XMPP stanza error condition (RFC 6120 §8.3.3). */
      readonly condition:
        | 'bad-request'
        | 'forbidden'
        | 'item-not-found'
        | 'not-authorized'
        | 'internal-server-error'
        | 'service-unavailable';
      readonly text: string;
    };

/** Answers agent protocol requests; it must not throw (errors are answered as `internal-server-error`). */
export type AgentRequestHandler = (
  request: AgentRequest,
  signal: AbortSignal,
) => Promise<AgentResponse>;
