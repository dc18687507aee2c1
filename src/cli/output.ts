/**
 * Everything the CLI prints goes through here: results as text or JSON (--json), progress
 * (silenced by -q), debug lines (-v), warnings and errors on stderr. Colors only on a TTY,
 * never with --no-color or NO_COLOR.
 */
export interface OutputOptions {
  readonly json: boolean;
  readonly quiet: boolean;
  readonly verbose: number;
  readonly color: boolean;
}

type Style = 'bold' | 'dim' | 'red' | 'yellow' | 'green' | 'cyan';
const CODES: Record<Style, [number, number]> = {
  bold: [1, 22],
  dim: [2, 22],
  red: [31, 39],
  yellow: [33, 39],
  green: [32, 39],
  cyan: [36, 39],
};

/** The CLI's printer. */
export class Output {
  readonly options: OutputOptions;
  readonly #stdout: NodeJS.WritableStream;
  readonly #stderr: NodeJS.WritableStream;

  constructor(
    options: OutputOptions,
    stdout: NodeJS.WritableStream = process.stdout,
    stderr: NodeJS.WritableStream = process.stderr,
  ) {
    this.options = options;
    this.#stdout = stdout;
    this.#stderr = stderr;
  }

  /** The command's result: `text(data)` normally, the data as JSON with --json. */
  result<T>(data: T, text: (data: T) => string): void {
    this.#stdout.write(
      this.options.json ? `${JSON.stringify(data, null, 2)}\n` : `${text(data)}\n`,
    );
  }

  /** One item of a stream of results (JSON Lines with --json). */
  item<T>(data: T, text: (data: T) => string): void {
    this.#stdout.write(this.options.json ? `${JSON.stringify(data)}\n` : `${text(data)}\n`);
  }

  /** Progress for a person; silent with -q. */
  info(message: string): void {
    if (!this.options.quiet) this.#stderr.write(`${message}\n`);
  }

  /** Diagnostics; only with -v. */
  debug(message: string): void {
    if (this.options.verbose > 0) this.#stderr.write(`${this.style('dim', message)}\n`);
  }

  warn(message: string): void {
    this.#stderr.write(`${this.style('yellow', 'warning:')} ${message}\n`);
  }

  error(message: string): void {
    this.#stderr.write(`${this.style('red', 'mx-agent:')} ${message}\n`);
  }

  style(style: Style, text: string): string {
    if (!this.options.color) return text;
    const [on, off] = CODES[style];
    return `\u001b[${String(on)}m${text}\u001b[${String(off)}m`;
  }
}

/** Colors are for people at a terminal who did not opt out. */
export function wantsColor(
  flag: boolean,
  stream: { isTTY?: boolean } = process.stdout,
  env: NodeJS.ProcessEnv = process.env,
): boolean {
  return flag && stream.isTTY === true && env.NO_COLOR === undefined && env.TERM !== 'dumb';
}
