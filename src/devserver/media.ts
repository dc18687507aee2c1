/**
 * The media repository (spec v1.11 "Content repository"): upload, and download both through
 * the authenticated `/_matrix/client/v1/media` endpoints and the legacy `/_matrix/media/v3`
 * ones. Blobs live in SQLite; a development server never holds much.
 */
import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { DatabaseSync } from 'node:sqlite';
import type { Accounts } from './accounts.ts';
import { MatrixError } from './matrix-error.ts';

/** Largest upload accepted (m.upload.size in /media/config). */
export const MAX_UPLOAD = 50 * 1024 * 1024;

interface MediaRow {
  content_type: string;
  filename: string | null;
  data: Uint8Array;
}

/** Media storage and the raw (non-JSON) HTTP handlers. */
export class Media {
  readonly #db: DatabaseSync;
  readonly #accounts: Accounts;
  readonly #serverName: string;

  constructor(db: DatabaseSync, accounts: Accounts, serverName: string) {
    this.#db = db;
    this.#accounts = accounts;
    this.#serverName = serverName;
  }

  /** Handle a media request if `path` is one; false otherwise. */
  async handle(
    method: string,
    url: URL,
    req: IncomingMessage,
    res: ServerResponse,
  ): Promise<boolean> {
    const path = url.pathname;
    const token =
      req.headers.authorization?.replace(/^Bearer /, '') ??
      url.searchParams.get('access_token') ??
      undefined;
    if (method === 'POST' && path === '/_matrix/media/v3/upload') {
      const { userId } = this.#accounts.authenticate(token);
      const data = await readRaw(req);
      const mediaId = randomBytes(18).toString('base64url');
      const filename = url.searchParams.get('filename');
      this.#db
        .prepare(
          'INSERT INTO media (media_id, uploader, content_type, filename, data, created_ts) VALUES (?, ?, ?, ?, ?, ?)',
        )
        .run(
          mediaId,
          userId,
          req.headers['content-type'] ?? 'application/octet-stream',
          filename,
          data,
          Date.now(),
        );
      json(res, 200, { content_uri: `mxc://${this.#serverName}/${mediaId}` });
      return true;
    }
    const download =
      /^\/_matrix\/(?:client\/v1\/media|media\/v3)\/download\/([^/]+)\/([^/]+)(?:\/[^/]+)?$/.exec(
        path,
      );
    if (method === 'GET' && download) {
      // Spec v1.11: the client/v1 endpoints require authentication.
      if (path.startsWith('/_matrix/client/v1/')) this.#accounts.authenticate(token);
      const [, server = '', mediaId = ''] = download;
      const row =
        server === this.#serverName
          ? (this.#db
              .prepare('SELECT content_type, filename, data FROM media WHERE media_id = ?')
              .get(mediaId) as MediaRow | undefined)
          : undefined;
      if (!row) throw new MatrixError(404, 'M_NOT_FOUND', `no media mxc://${server}/${mediaId}`);
      res.writeHead(200, {
        'content-type': row.content_type,
        'content-length': row.data.byteLength,
        // Never rendered inline: uploaded content is untrusted (spec: Content-Disposition).
        'content-disposition': `attachment${row.filename ? `; filename*=utf-8''${encodeURIComponent(row.filename)}` : ''}`,
        'cross-origin-resource-policy': 'cross-origin',
      });
      res.end(row.data);
      return true;
    }
    if (
      method === 'GET' &&
      (path === '/_matrix/client/v1/media/config' || path === '/_matrix/media/v3/config')
    ) {
      if (path.startsWith('/_matrix/client/v1/')) this.#accounts.authenticate(token);
      json(res, 200, { 'm.upload.size': MAX_UPLOAD });
      return true;
    }
    return false;
  }
}

async function readRaw(req: IncomingMessage): Promise<Uint8Array> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_UPLOAD)
      throw new MatrixError(
        413,
        'M_TOO_LARGE',
        `uploads are limited to ${String(MAX_UPLOAD)} bytes`,
      );
    chunks.push(chunk as Buffer);
  }
  return new Uint8Array(Buffer.concat(chunks));
}

function json(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
  });
  res.end(text);
}
