/**
 * Blobs on Matrix: encrypted attachments in the media repository. Upload with
 * `POST /_matrix/media/v3/upload`; download with authenticated media
 * (`GET /_matrix/client/v1/media/download`, spec v1.11) and the legacy path for older servers.
 * 429 is waited out as asked and transient failures retried until the caller's deadline.
 */
import { NetworkError, RefusedError, quote } from '../../errors.ts';
import { sleep } from '../deadline.ts';
import { sha256Hex } from '../payload.ts';
import { backoffMs } from './sdk.ts';
import type { BlobMeta, BlobRef, JsonObject } from '../transport.ts';
import { decryptAttachment, encryptAttachment, encryptedFileOf, MXC } from './attachments.ts';
import { expectedOf, isEncryptedRef } from './event-media.ts';

/** What the media client needs from its transport. */
export interface MediaAccess {
  readonly homeserver: string;
  readonly accessToken: string;
}

async function request(
  access: MediaAccess,
  what: string,
  path: string,
  init: RequestInit,
  signal: AbortSignal,
): Promise<Response> {
  for (let attempt = 0; ; attempt++) {
    let response: Response;
    try {
      response = await fetch(`${access.homeserver}${path}`, {
        ...init,
        signal,
        headers: {
          ...(init.headers as Record<string, string> | undefined),
          authorization: `Bearer ${access.accessToken}`,
        },
      });
    } catch (error) {
      if (signal.aborted) throw error;
      await sleep(backoffMs(attempt, 5_000), signal);
      continue;
    }
    if (response.status === 429 || response.status >= 500) {
      const body = (await response.json().catch(() => ({}))) as { retry_after_ms?: unknown };
      const wait =
        typeof body.retry_after_ms === 'number' ? body.retry_after_ms : backoffMs(attempt, 5_000);
      await sleep(wait, signal);
      continue;
    }
    if (!response.ok && response.status !== 404) {
      const body = (await response.json().catch(() => ({}))) as {
        errcode?: unknown;
        error?: unknown;
      };
      throw new RefusedError(
        `the homeserver refused to ${what}: ${String(response.status)} ${typeof body.errcode === 'string' ? body.errcode : ''} ${typeof body.error === 'string' ? body.error : ''}`.trim(),
      );
    }
    return response;
  }
}

/** Encrypt and upload bytes; the reference carries the key (inside an encrypted event only). */
export async function uploadBlob(
  access: MediaAccess,
  data: Uint8Array,
  meta: BlobMeta | undefined,
  signal: AbortSignal,
): Promise<BlobRef> {
  const { ciphertext, file } = encryptAttachment(data);
  const query = meta?.name ? `?filename=${encodeURIComponent(meta.name)}` : '';
  const response = await request(
    access,
    'store a blob',
    `/_matrix/media/v3/upload${query}`,
    {
      method: 'POST',
      headers: { 'content-type': 'application/octet-stream' },
      body: ciphertext,
    },
    signal,
  );
  const body = (await response.json()) as { content_uri?: unknown };
  if (
    response.status !== 200 ||
    typeof body.content_uri !== 'string' ||
    !MXC.test(body.content_uri)
  ) {
    throw new NetworkError(
      `the homeserver answered an upload without a content URI: ${quote(body)}`,
    );
  }
  const uri = body.content_uri;
  return {
    uri,
    size: data.byteLength,
    sha256: sha256Hex(data),
    ...(meta?.contentType ? { contentType: meta.contentType } : {}),
    ...(meta?.name ? { name: meta.name } : {}),
    extra: { file: { ...file, url: uri } as unknown as JsonObject },
  };
}

/** Download, check, decrypt and verify a blob. */
export async function downloadBlob(
  access: MediaAccess,
  ref: BlobRef,
  signal: AbortSignal,
): Promise<Uint8Array> {
  const match = MXC.exec(ref.uri);
  if (!match?.[1] || !match[2]) {
    throw new RefusedError(`expected a blob URI like mxc://server/media-id, got ${quote(ref.uri)}`);
  }
  // Our own blobs are always encrypted; media from other clients may not be (event-media.ts).
  const file = isEncryptedRef(ref) ? encryptedFileOf(ref.extra, ref.uri) : undefined;
  const where = `${encodeURIComponent(match[1])}/${encodeURIComponent(match[2])}`;
  let response = await request(
    access,
    'serve a blob',
    `/_matrix/client/v1/media/download/${where}`,
    {},
    signal,
  );
  if (response.status === 404) {
    const body = (await response.json().catch(() => ({}))) as { errcode?: unknown };
    if (body.errcode !== 'M_UNRECOGNIZED') throw new RefusedError(`blob ${ref.uri} not found`);
    response = await request(
      access,
      'serve a blob',
      `/_matrix/media/v3/download/${where}`,
      {},
      signal,
    );
    if (response.status === 404) throw new RefusedError(`blob ${ref.uri} not found`);
  }
  const bytes = new Uint8Array(await response.arrayBuffer());
  const plain = file ? decryptAttachment(bytes, file) : bytes;
  const expected = expectedOf(ref);
  if (
    (expected.size !== undefined && plain.byteLength !== expected.size) ||
    (expected.sha256 !== undefined && sha256Hex(plain) !== expected.sha256)
  ) {
    throw new RefusedError(
      `blob ${ref.uri} failed its integrity check: got ${String(plain.byteLength)} bytes with sha256 ${sha256Hex(plain)}, expected ${String(expected.size ?? 'any number of')} bytes with sha256 ${expected.sha256 ?? '(unknown: media sent by another client)'}`,
    );
  }
  return new Uint8Array(plain.buffer, plain.byteOffset, plain.byteLength);
}
