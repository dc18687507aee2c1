/**
 * What `stream` keeps on this machine, under `<data>/streams/` (mode 0700):
 * - `index.json`: streams shared or watched here and where they were published, so
 *   `stream export ID` needs no `--in`;
 * - `positions/<id>`: how far a viewer got, so a reattach resumes exactly there;
 * - `live/<id>.json`: a running share's pid and control socket (`stream allow|revoke`).
 * Files are written atomically (write, then rename) and mode 0600.
 */
import { createHash } from 'node:crypto';
import {
  constants as fsConstants,
  closeSync,
  mkdirSync,
  openSync,
  readFileSync,
  readdirSync,
  renameSync,
  rmSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';
import { isAlive } from '../processes.ts';
import { MAX_SOCKET_PATH_BYTES, shortSocketDir, ensureSafeDir } from '../session/files.ts';

/** Characters of a position record: any safe integer fits. */
const POSITION_WIDTH = 16;

/** Where a stream was published, as the user typed it. */
export interface IndexedStream {
  readonly stream: string;
  readonly where: string;
  readonly profile: string;
  readonly title: string;
  readonly startedAt: number;
}

/** A share running on this machine. */
export interface LiveShare {
  readonly stream: string;
  readonly pid: number;
  readonly socket: string;
  readonly where: string;
  readonly title: string;
}

/** The stream files under one data directory. */
export class StreamFiles {
  readonly dir: string;

  constructor(data: string) {
    this.dir = join(data, 'streams');
  }

  /** Streams known here, newest first. */
  index(): IndexedStream[] {
    const value = this.#read(join(this.dir, 'index.json'));
    return Array.isArray(value) ? (value as IndexedStream[]) : [];
  }

  /** Remember where a stream lives (keeps the newest 500). */
  remember(entry: IndexedStream): void {
    const rest = this.index().filter((e) => e.stream !== entry.stream);
    this.#write(join(this.dir, 'index.json'), [entry, ...rest].slice(0, 500));
  }

  /** The next sequence number a viewer of `stream` on `profile` should render, if it has watched. */
  position(profile: string, stream: string): number | undefined {
    const value = this.#read(this.#positionFile(profile, stream));
    return typeof value === 'number' && Number.isSafeInteger(value) ? value : undefined;
  }

  /**
   * A recorder of how far a viewer got, called right after each write to the viewer's output.
   * The file is opened once and rewritten in place with one fixed-width write: a few
   * microseconds, so a viewer killed between showing bytes and recording them (which would
   * show them again on resume) is as unlikely as it can be without the output's cooperation.
   */
  positionRecorder(profile: string, stream: string): { set(next: number): void; close(): void } {
    const file = this.#positionFile(profile, stream);
    mkdirSync(join(file, '..'), { recursive: true, mode: 0o700 });
    // Not truncated on open: a viewer killed before its first write keeps its old position.
    const fd = openSync(file, fsConstants.O_WRONLY | fsConstants.O_CREAT, 0o600);
    return {
      set: (next) => {
        // Padded with spaces: still a JSON number, always the same length, no truncation.
        writeSync(fd, `${String(next).padStart(POSITION_WIDTH, ' ')}\n`, 0);
      },
      close: () => {
        closeSync(fd);
      },
    };
  }

  /** Register a running share; returns its control socket path. */
  registerLive(share: Omit<LiveShare, 'socket' | 'pid'>): LiveShare {
    const socket = this.#socketPath(share.stream);
    const live = { ...share, pid: process.pid, socket };
    this.#write(join(this.dir, 'live', `${share.stream}.json`), live);
    return live;
  }

  unregisterLive(stream: string): void {
    rmSync(join(this.dir, 'live', `${stream}.json`), { force: true });
  }

  /** Shares running here now (entries of dead processes are removed). */
  live(): LiveShare[] {
    const dir = join(this.dir, 'live');
    let names: string[];
    try {
      names = readdirSync(dir);
    } catch {
      return [];
    }
    return names.flatMap((name) => {
      // Only the entries: the control sockets live beside them.
      if (!name.endsWith('.json')) return [];
      const entry = this.#read(join(dir, name)) as LiveShare | undefined;
      if (!entry || typeof entry.pid !== 'number' || !isAlive(entry.pid)) {
        rmSync(join(dir, name), { force: true });
        return [];
      }
      return [entry];
    });
  }

  #socketPath(stream: string): string {
    const beside = join(this.dir, 'live', `${stream}.sock`);
    if (Buffer.byteLength(beside) <= MAX_SOCKET_PATH_BYTES) return beside;
    const dir = shortSocketDir();
    ensureSafeDir(dir);
    const key = createHash('sha256').update(this.dir).digest('hex').slice(0, 8);
    return join(dir, `s-${key}-${stream}.sock`);
  }

  #positionFile(profile: string, stream: string): string {
    const safe = profile.replace(/[^A-Za-z0-9@._-]/g, '_');
    return join(this.dir, 'positions', `${safe}.${stream}`);
  }

  #read(file: string): unknown {
    try {
      return JSON.parse(readFileSync(file, 'utf8')) as unknown;
    } catch {
      return undefined;
    }
  }

  #write(file: string, value: unknown): void {
    mkdirSync(join(file, '..'), { recursive: true, mode: 0o700 });
    const temp = `${file}.${String(process.pid)}.tmp`;
    writeFileSync(temp, JSON.stringify(value), { mode: 0o600 });
    renameSync(temp, file);
  }
}
