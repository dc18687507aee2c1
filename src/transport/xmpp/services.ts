/**
 * What the server offers, found with XEP-0030 service discovery and cached per stream:
 * MUC services and an HTTP upload service (XEP-0363).
 */
import { xml, type Element } from '@xmpp/xml';
import { NS_DISCO_INFO, NS_DISCO_ITEMS } from './citizenship.ts';
import { formValues } from './data-forms.ts';
import type { XmppSession } from './session.ts';

const NS_UPLOAD = 'urn:xmpp:http:upload:0';
const QUERY_MS = 5000;

/** The services of one server. */
export interface Directory {
  readonly muc: readonly string[];
  readonly upload: { readonly jid: string; readonly maxSize: number | undefined } | undefined;
}

/** Lazy, cached service discovery. */
export class Services {
  readonly #session: () => XmppSession;
  readonly #domain: string;
  #directory: Promise<Directory> | undefined;

  constructor(session: () => XmppSession, serverDomain: string) {
    this.#session = session;
    this.#domain = serverDomain;
  }

  /** Drop the cache (a new stream may talk to a reconfigured server). */
  forget(): void {
    this.#directory = undefined;
  }

  directory(): Promise<Directory> {
    this.#directory ??= this.#discover().catch((error: unknown) => {
      this.#directory = undefined;
      throw error;
    });
    return this.#directory;
  }

  /** disco#info of one entity, or undefined when it does not answer. */
  async info(jid: string): Promise<Element | undefined> {
    try {
      return await this.#session().iqCaller.get(
        xml('query', { xmlns: NS_DISCO_INFO }),
        jid,
        QUERY_MS,
      );
    } catch {
      return undefined;
    }
  }

  /** True when `jid` is a MUC room (XEP-0045 §6.4: identity category "conference"). */
  async isRoom(jid: string): Promise<boolean> {
    const domain = jid.split('@')[1] ?? '';
    if ((await this.directory()).muc.includes(domain)) return true;
    const info = await this.info(jid);
    return info?.getChildren('identity').some((i) => i.attrs.category === 'conference') ?? false;
  }

  async #discover(): Promise<Directory> {
    const items = await this.#session()
      .iqCaller.get(xml('query', { xmlns: NS_DISCO_ITEMS }), this.#domain, QUERY_MS)
      .catch(() => undefined);
    const jids = [
      this.#domain,
      ...(items?.getChildren('item').flatMap((i) => (i.attrs.jid ? [i.attrs.jid] : [])) ?? []),
    ];
    const infos = await Promise.all(jids.map(async (jid) => ({ jid, info: await this.info(jid) })));
    const has = (info: Element | undefined, feature: string): boolean =>
      info?.getChildren('feature').some((f) => f.attrs.var === feature) ?? false;
    const identity = (info: Element | undefined, category: string, type: string): boolean =>
      info
        ?.getChildren('identity')
        .some((i) => i.attrs.category === category && i.attrs.type === type) ?? false;
    const muc = infos
      .filter(({ info }) => identity(info, 'conference', 'text'))
      .map(({ jid }) => jid);
    const upload = infos.find(({ info }) => has(info, NS_UPLOAD));
    return {
      muc,
      upload: upload && { jid: upload.jid, maxSize: maxFileSize(upload.info) },
    };
  }
}

/** XEP-0363 §4: the max-file-size field of the service's XEP-0128 extended info form. */
function maxFileSize(info: Element | undefined): number | undefined {
  const value = formValues(info, NS_UPLOAD).get('max-file-size');
  const size = value ? Number(value) : NaN;
  return Number.isFinite(size) && size > 0 ? size : undefined;
}
