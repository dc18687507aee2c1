/**
 * Blobs on XMPP. Tiny ones travel inline as `data:` URIs; otherwise XEP-0363 HTTP upload where
 * the server offers it; otherwise in-band: we keep the bytes and peers fetch them from us in
 * chunks with `<blob xmlns='urn:mx-agent:0'/>` IQs (like XEP-0231, but chunked for size).
 * Every download is checked against the reference's size and sha256.
 */
import type { IqCallee } from '@xmpp/iq/callee.js';
import { xml } from '@xmpp/xml';
import { NetworkError, UsageError, quote } from '../../errors.ts';
import { sha256Hex } from '../payload.ts';
import type { BlobMeta, BlobRef } from '../transport.ts';
import { NS_MX } from './codec.ts';
import type { Services } from './services.ts';
import type { XmppSession } from './session.ts';

const NS_UPLOAD = 'urn:xmpp:http:upload:0';
const INLINE_MAX = 1024;
const CHUNK = 48 * 1024;
/** Bytes we keep for in-band fetching; the oldest blobs are dropped past this. */
const LOCAL_LIMIT = 256 * 1024 * 1024;
const IN_BAND = /^xmpp:([^?]+)\?x-mx-agent-blob;sha256=([0-9a-f]{64})$/;

/** Upload, serve and download blobs for one transport. */
export class BlobStore {
  readonly #session: () => XmppSession;
  readonly #services: Services;
  readonly #self: () => string;
  readonly #local = new Map<string, Uint8Array>();
  #localBytes = 0;

  constructor(session: () => XmppSession, services: Services, self: () => string) {
    this.#session = session;
    this.#services = services;
    this.#self = self;
  }

  clear(): void {
    this.#local.clear();
    this.#localBytes = 0;
  }

  /** Serve in-band chunks of the blobs we hold. */
  answer(callee: IqCallee): void {
    callee.get(NS_MX, 'blob', (ctx) => {
      const { sha256 = '', offset = '0' } = ctx.element.attrs;
      const data = this.#local.get(sha256);
      const start = Number(offset);
      if (!data || !Number.isInteger(start) || start < 0 || start > data.byteLength) {
        return xml(
          'error',
          { type: 'cancel' },
          xml('item-not-found', { xmlns: 'urn:ietf:params:xml:ns:xmpp-stanzas' }),
        );
      }
      const chunk = data.subarray(start, start + CHUNK);
      return xml(
        'blob',
        { xmlns: NS_MX, sha256, offset: String(start) },
        Buffer.from(chunk).toString('base64'),
      );
    });
  }

  async put(data: Uint8Array, meta: BlobMeta, signal: AbortSignal): Promise<BlobRef> {
    const base = { size: data.byteLength, sha256: sha256Hex(data), ...meta };
    if (data.byteLength <= INLINE_MAX) {
      return {
        ...base,
        uri: `data:${meta.contentType ?? 'application/octet-stream'};base64,${Buffer.from(data).toString('base64')}`,
      };
    }
    const { upload } = await this.#services.directory();
    if (upload && (upload.maxSize === undefined || data.byteLength <= upload.maxSize)) {
      return { ...base, uri: await this.#httpUpload(upload.jid, data, meta, signal) };
    }
    this.#keep(base.sha256, data);
    return { ...base, uri: `xmpp:${this.#self()}?x-mx-agent-blob;sha256=${base.sha256}` };
  }

  async get(ref: BlobRef, signal: AbortSignal): Promise<Uint8Array> {
    const data = await this.#fetch(ref, signal);
    const actual = sha256Hex(data);
    if (data.byteLength !== ref.size || actual !== ref.sha256) {
      throw new NetworkError(
        `blob ${quote(ref.uri)} failed its integrity check: expected ${String(ref.size)} bytes with sha256 ${ref.sha256}, got ${String(data.byteLength)} bytes with sha256 ${actual}`,
      );
    }
    return data;
  }

  async #fetch(ref: BlobRef, signal: AbortSignal): Promise<Uint8Array> {
    if (ref.uri.startsWith('data:')) {
      return new Uint8Array(Buffer.from(ref.uri.slice(ref.uri.indexOf(',') + 1), 'base64'));
    }
    if (/^https?:\/\//.test(ref.uri)) {
      // A peer chose this URL: plain GET, no credentials, and never more than the declared size.
      const response = await fetch(ref.uri, { signal, redirect: 'error', credentials: 'omit' });
      if (!response.ok)
        throw new NetworkError(`blob ${quote(ref.uri)}: HTTP ${String(response.status)}`, {
          detail: { status: response.status },
        });
      const bytes = new Uint8Array(await response.arrayBuffer());
      return bytes.byteLength > ref.size ? bytes.subarray(0, ref.size + 1) : bytes;
    }
    const inBand = IN_BAND.exec(ref.uri);
    if (!inBand)
      throw new UsageError(
        `expected a blob URI (data:, https:, or xmpp:…?x-mx-agent-blob), got ${quote(ref.uri)}`,
      );
    const [, owner = '', sha256 = ''] = inBand;
    const parts: Buffer[] = [];
    for (let offset = 0; offset < ref.size;) {
      signal.throwIfAborted();
      const answer = await this.#session()
        .iqCaller.get(xml('blob', { xmlns: NS_MX, sha256, offset: String(offset) }), owner, 30_000)
        .catch((error: unknown) => {
          throw new NetworkError(
            `blob ${quote(ref.uri)} not found at its owner ${owner}: ${(error as Error).message}`,
            { cause: error },
          );
        });
      const chunk = Buffer.from(answer?.text() ?? '', 'base64');
      if (chunk.byteLength === 0) break;
      parts.push(chunk);
      offset += chunk.byteLength;
    }
    return new Uint8Array(Buffer.concat(parts));
  }

  /** XEP-0363 §5: request a slot, PUT the bytes, share the GET URL. */
  async #httpUpload(
    service: string,
    data: Uint8Array,
    meta: BlobMeta,
    signal: AbortSignal,
  ): Promise<string> {
    const request = xml('request', {
      xmlns: NS_UPLOAD,
      filename: (meta.name ?? 'blob.bin').replace(/[/\\]/g, '_'),
      size: String(data.byteLength),
      'content-type': meta.contentType ?? 'application/octet-stream',
    });
    const reply = await this.#session().iqCaller.request(
      xml('iq', { type: 'get', to: service }, request),
      30_000,
    );
    const slot = reply.getChild('slot', NS_UPLOAD);
    const put = slot?.getChild('put');
    const get = slot?.getChild('get')?.attrs.url;
    if (!put?.attrs.url || !get)
      throw new NetworkError(`the upload service ${service} returned no usable slot`);
    // §5.2: only these headers may be passed on; anything else could be an injection.
    const headers: Record<string, string> = {
      'content-type': meta.contentType ?? 'application/octet-stream',
    };
    for (const header of put.getChildren('header')) {
      const name = header.attrs.name?.toLowerCase() ?? '';
      if (['authorization', 'cookie', 'expires'].includes(name))
        headers[name] = header.text().replace(/[\r\n]/g, '');
    }
    const response = await fetch(put.attrs.url, { method: 'PUT', body: data, headers, signal });
    if (!response.ok)
      throw new NetworkError(`upload to ${service} failed: HTTP ${String(response.status)}`, {
        detail: { status: response.status },
      });
    return get;
  }

  #keep(sha256: string, data: Uint8Array): void {
    if (this.#local.has(sha256)) return;
    this.#local.set(sha256, Uint8Array.from(data));
    this.#localBytes += data.byteLength;
    for (const [key, value] of this.#local) {
      if (this.#localBytes <= LOCAL_LIMIT) break;
      this.#local.delete(key);
      this.#localBytes -= value.byteLength;
    }
  }
}
