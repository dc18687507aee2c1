/**
 * Device trust on Matrix, beyond the transport interface: interactive emoji (SAS) verification
 * of a peer's device, cross-signing bootstrap, and server-side key backup. These act on the
 * device's crypto store, so they run in the process that owns it (login, `verify`, `keys`).
 */
import {
  decodeRecoveryKey,
  VerificationPhase,
  VerificationRequestEvent,
  VerifierEvent,
  type CryptoApi,
  type ShowSasCallbacks,
  type VerificationRequest,
} from 'matrix-js-sdk/lib/crypto-api/index.js';
import { InterruptedError, RefusedError, UsageError, messageOf } from '../../errors.ts';

/** What verification shows the person, and asks them. */
export interface SasPrompt {
  /** The other side (user and device) as the request names it. */
  readonly peer: { readonly userId: string; readonly deviceId: string | undefined };
  /** Seven emoji with their names, identical on both screens if nobody is in the middle. */
  readonly emoji: readonly (readonly [string, string])[];
  /** Three numbers, for clients that show decimals instead. */
  readonly decimal?: readonly [number, number, number];
}

/** The person's side of a verification: shown the SAS, answers whether it matches. */
export type SasDecision = (prompt: SasPrompt) => Promise<boolean>;

/** The trust state of one device, as this device sees it. */
export interface DeviceTrust {
  readonly userId: string;
  readonly deviceId: string;
  readonly displayName?: string;
  readonly verified: boolean;
  readonly crossSigningVerified: boolean;
}

function waitForPhase(
  request: VerificationRequest,
  done: (phase: VerificationPhase) => boolean,
  signal: AbortSignal,
): Promise<void> {
  return new Promise((resolve, reject) => {
    const check = (): void => {
      if (request.phase === VerificationPhase.Cancelled) {
        cleanup();
        reject(
          new RefusedError(
            `verification cancelled: ${request.cancellationCode ?? 'by the other side'}`,
          ),
        );
      } else if (done(request.phase)) {
        cleanup();
        resolve();
      }
    };
    const onAbort = (): void => {
      cleanup();
      void request.cancel().catch(() => undefined);
      reject(new InterruptedError('verification interrupted'));
    };
    const cleanup = (): void => {
      request.off(VerificationRequestEvent.Change, check);
      signal.removeEventListener('abort', onAbort);
    };
    request.on(VerificationRequestEvent.Change, check);
    signal.addEventListener('abort', onAbort, { once: true });
    check();
  });
}

/**
 * Run the SAS exchange of an accepted request to its end. Resolves with the other device's id
 * (as the request named it at some point: received requests learn it only as they go).
 */
async function runSas(
  request: VerificationRequest,
  decide: SasDecision,
  start: boolean,
  signal: AbortSignal,
): Promise<string | undefined> {
  let otherDevice = request.otherDeviceId;
  // Every step below also ends when the other side cancels or our deadline passes.
  const stopped = new Promise<never>((_, reject) => {
    const onChange = (): void => {
      otherDevice ??= request.otherDeviceId;
      if (request.phase === VerificationPhase.Cancelled) {
        reject(
          new RefusedError(
            `verification cancelled: ${request.cancellationCode ?? 'by the other side'}`,
          ),
        );
      }
    };
    request.on(VerificationRequestEvent.Change, onChange);
    const onAbort = (): void => {
      void request.cancel().catch(() => undefined);
      reject(new InterruptedError('verification interrupted'));
    };
    if (signal.aborted) onAbort();
    else signal.addEventListener('abort', onAbort, { once: true });
  });
  stopped.catch(() => undefined);
  const step = <T>(work: Promise<T>): Promise<T> => Promise.race([work, stopped]);
  await step(
    waitForPhase(
      request,
      (p) => p === VerificationPhase.Ready || p === VerificationPhase.Started,
      signal,
    ),
  );
  const verifier = start
    ? await step(request.startVerification('m.sas.v1'))
    : await step(
        (async () => {
          await waitForPhase(request, (p) => p === VerificationPhase.Started, signal);
          if (!request.verifier) throw new RefusedError('the other side started no verification');
          return request.verifier;
        })(),
      );
  const shown = new Promise<ShowSasCallbacks>((resolve) => {
    const existing = verifier.getShowSasCallbacks();
    if (existing) resolve(existing);
    else verifier.once(VerifierEvent.ShowSas, resolve);
  });
  const verified = verifier.verify();
  verified.catch(() => undefined);
  const sas = await step(Promise.race([shown, verified.then(() => undefined)]));
  if (sas) {
    otherDevice ??= request.otherDeviceId;
    const emoji = sas.sas.emoji ?? [];
    const matches = await step(
      decide({
        peer: { userId: request.otherUserId, deviceId: request.otherDeviceId },
        emoji,
        ...(sas.sas.decimal ? { decimal: sas.sas.decimal } : {}),
      }),
    );
    if (!matches) {
      sas.mismatch();
      throw new RefusedError('the emoji did not match: verification cancelled, nothing trusted');
    }
    await step(sas.confirm());
  }
  try {
    await step(verified);
  } catch (error) {
    if (error instanceof RefusedError || error instanceof InterruptedError) throw error;
    throw new RefusedError(`verification failed: ${messageOf(error)}`, { cause: error });
  }
  return otherDevice ?? request.otherDeviceId;
}

/** The state of server-side key backup, as this device sees it. */
export interface BackupStatus {
  /** The backup version on the server, if there is one. */
  readonly version: string | null;
  /** How many room keys the server holds in it. */
  readonly keys: number | null;
  /** True when this device uploads its keys to that version. */
  readonly active: boolean;
}

/** What the device needs from its transport for trust operations. */
export interface TrustHost {
  readonly userId: string;
  readonly deviceId: string;
  /** Wait for a verification request sent to this device (from `from`, if given). */
  incoming(from: string | undefined, signal: AbortSignal): Promise<VerificationRequest>;
  /** Make a secret-storage key available to the crypto for the next operations. */
  provideSecretStorageKey(privateKey: Uint8Array<ArrayBuffer>): void;
  /** The current backup version on the server, fresh (the crypto caches what it saw). */
  serverBackup(): Promise<{ version: string; count: number } | null>;
}

/** Device trust operations on one device's crypto. */
export class Trust {
  readonly #crypto: CryptoApi;
  readonly #host: TrustHost;
  readonly #userId: string;
  readonly #deviceId: string;

  constructor(crypto: CryptoApi, host: TrustHost) {
    this.#crypto = crypto;
    this.#host = host;
    this.#userId = host.userId;
    this.#deviceId = host.deviceId;
  }

  /** Where backup stands. */
  async backupStatus(): Promise<BackupStatus> {
    const info = await this.#host.serverBackup();
    const active = await this.#crypto.getActiveSessionBackupVersion();
    return {
      version: info?.version ?? null,
      keys: info?.count ?? null,
      active: active !== null && active === info?.version,
    };
  }

  /**
   * Start server-side key backup: a new recovery key, secret storage protected by it (holding
   * the cross-signing keys and the backup key), and a new backup version this device uploads
   * its room keys to. The recovery key is returned once and kept nowhere.
   */
  async enableBackup(replace: boolean): Promise<{ recoveryKey: string; version: string }> {
    const existing = await this.#crypto.getKeyBackupInfo();
    if (existing && !replace) {
      throw new RefusedError(
        `a key backup (version ${existing.version}) already exists; restore it with its recovery key, or replace it with --reset (its keys become unreadable)`,
      );
    }
    const key = await this.#crypto.createRecoveryKeyFromPassphrase();
    if (!key.encodedPrivateKey) throw new RefusedError('the crypto produced no recovery key');
    this.#host.provideSecretStorageKey(key.privateKey);
    await this.#crypto.bootstrapSecretStorage({
      createSecretStorageKey: () => Promise.resolve(key),
      setupNewSecretStorage: true,
      setupNewKeyBackup: true,
    });
    const info = await this.#crypto.getKeyBackupInfo();
    if (!info?.version) throw new RefusedError('the homeserver shows no backup after creating one');
    return { recoveryKey: key.encodedPrivateKey, version: info.version };
  }

  /** Fetch the backup key with the recovery key, then import every room key in the backup. */
  async restoreBackup(recoveryKey: string): Promise<{ total: number; imported: number }> {
    let privateKey: Uint8Array<ArrayBuffer>;
    try {
      privateKey = decodeRecoveryKey(recoveryKey.trim());
    } catch (error: unknown) {
      throw new UsageError(
        `expected a recovery key like "EsTc 1234 …" (48 characters in groups of four), got one that does not decode: ${messageOf(error)}`,
      );
    }
    if (!(await this.#crypto.getKeyBackupInfo())) {
      throw new RefusedError('there is no key backup on the homeserver to restore');
    }
    this.#host.provideSecretStorageKey(privateKey);
    try {
      await this.#crypto.loadSessionBackupPrivateKeyFromSecretStorage();
    } catch (error) {
      throw new RefusedError(
        `the recovery key does not open this account's secret storage: ${messageOf(error)}`,
        { cause: error },
      );
    }
    await this.#crypto.checkKeyBackupAndEnable();
    const result = await this.#crypto.restoreKeyBackup();
    return { total: result.total, imported: result.imported };
  }

  /** The devices of a user with their trust state (fetched from the server if not cached). */
  async devices(userId: string): Promise<DeviceTrust[]> {
    const map = await this.#crypto.getUserDeviceInfo([userId], true);
    const devices = [...(map.get(userId)?.values() ?? [])];
    return Promise.all(
      devices.map(async (d) => {
        const status = await this.#crypto.getDeviceVerificationStatus(userId, d.deviceId);
        return {
          userId,
          deviceId: d.deviceId,
          ...(d.displayName ? { displayName: d.displayName } : {}),
          verified: status?.isVerified() ?? false,
          crossSigningVerified: status?.crossSigningVerified ?? false,
        };
      }),
    );
  }

  /** Ask a device of `userId` to verify with emoji, show them, and trust it if they match. */
  async verify(
    userId: string,
    deviceId: string | undefined,
    decide: SasDecision,
    signal: AbortSignal,
  ): Promise<DeviceTrust> {
    const devices = await this.devices(userId);
    const others = devices.filter((d) => userId !== this.#userId || d.deviceId !== this.#deviceId);
    let target: DeviceTrust | undefined;
    if (deviceId !== undefined) {
      target = others.find((d) => d.deviceId === deviceId);
      if (!target) {
        throw new UsageError(
          `${userId} has no device ${deviceId}; known devices: ${others.map((d) => d.deviceId).join(', ') || 'none'}`,
        );
      }
    } else if (others.length === 1) {
      target = others[0];
    } else {
      throw new UsageError(
        others.length === 0
          ? `${userId} has no device with encryption keys to verify`
          : `${userId} has ${String(others.length)} devices; name one: ${others.map((d) => d.deviceId).join(', ')}`,
      );
    }
    if (!target) throw new UsageError(`no device of ${userId} to verify`);
    const request = await this.#crypto.requestDeviceVerification(userId, target.deviceId);
    await runSas(request, decide, true, signal);
    const after = (await this.devices(userId)).find((d) => d.deviceId === target.deviceId);
    return after ?? { ...target, verified: true };
  }

  /** Wait for an incoming verification request (from `from`, if given), then run it. */
  async accept(
    from: string | undefined,
    decide: SasDecision,
    signal: AbortSignal,
  ): Promise<DeviceTrust> {
    const request = await this.#host.incoming(from, signal);
    await request.accept();
    const deviceId = (await runSas(request, decide, false, signal)) ?? '';
    const after = (await this.devices(request.otherUserId)).find((d) => d.deviceId === deviceId);
    return (
      after ?? {
        userId: request.otherUserId,
        deviceId,
        verified: true,
        crossSigningVerified: false,
      }
    );
  }

  /**
   * Create this account's cross-signing keys if it has none (or new ones with `reset`: peers
   * who knew the old identity are warned), and sign this device with them.
   * The server asks for user-interactive auth: the password when it offers that stage.
   */
  async bootstrapCrossSigning(
    password: string | undefined,
    options: { reset?: boolean } = {},
  ): Promise<'created' | 'ready'> {
    if (options.reset !== true && (await this.#crypto.isCrossSigningReady())) return 'ready';
    await this.#crypto.bootstrapCrossSigning({
      setupNewCrossSigning: options.reset === true,
      authUploadDeviceSigningKeys: async (makeRequest) => {
        try {
          await makeRequest(null);
          return;
        } catch (error) {
          const flows = uiaFlows(error);
          if (!flows) throw error;
          const stages = flows.flatMap((f) => f.stages ?? []);
          const session = flows.session;
          if (password !== undefined && stages.includes('m.login.password')) {
            await makeRequest({
              type: 'm.login.password',
              identifier: { type: 'm.id.user', user: this.#userId },
              password,
              ...(session ? { session } : {}),
            });
          } else if (stages.includes('m.login.dummy')) {
            await makeRequest({ type: 'm.login.dummy', ...(session ? { session } : {}) });
          } else {
            throw new RefusedError(
              `the homeserver wants ${stages.join(', ') || 'an unknown auth'} to publish cross-signing keys${password === undefined ? '; log in with a password to set them up' : ''}`,
            );
          }
        }
      },
    });
    return 'created';
  }
}

/** The flows and session of a 401 user-interactive-auth answer, if the error is one. */
function uiaFlows(
  error: unknown,
): (readonly { stages?: string[] }[] & { session?: string }) | undefined {
  const data = (error as { data?: { flows?: unknown; session?: unknown } } | undefined)?.data;
  if (!data || !Array.isArray(data.flows)) return undefined;
  const flows = data.flows as { stages?: string[] }[] & { session?: string };
  if (typeof data.session === 'string') flows.session = data.session;
  return flows;
}
