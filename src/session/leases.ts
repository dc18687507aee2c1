/**
 * Workspaces shared by the clients of one host. Each client holds a lease on the workspaces it
 * joined; the host's transport joins on the first lease and leaves when the last one is let go.
 * So `send` joining a room for one message and leaving again never pulls the room away from a
 * `listen` in it, and a client that disconnects gives its leases back. Joins and leaves of one
 * workspace run one at a time, in order.
 */
import type {
  Transport,
  WaitOptions,
  WorkspaceInfo,
  WorkspaceSettings,
} from '../transport/transport.ts';

/** Who holds a lease: a client connection's id. */
export type Holder = number;

/** The lease table of one host. */
export class WorkspaceLeases {
  readonly #transport: Transport;
  readonly #holders = new Map<string, Set<Holder>>();
  /** Our own address in each joined workspace, from the join that entered it. */
  readonly #self = new Map<string, string>();
  readonly #queues = new Map<string, Promise<unknown>>();

  constructor(transport: Transport) {
    this.#transport = transport;
  }

  /** Join for `holder`: the transport joins only if it is not in the workspace already. */
  acquire(workspace: string, holder: Holder, options: WaitOptions): Promise<WorkspaceInfo> {
    return this.#serial(workspace, async () => {
      let info: WorkspaceInfo;
      if (this.#transport.joinedWorkspaces().includes(workspace)) {
        info = {
          workspace,
          self: this.#self.get(workspace) ?? this.#transport.address,
          created: false,
          members: this.#transport.members(workspace),
        };
      } else {
        info = await this.#transport.joinWorkspace(workspace, options);
        this.#self.set(workspace, info.self);
      }
      // The client went away while the join ran: it holds nothing, and nobody may need the room.
      if (options.signal?.aborted === true) await this.#leaveIfUnheld(workspace, {});
      else this.#holdersOf(workspace).add(holder);
      return info;
    });
  }

  /** Create a workspace for `holder`, who then holds it as if it had joined. */
  create(
    workspace: string,
    settings: WorkspaceSettings,
    holder: Holder,
    options: WaitOptions,
  ): Promise<WorkspaceInfo> {
    return this.#serial(workspace, async () => {
      const info = await this.#transport.createWorkspace(workspace, settings, options);
      this.#self.set(workspace, info.self);
      if (options.signal?.aborted === true) await this.#leaveIfUnheld(workspace, {});
      else this.#holdersOf(workspace).add(holder);
      return info;
    });
  }

  /** Let go of `holder`'s lease; the transport leaves when nobody holds one any more. */
  release(workspace: string, holder: Holder, options: WaitOptions = {}): Promise<void> {
    return this.#serial(workspace, async () => {
      const holders = this.#holders.get(workspace);
      if (holders?.delete(holder) !== true) return;
      await this.#leaveIfUnheld(workspace, options);
    });
  }

  /**
   * Release every lease of a client that went away. Where membership is durable (Matrix), a
   * command ending is no reason for the account to leave a room: only an explicit release
   * (the client's own leaveWorkspace) leaves.
   */
  async releaseAll(holder: Holder): Promise<void> {
    await Promise.all(
      this.heldBy(holder).map((workspace) =>
        this.#transport.membership === 'durable'
          ? this.#serial(workspace, () => {
              const holders = this.#holders.get(workspace);
              holders?.delete(holder);
              if (holders?.size === 0) this.#holders.delete(workspace);
              return Promise.resolve();
            })
          : this.release(workspace, holder),
      ),
    );
  }

  /** The workspaces `holder` holds. */
  heldBy(holder: Holder): string[] {
    return [...this.#holders].flatMap(([workspace, set]) => (set.has(holder) ? [workspace] : []));
  }

  /** True when `holder` holds `workspace`. */
  holds(workspace: string, holder: Holder): boolean {
    return this.#holders.get(workspace)?.has(holder) === true;
  }

  /** Who holds `workspace`. */
  holders(workspace: string): ReadonlySet<Holder> {
    return this.#holders.get(workspace) ?? new Set();
  }

  #holdersOf(workspace: string): Set<Holder> {
    let set = this.#holders.get(workspace);
    if (!set) {
      set = new Set();
      this.#holders.set(workspace, set);
    }
    return set;
  }

  async #leaveIfUnheld(workspace: string, options: WaitOptions): Promise<void> {
    if ((this.#holders.get(workspace)?.size ?? 0) > 0) return;
    this.#holders.delete(workspace);
    this.#self.delete(workspace);
    await this.#transport.leaveWorkspace(workspace, options);
  }

  #serial<T>(workspace: string, work: () => Promise<T>): Promise<T> {
    const previous = this.#queues.get(workspace) ?? Promise.resolve();
    const next = previous.then(work, work);
    const settled = next.catch(() => undefined);
    this.#queues.set(workspace, settled);
    void settled.then(() => {
      if (this.#queues.get(workspace) === settled) this.#queues.delete(workspace);
    });
    return next;
  }
}
