/**
 * Per-user account data (global and per room) and stored filters. Account data rows carry
 * their own stream position, so /sync can send only what changed.
 */
import type { DatabaseSync } from 'node:sqlite';

/** One account data entry as /sync shows it. */
export interface AccountDataEvent {
  readonly type: string;
  readonly content: Record<string, unknown>;
  readonly room_id: string;
  readonly stream: number;
}

/** Account data and filters over the store. */
export class AccountData {
  readonly #db: DatabaseSync;
  readonly #onChange: (position: number) => void;

  constructor(db: DatabaseSync, onChange: (position: number) => void) {
    this.#db = db;
    this.#onChange = onChange;
  }

  /** Replace an entry; it moves to a new stream position. */
  put(userId: string, roomId: string, type: string, content: Record<string, unknown>): void {
    this.#db
      .prepare('DELETE FROM account_data WHERE user_id = ? AND room_id = ? AND type = ?')
      .run(userId, roomId, type);
    const { lastInsertRowid } = this.#db
      .prepare('INSERT INTO account_data (user_id, room_id, type, content) VALUES (?, ?, ?, ?)')
      .run(userId, roomId, type, JSON.stringify(content));
    this.#onChange(Number(lastInsertRowid));
  }

  get(userId: string, roomId: string, type: string): Record<string, unknown> | undefined {
    const row = this.#db
      .prepare('SELECT content FROM account_data WHERE user_id = ? AND room_id = ? AND type = ?')
      .get(userId, roomId, type) as { content: string } | undefined;
    return row && (JSON.parse(row.content) as Record<string, unknown>);
  }

  /** Entries changed after `since`. */
  since(userId: string, since: number): AccountDataEvent[] {
    const rows = this.#db
      .prepare(
        'SELECT stream, room_id, type, content FROM account_data WHERE user_id = ? AND stream > ? ORDER BY stream',
      )
      .all(userId, since) as unknown as {
      stream: number;
      room_id: string;
      type: string;
      content: string;
    }[];
    return rows.map((r) => ({
      type: r.type,
      room_id: r.room_id,
      content: JSON.parse(r.content) as Record<string, unknown>,
      stream: r.stream,
    }));
  }

  head(): number {
    return (
      (
        this.#db.prepare('SELECT MAX(stream) AS head FROM account_data').get() as {
          head: number | null;
        }
      ).head ?? 0
    );
  }

  saveFilter(userId: string, definition: Record<string, unknown>): string {
    const { lastInsertRowid } = this.#db
      .prepare('INSERT INTO filters (user_id, definition) VALUES (?, ?)')
      .run(userId, JSON.stringify(definition));
    return String(lastInsertRowid);
  }

  filter(userId: string, filterId: string): Record<string, unknown> | undefined {
    const row = this.#db
      .prepare('SELECT definition FROM filters WHERE user_id = ? AND filter_id = ?')
      .get(userId, Number(filterId)) as { definition: string } | undefined;
    return row && (JSON.parse(row.definition) as Record<string, unknown>);
  }
}
