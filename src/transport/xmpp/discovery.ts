/**
 * Being found and finding others, network-wide: our advertisement (advert.ts) and the search of
 * a server's public directory (directory.ts), behind the argument checks and deadlines.
 */
import { withDeadline } from '../deadline.ts';
import type * as T from '../transport.ts';
import { parseServiceAddress } from './address.ts';
import { Advertiser } from './advert.ts';
import { searchDirectory } from './directory.ts';
import type { XmppSession } from './session.ts';

/** What discovery needs from the transport. */
export interface DiscoveryDeps {
  readonly session: () => XmppSession;
  /** Our server's domain: the directory searched by default. */
  readonly server: string;
  /** An XEP-0114 component: no PEP, so it serves its card itself. */
  readonly component: boolean;
  readonly softwareName: string;
  readonly log: (message: string) => void;
}

/** Advertisement and directory search for one transport. */
export class Discovery {
  readonly advert: Advertiser;
  readonly #deps: DiscoveryDeps;

  constructor(deps: DiscoveryDeps) {
    this.#deps = deps;
    this.advert = new Advertiser(deps.softwareName);
  }

  /** Publish the card (clients) and take the new description; the caller re-sends presence. */
  async advertise(advertisement: T.Advertisement, options?: T.WaitOptions): Promise<void> {
    const session = this.#deps.session();
    const pep = this.#deps.component ? undefined : session;
    return withDeadline('publishing our advertisement', options, () =>
      this.advert.advertise(advertisement, pep),
    );
  }

  async search(query: T.DirectoryQuery, options?: T.WaitOptions): Promise<T.DirectoryEntry[]> {
    const root = query.server === undefined ? this.#deps.server : parseServiceAddress(query.server);
    const session = this.#deps.session();
    return withDeadline(`the directory of ${root}`, options, (signal) =>
      searchDirectory({
        session,
        root,
        ...(query.text ? { text: query.text } : {}),
        signal,
        log: this.#deps.log,
      }),
    );
  }
}
