/**
 * Splits a byte stream into lines of at most `maxBytes`. A longer line is not buffered: its
 * bytes are dropped up to the next newline and reported once, so one bad writer cannot make
 * the reader hold unbounded memory, and the lines after it still arrive.
 */
export class LineReader {
  readonly #maxBytes: number;
  readonly #onLine: (line: string) => void;
  readonly #onOversized: (bytes: number) => void;
  #chunks: Buffer[] = [];
  #size = 0;
  /** Bytes of an oversized line dropped so far; -1 when not dropping. */
  #dropped = -1;

  constructor(
    maxBytes: number,
    onLine: (line: string) => void,
    onOversized: (bytes: number) => void,
  ) {
    this.#maxBytes = maxBytes;
    this.#onLine = onLine;
    this.#onOversized = onOversized;
  }

  /** Feed bytes as they arrive. */
  push(chunk: Buffer): void {
    let rest = chunk;
    for (;;) {
      const newline = rest.indexOf(0x0a);
      if (newline === -1) {
        this.#keep(rest);
        return;
      }
      this.#keep(rest.subarray(0, newline));
      this.#endLine();
      rest = rest.subarray(newline + 1);
    }
  }

  #keep(bytes: Buffer): void {
    if (bytes.length === 0) return;
    if (this.#dropped >= 0) {
      this.#dropped += bytes.length;
      return;
    }
    if (this.#size + bytes.length > this.#maxBytes) {
      this.#dropped = this.#size + bytes.length;
      this.#chunks = [];
      this.#size = 0;
      return;
    }
    this.#chunks.push(bytes);
    this.#size += bytes.length;
  }

  #endLine(): void {
    if (this.#dropped >= 0) {
      const dropped = this.#dropped;
      this.#dropped = -1;
      this.#onOversized(dropped);
      return;
    }
    const line = Buffer.concat(this.#chunks, this.#size).toString('utf8');
    this.#chunks = [];
    this.#size = 0;
    if (line.trim() !== '') this.#onLine(line);
  }
}
