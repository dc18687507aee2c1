/** The transport's side of device trust (see trust.ts). */
import { MatrixError, Method, type MatrixClient } from 'matrix-js-sdk';
import {
  CryptoEvent,
  VerificationPhase,
  type VerificationRequest,
} from 'matrix-js-sdk/lib/crypto-api/index.js';
import { InterruptedError, RefusedError } from '../../errors.ts';
import { mapMatrixError } from './matrix-errors.ts';
import { Trust } from './trust.ts';

/**
 * What a transport keeps for device trust: verification requests that came in before anyone
 * asked (bounded), and the secret-storage key the user gave for the current operation (backup
 * set-up or restore) — the crypto gets it only through `cryptoCallbacks`, never stored.
 */
export class TrustWiring {
  readonly #requests: VerificationRequest[] = [];
  #secretStorageKey: Uint8Array<ArrayBuffer> | undefined;
  readonly #log: (level: 'debug' | 'info' | 'warn', message: string) => void;

  constructor(log: (level: 'debug' | 'info' | 'warn', message: string) => void) {
    this.#log = log;
  }

  /** For createClient: secret storage opens only with the key given for this operation. */
  readonly cryptoCallbacks = {
    getSecretStorageKey: ({
      keys,
    }: {
      keys: Record<string, unknown>;
    }): Promise<[string, Uint8Array<ArrayBuffer>] | null> => {
      const keyId = Object.keys(keys)[0];
      const key = this.#secretStorageKey;
      return Promise.resolve(keyId && key ? [keyId, key] : null);
    },
  };

  /** Keep incoming verification requests for `verify --incoming` started after they arrived. */
  wire(client: MatrixClient): void {
    client.on(CryptoEvent.VerificationRequestReceived, (request) => {
      this.#requests.push(request);
      if (this.#requests.length > 16) this.#requests.shift();
    });
  }

  /** The trust operations of a connected client. */
  trustFor(client: MatrixClient, self: { userId: string; deviceId: string }): Trust {
    const crypto = client.getCrypto();
    if (!crypto) throw new RefusedError('end-to-end encryption is not available on this device');
    return new Trust(crypto, {
      userId: self.userId,
      deviceId: self.deviceId,
      incoming: (from, signal) => this.#incoming(client, from, signal),
      provideSecretStorageKey: (key) => {
        this.#secretStorageKey = key;
      },
      serverBackup: async () => {
        try {
          const info = await client.http.authedRequest<{ version?: unknown; count?: unknown }>(
            Method.Get,
            '/room_keys/version',
          );
          return typeof info.version === 'string'
            ? { version: info.version, count: typeof info.count === 'number' ? info.count : 0 }
            : null;
        } catch (error) {
          if (error instanceof MatrixError && error.errcode === 'M_NOT_FOUND') return null;
          throw mapMatrixError(error, 'read the key backup');
        }
      },
    });
  }

  #incoming(
    client: MatrixClient,
    from: string | undefined,
    signal: AbortSignal,
  ): Promise<VerificationRequest> {
    const wanted = (request: VerificationRequest): boolean =>
      (from === undefined || request.otherUserId === from) &&
      request.phase === VerificationPhase.Requested;
    // A request may have come in with the first sync, before anyone asked for it.
    const waiting = this.#requests.find(wanted);
    if (waiting) return Promise.resolve(waiting);
    return new Promise((resolve, reject) => {
      const onRequest = (request: VerificationRequest): void => {
        if (!wanted(request)) {
          this.#log('warn', `ignoring a verification request from ${request.otherUserId}`);
          return;
        }
        cleanup();
        resolve(request);
      };
      const onAbort = (): void => {
        cleanup();
        reject(new InterruptedError('stopped waiting for a verification request'));
      };
      const cleanup = (): void => {
        client.off(CryptoEvent.VerificationRequestReceived, onRequest);
        signal.removeEventListener('abort', onAbort);
      };
      client.on(CryptoEvent.VerificationRequestReceived, onRequest);
      signal.addEventListener('abort', onAbort, { once: true });
    });
  }
}
