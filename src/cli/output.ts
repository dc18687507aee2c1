/**
 * Everything the CLI prints goes through here, and only this file touches the process's
 * standard streams: results as text or JSON (--json) on stdout, progress (silenced by -q),
 * debug lines (-v), warnings and errors on stderr. Colors only on a terminal, never with
 * --no-color or NO_COLOR.
 */

/** How the user asked for output (global options). */
export interface OutputOptions {
  readonly json: boolean;
  readonly quiet: boolean;
  /** 0 normally; 1 with -v (diagnostics, stack traces); 2 with -vv (protocol traces). */
  readonly verbose: number;
  /** The user allows colors (no --no-color, no NO_COLOR); used only where a stream is a TTY. */
  readonly color: boolean;
}

/** A writable terminal-or-pipe stream, as much of it as we use. */
export interface OutStream {
  write(text: string): unknown;
  readonly isTTY?: boolean;
  readonly columns?: number;
}

/** The three standard streams; tests pass their own. */
export interface Stdio {
  readonly stdin: NodeJS.ReadableStream & { readonly isTTY?: boolean };
  readonly stdout: OutStream;
  readonly stderr: OutStream;
}

type Style = 'bold' | 'dim' | 'red' | 'yellow';
const SGR: Record<Style, readonly [number, number]> = {
  bold: [1, 22],
  dim: [2, 22],
  red: [31, 39],
  yellow: [33, 39],
};

/** This process's standard streams. */
export function processStdio(): Stdio {
  return { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr };
}

/** Whether the user allows colors: no --no-color, no NO_COLOR (no-color.org), not a dumb terminal. */
export function colorAllowed(flag: boolean, env: NodeJS.ProcessEnv = process.env): boolean {
  return flag && !env.NO_COLOR && env.TERM !== 'dumb';
}

/** The CLI's printer, created once from the global options. */
export class Output {
  readonly options: OutputOptions;
  /** For prompts (prompt.ts) and commander's own help and usage text. */
  readonly stdio: Stdio;

  constructor(options: OutputOptions, stdio: Stdio = processStdio()) {
    this.options = options;
    this.stdio = stdio;
  }

  /** The command's result: `text(data)` normally, the data as JSON with --json. */
  result<T>(data: T, text: (data: T) => string): void {
    this.stdio.stdout.write(
      this.options.json ? `${JSON.stringify(data, null, 2)}\n` : `${text(data)}\n`,
    );
  }

  /** One item of a stream of results: one line of text, or one JSON object per line (JSON Lines). */
  line<T>(data: T, text: (data: T) => string): void {
    this.stdio.stdout.write(this.options.json ? `${JSON.stringify(data)}\n` : `${text(data)}\n`);
  }

  /** Progress for a person, on stderr; silent with -q. */
  info(message: string): void {
    if (!this.options.quiet) this.stdio.stderr.write(`${message}\n`);
  }

  /** Diagnostics, on stderr; only with -v. */
  debug(message: string): void {
    if (this.options.verbose > 0)
      this.stdio.stderr.write(`${this.#paint('stderr', 'dim', message)}\n`);
  }

  /** Something the user should know even with -q. */
  warn(message: string): void {
    this.stdio.stderr.write(`${this.#paint('stderr', 'yellow', 'warning:')} ${message}\n`);
  }

  /** The one-line report of a failure. */
  error(message: string): void {
    this.stdio.stderr.write(`${this.#paint('stderr', 'red', 'mx-agent:')} ${message}\n`);
  }

  /** Text as commander produced it (help, usage hints), unchanged. */
  write(stream: 'stdout' | 'stderr', text: string): void {
    this.stdio[stream].write(text);
  }

  /** Style text meant for stdout (results), when stdout is a terminal that may show colors. */
  style(style: Style, text: string): string {
    return this.#paint('stdout', style, text);
  }

  /** Columns of a terminal stream, for commander's help wrapping; undefined for pipes. */
  columns(stream: 'stdout' | 'stderr'): number | undefined {
    return this.stdio[stream].isTTY === true ? this.stdio[stream].columns : undefined;
  }

  #paint(stream: 'stdout' | 'stderr', style: Style, text: string): string {
    if (!this.options.color || this.stdio[stream].isTTY !== true) return text;
    const [on, off] = SGR[style];
    return `\u001b[${String(on)}m${text}\u001b[${String(off)}m`;
  }
}

/** Call `handler` when stdout's reader went away (`mx-agent … | head`): not an error. */
export function onClosedStdout(handler: () => void): void {
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') handler();
  });
}
