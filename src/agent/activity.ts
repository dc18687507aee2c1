/**
 * What the serve agent is doing, as events: what the dashboard draws and structured logs
 * print. The chat agent and the composition root report; nothing here knows who listens.
 */
import type { ConnectionState } from '../transport/transport.ts';

/** One thing that happened. `at` is milliseconds since the epoch. */
export type AgentActivity =
  | {
      readonly type: 'connection';
      readonly account: string;
      readonly state: ConnectionState;
      readonly at: number;
    }
  | {
      readonly type: 'message';
      readonly conversation: string;
      readonly from: string;
      readonly text: string;
      readonly at: number;
    }
  | {
      readonly type: 'reply';
      readonly conversation: string;
      readonly text: string;
      readonly tokens: number;
      readonly ms: number;
      readonly at: number;
    }
  | { readonly type: 'refused'; readonly conversation: string; readonly at: number }
  | {
      readonly type: 'command';
      readonly conversation: string;
      readonly command: string;
      readonly at: number;
    }
  | {
      readonly type: 'log';
      readonly level: 'info' | 'warn' | 'debug';
      readonly message: string;
      readonly at: number;
    };

/** Tokens used today, for the dashboard's spend line. */
export interface SpendSnapshot {
  readonly total: number;
  /** 0 when there is no cap. */
  readonly cap: number;
}

/** A fan-out of activity to listeners that must not throw. */
export class ActivityFeed {
  readonly #listeners = new Set<(activity: AgentActivity) => void>();

  /** Listen; returns the function that stops listening. */
  subscribe(listener: (activity: AgentActivity) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Report one activity. */
  report(activity: AgentActivity): void {
    for (const listener of this.#listeners) {
      try {
        listener(activity);
      } catch {
        // A listener's failure must not stop the agent.
      }
    }
  }
}
