/**
 * The `url_fetch` skill's fetch, safe to hand to a model that any allowed person can prompt:
 * http and https only; a host that is, or resolves to, a loopback, private, link-local (cloud
 * metadata at 169.254.169.254), shared, multicast or otherwise reserved address is refused
 * unless the owner allows private addresses; the check is made on the very addresses the
 * connection then uses (our own `lookup`), so DNS cannot answer differently in between; every
 * redirect is checked again; the body is capped in size and the whole fetch in time. (Fluux
 * Agent's url_fetch has no such guard.)
 */
import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { BlockList, isIP, type LookupFunction } from 'node:net';
import { RefusedError, NetworkError, UsageError, quote } from '../errors.ts';

/** Limits of one fetch. */
export interface FetchLimits {
  readonly maxBytes?: number;
  readonly timeoutMs?: number;
  readonly maxRedirects?: number;
  /** Let the agent reach addresses of its own network (loopback, private, link-local). */
  readonly allowPrivate?: boolean;
  /** Or only these of them (the owner's allowlist): true lets `address` through. */
  readonly allowAddress?: (address: string) => boolean;
  readonly signal?: AbortSignal;
}

/** What came back. */
export interface Fetched {
  readonly url: string;
  readonly status: number;
  readonly contentType?: string;
  readonly body: Buffer;
  /** The body was longer than `maxBytes` and was cut there. */
  readonly truncated: boolean;
}

const RANGES: readonly (readonly [string, number, 'ipv4' | 'ipv6', string])[] = [
  ['0.0.0.0', 8, 'ipv4', 'a "this network" address'],
  ['10.0.0.0', 8, 'ipv4', 'a private address'],
  ['100.64.0.0', 10, 'ipv4', 'a shared (carrier-grade NAT) address'],
  ['127.0.0.0', 8, 'ipv4', 'a loopback address'],
  ['169.254.0.0', 16, 'ipv4', 'a link-local address (where cloud metadata services live)'],
  ['172.16.0.0', 12, 'ipv4', 'a private address'],
  ['192.0.0.0', 24, 'ipv4', 'a reserved address'],
  ['192.168.0.0', 16, 'ipv4', 'a private address'],
  ['198.18.0.0', 15, 'ipv4', 'a benchmarking address'],
  ['224.0.0.0', 4, 'ipv4', 'a multicast address'],
  ['240.0.0.0', 4, 'ipv4', 'a reserved address'],
  ['::', 128, 'ipv6', 'the unspecified address'],
  ['::1', 128, 'ipv6', 'a loopback address'],
  ['fc00::', 7, 'ipv6', 'a private (unique local) address'],
  ['fe80::', 10, 'ipv6', 'a link-local address'],
  ['ff00::', 8, 'ipv6', 'a multicast address'],
];

/** Why `address` is not a public one, or undefined when it is. */
export function nonPublicReason(address: string): string | undefined {
  const family = isIP(address);
  if (family === 0) return 'not an IP address';
  // An IPv4 address written as IPv6 (::ffff:127.0.0.1) is the IPv4 address.
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address)?.[1];
  if (mapped !== undefined) return nonPublicReason(mapped);
  for (const [net, prefix, type, why] of RANGES) {
    const list = new BlockList();
    list.addSubnet(net, prefix, type);
    if ((type === 'ipv4') === (family === 4) && list.check(address, type)) return why;
  }
  return undefined;
}

/** Fetch `input` within `limits`; RefusedError for an address it may not reach. */
export async function fetchUrl(input: string, limits: FetchLimits = {}): Promise<Fetched> {
  const timeout = AbortSignal.timeout(limits.timeoutMs ?? 30_000);
  const signal = limits.signal ? AbortSignal.any([limits.signal, timeout]) : timeout;
  let url = parseUrl(input);
  for (let hop = 0; ; hop++) {
    const response = await get(url, limits, signal);
    const location = response.headers.location;
    if (
      response.statusCode !== undefined &&
      response.statusCode >= 300 &&
      response.statusCode < 400 &&
      location
    ) {
      response.resume();
      if (hop >= (limits.maxRedirects ?? 5))
        throw new RefusedError(
          `url_fetch: more than ${String(limits.maxRedirects ?? 5)} redirects from ${input}`,
        );
      url = parseUrl(new URL(location, url).href);
      continue;
    }
    const { body, truncated } = await readCapped(
      response,
      limits.maxBytes ?? 5 * 1024 * 1024,
      signal,
    );
    const contentType = response.headers['content-type'];
    return {
      url: url.href,
      status: response.statusCode ?? 0,
      ...(contentType === undefined ? {} : { contentType }),
      body,
      truncated,
    };
  }
}

function parseUrl(input: string): URL {
  if (!URL.canParse(input))
    throw new UsageError(`url_fetch: expected an http:// or https:// URL, got ${quote(input)}`);
  const url = new URL(input);
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new UsageError(`url_fetch: expected an http:// or https:// URL, got ${quote(input)}`);
  return url;
}

/** One request, connected only to addresses that passed the check. */
function get(url: URL, limits: FetchLimits, signal: AbortSignal): Promise<IncomingMessage> {
  const host = url.hostname.replace(/^\[|\]$/g, '');
  const barred = (address: string): string | undefined =>
    limits.allowPrivate === true || limits.allowAddress?.(address) === true
      ? undefined
      : nonPublicReason(address);
  if (isIP(host) !== 0) {
    const why = barred(host);
    if (why !== undefined) return Promise.reject(refusal(url, host, why));
  }
  const lookup: LookupFunction = (hostname, options, callback) => {
    dnsLookup(hostname, { ...options, all: true }, (error, addresses: LookupAddress[]) => {
      if (error) {
        callback(error, '', 0);
        return;
      }
      const bad = addresses.find((a) => barred(a.address) !== undefined);
      if (bad !== undefined) {
        callback(refusal(url, bad.address, barred(bad.address) ?? ''), '', 0);
        return;
      }
      if (options.all) callback(null, addresses);
      else callback(null, addresses[0]?.address ?? '', addresses[0]?.family ?? 4);
    });
  };
  const request = url.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      { lookup, signal, headers: { 'user-agent': 'mx-agent url_fetch' } },
      resolve,
    );
    req.on('error', (error) => {
      reject(
        error instanceof RefusedError
          ? error
          : new NetworkError(`url_fetch: ${url.href}: ${error.message}`, { cause: error }),
      );
    });
    req.end();
  });
}

function refusal(url: URL, address: string, why: string): RefusedError {
  return new RefusedError(
    `url_fetch refuses ${url.href}: ${address} is ${why}, which the agent may not reach (the owner can allow private addresses)`,
  );
}

async function readCapped(
  response: IncomingMessage,
  maxBytes: number,
  signal: AbortSignal,
): Promise<{ body: Buffer; truncated: boolean }> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of response) {
    signal.throwIfAborted();
    const buffer = chunk as Buffer;
    if (size + buffer.length > maxBytes) {
      chunks.push(buffer.subarray(0, maxBytes - size));
      response.destroy();
      return { body: Buffer.concat(chunks), truncated: true };
    }
    chunks.push(buffer);
    size += buffer.length;
  }
  return { body: Buffer.concat(chunks), truncated: false };
}
