/**
 * End-to-end encryption key storage (spec v1.11 "End-to-End Encryption" and "Cross-signing"):
 * device keys, one-time and fallback keys, cross-signing keys and their signatures, the
 * device-list change stream, and to-device messages. The server stores and relays; it never
 * checks signatures itself — clients do (the Rust crypto rejects what does not verify).
 */
import type { DatabaseSync } from 'node:sqlite';

type Json = Record<string, unknown>;
const parse = (text: string): Json => JSON.parse(text) as Json;

/** One to-device event as /sync delivers it. */
export interface ToDeviceEvent {
  readonly stream: number;
  readonly sender: string;
  readonly type: string;
  readonly content: Json;
}

/** Key and to-device storage. */
export class Keys {
  readonly #db: DatabaseSync;
  readonly #onChange: () => void;
  readonly #held = new Set<string>();

  constructor(db: DatabaseSync, onChange: () => void) {
    this.#db = db;
    this.#onChange = onChange;
  }

  /** POST /keys/upload for one device. */
  upload(userId: string, deviceId: string, body: Json): Record<string, number> {
    if (body.device_keys !== undefined) {
      this.#db
        .prepare(
          'INSERT INTO device_keys (user_id, device_id, keys) VALUES (?, ?, ?) ON CONFLICT DO UPDATE SET keys = excluded.keys',
        )
        .run(userId, deviceId, JSON.stringify(body.device_keys));
      this.#changed(userId);
    }
    for (const [keyId, key] of Object.entries((body.one_time_keys ?? {}) as Json)) {
      this.#db
        .prepare(
          'INSERT INTO one_time_keys (user_id, device_id, key_id, algorithm, key) VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING',
        )
        .run(userId, deviceId, keyId, keyId.split(':')[0] ?? '', JSON.stringify(key));
    }
    for (const [keyId, key] of Object.entries((body.fallback_keys ?? {}) as Json)) {
      this.#db
        .prepare(
          'INSERT INTO fallback_keys (user_id, device_id, algorithm, key_id, key, used) VALUES (?, ?, ?, ?, ?, 0) ON CONFLICT DO UPDATE SET key_id = excluded.key_id, key = excluded.key, used = 0',
        )
        .run(userId, deviceId, keyId.split(':')[0] ?? '', keyId, JSON.stringify(key));
    }
    return this.oneTimeKeyCounts(userId, deviceId);
  }

  oneTimeKeyCounts(userId: string, deviceId: string): Record<string, number> {
    const rows = this.#db
      .prepare(
        'SELECT algorithm, COUNT(*) AS n FROM one_time_keys WHERE user_id = ? AND device_id = ? GROUP BY algorithm',
      )
      .all(userId, deviceId) as unknown as { algorithm: string; n: number }[];
    return Object.fromEntries(rows.map((r) => [r.algorithm, r.n]));
  }

  unusedFallbackKeyTypes(userId: string, deviceId: string): string[] {
    const rows = this.#db
      .prepare(
        'SELECT algorithm FROM fallback_keys WHERE user_id = ? AND device_id = ? AND used = 0',
      )
      .all(userId, deviceId) as unknown as { algorithm: string }[];
    return rows.map((r) => r.algorithm);
  }

  /** POST /keys/query: device keys of the asked users (all devices for an empty list). */
  query(requester: string, wanted: Record<string, unknown>): Json {
    const deviceKeys: Json = {};
    const master: Json = {};
    const selfSigning: Json = {};
    const userSigning: Json = {};
    for (const [userId, devices] of Object.entries(wanted)) {
      const only =
        Array.isArray(devices) && devices.length > 0 ? new Set(devices as string[]) : undefined;
      const rows = this.#db
        .prepare('SELECT device_id, keys FROM device_keys WHERE user_id = ?')
        .all(userId) as unknown as { device_id: string; keys: string }[];
      deviceKeys[userId] = Object.fromEntries(
        rows.filter((r) => !only || only.has(r.device_id)).map((r) => [r.device_id, parse(r.keys)]),
      );
      const crossSigning = this.#crossSigning(userId);
      if (crossSigning.master) master[userId] = crossSigning.master;
      if (crossSigning.self_signing) selfSigning[userId] = crossSigning.self_signing;
      // A user-signing key is only ever shown to its owner.
      if (crossSigning.user_signing && userId === requester)
        userSigning[userId] = crossSigning.user_signing;
    }
    return {
      device_keys: deviceKeys,
      master_keys: master,
      self_signing_keys: selfSigning,
      user_signing_keys: userSigning,
      failures: {},
    };
  }

  /** POST /keys/claim: one one-time key per device, else its fallback key (marked used). */
  claim(wanted: Record<string, Record<string, string>>): Json {
    const claimed: Record<string, Record<string, Json>> = {};
    for (const [userId, devices] of Object.entries(wanted)) {
      for (const [deviceId, algorithm] of Object.entries(devices)) {
        const otk = this.#db
          .prepare(
            'SELECT key_id, key FROM one_time_keys WHERE user_id = ? AND device_id = ? AND algorithm = ? ORDER BY key_id LIMIT 1',
          )
          .get(userId, deviceId, algorithm) as { key_id: string; key: string } | undefined;
        let found: { key_id: string; key: string } | undefined = otk;
        if (otk)
          this.#db
            .prepare('DELETE FROM one_time_keys WHERE user_id = ? AND device_id = ? AND key_id = ?')
            .run(userId, deviceId, otk.key_id);
        else {
          found = this.#db
            .prepare(
              'SELECT key_id, key FROM fallback_keys WHERE user_id = ? AND device_id = ? AND algorithm = ?',
            )
            .get(userId, deviceId, algorithm) as { key_id: string; key: string } | undefined;
          if (found)
            this.#db
              .prepare(
                'UPDATE fallback_keys SET used = 1 WHERE user_id = ? AND device_id = ? AND algorithm = ?',
              )
              .run(userId, deviceId, algorithm);
        }
        if (found) (claimed[userId] ??= {})[deviceId] = { [found.key_id]: parse(found.key) };
      }
    }
    return { one_time_keys: claimed, failures: {} };
  }

  /** POST /keys/device_signing/upload (after UIA). */
  uploadCrossSigning(userId: string, body: Json): void {
    for (const usage of ['master', 'self_signing', 'user_signing'] as const) {
      const key = body[`${usage}_key`];
      if (key !== undefined)
        this.#db
          .prepare(
            'INSERT INTO cross_signing_keys (user_id, usage, key) VALUES (?, ?, ?) ON CONFLICT DO UPDATE SET key = excluded.key',
          )
          .run(userId, usage, JSON.stringify(key));
    }
    this.#changed(userId);
  }

  /** POST /keys/signatures/upload: merge signatures into device or cross-signing keys. */
  uploadSignatures(body: Record<string, Record<string, Json>>): Json {
    const failures: Record<string, Record<string, Json>> = {};
    for (const [userId, objects] of Object.entries(body)) {
      for (const [keyId, signed] of Object.entries(objects)) {
        if (
          !this.#mergeSignatures(userId, keyId, (signed.signatures ?? {}) as Record<string, Json>)
        ) {
          (failures[userId] ??= {})[keyId] = {
            errcode: 'M_NOT_FOUND',
            error: `no device or cross-signing key ${keyId}`,
          };
        }
      }
      this.#changed(userId);
    }
    return { failures };
  }

  /** Users whose keys changed in (from, to]. */
  changedUsers(from: number, to: number): string[] {
    const rows = this.#db
      .prepare('SELECT DISTINCT user_id FROM key_changes WHERE stream > ? AND stream <= ?')
      .all(from, to) as unknown as { user_id: string }[];
    return rows.map((r) => r.user_id);
  }

  keyChangesHead(): number {
    return (
      (
        this.#db.prepare('SELECT MAX(stream) AS head FROM key_changes').get() as {
          head: number | null;
        }
      ).head ?? 0
    );
  }

  /** Record that a user's device list changed (a device was added or removed). */
  deviceListChanged(userId: string): void {
    this.#changed(userId);
  }

  /** PUT /sendToDevice: queue one event per target device (`*` = all of the user's devices). */
  sendToDevice(sender: string, type: string, messages: Record<string, Record<string, Json>>): void {
    for (const [userId, devices] of Object.entries(messages)) {
      for (const [deviceId, content] of Object.entries(devices)) {
        const targets =
          deviceId === '*'
            ? (
                this.#db
                  .prepare('SELECT device_id FROM devices WHERE user_id = ?')
                  .all(userId) as unknown as { device_id: string }[]
              ).map((d) => d.device_id)
            : [deviceId];
        for (const target of targets) {
          this.#db
            .prepare(
              'INSERT INTO to_device (user_id, device_id, sender, type, content) VALUES (?, ?, ?, ?, ?)',
            )
            .run(userId, target, sender, type, JSON.stringify(content));
        }
      }
    }
    this.#onChange();
  }

  /** Pending to-device events after `from` (and forget those up to `from`: the client has them). */
  /**
   * Fault injection for tests: while a user is held, their to-device messages (room keys,
   * verification) stay queued and are not delivered; released, they arrive in order.
   */
  holdToDevice(userId: string, hold: boolean): void {
    if (hold) this.#held.add(userId);
    else if (this.#held.delete(userId)) this.#onChange();
  }

  /** True while a user's to-device messages are held back. */
  isHeld(userId: string): boolean {
    return this.#held.has(userId);
  }

  toDevice(userId: string, deviceId: string, from: number, limit = 100): ToDeviceEvent[] {
    if (this.#held.has(userId)) return [];
    this.#db
      .prepare('DELETE FROM to_device WHERE user_id = ? AND device_id = ? AND stream <= ?')
      .run(userId, deviceId, from);
    const rows = this.#db
      .prepare(
        'SELECT stream, sender, type, content FROM to_device WHERE user_id = ? AND device_id = ? AND stream > ? ORDER BY stream LIMIT ?',
      )
      .all(userId, deviceId, from, limit) as unknown as {
      stream: number;
      sender: string;
      type: string;
      content: string;
    }[];
    return rows.map((r) => ({
      stream: r.stream,
      sender: r.sender,
      type: r.type,
      content: parse(r.content),
    }));
  }

  toDeviceHead(): number {
    return (
      (
        this.#db.prepare('SELECT MAX(stream) AS head FROM to_device').get() as {
          head: number | null;
        }
      ).head ?? 0
    );
  }

  #crossSigning(userId: string): Partial<Record<'master' | 'self_signing' | 'user_signing', Json>> {
    const rows = this.#db
      .prepare('SELECT usage, key FROM cross_signing_keys WHERE user_id = ?')
      .all(userId) as unknown as { usage: string; key: string }[];
    return Object.fromEntries(rows.map((r) => [r.usage, parse(r.key)]));
  }

  #mergeSignatures(userId: string, keyId: string, signatures: Record<string, Json>): boolean {
    const merge = (stored: Json): Json => {
      const existing = (stored.signatures ?? {}) as Record<string, Json>;
      for (const [signer, sigs] of Object.entries(signatures))
        existing[signer] = { ...existing[signer], ...sigs };
      return { ...stored, signatures: existing };
    };
    const device = this.#db
      .prepare('SELECT keys FROM device_keys WHERE user_id = ? AND device_id = ?')
      .get(userId, keyId) as { keys: string } | undefined;
    if (device) {
      this.#db
        .prepare('UPDATE device_keys SET keys = ? WHERE user_id = ? AND device_id = ?')
        .run(JSON.stringify(merge(parse(device.keys))), userId, keyId);
      return true;
    }
    for (const [usage, key] of Object.entries(this.#crossSigning(userId))) {
      const ids = Object.keys((key.keys ?? {}) as Json).map((k) => k.split(':')[1]);
      if (ids.includes(keyId)) {
        this.#db
          .prepare('UPDATE cross_signing_keys SET key = ? WHERE user_id = ? AND usage = ?')
          .run(JSON.stringify(merge(key)), userId, usage);
        return true;
      }
    }
    return false;
  }

  #changed(userId: string): void {
    this.#db.prepare('INSERT INTO key_changes (user_id) VALUES (?)').run(userId);
    this.#onChange();
  }
}
