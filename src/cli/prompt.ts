/**
 * Reading secrets and text from the user: a no-echo prompt on a terminal, or stdin for scripts.
 * Secrets never come from argv, where other users of the machine can read them (ps, /proc).
 */
import { createInterface } from 'node:readline';
import { Writable } from 'node:stream';
import { InterruptedError, UsageError } from '../errors.ts';
import type { Stdio } from './output.ts';

/** What a prompt asks for, and the flag a script uses instead. */
export interface SecretRequest {
  /** e.g. "password for alice@example.org" */
  readonly question: string;
  /** e.g. "--password-stdin" */
  readonly stdinFlag: string;
}

/**
 * Ask for a secret on the terminal without echoing it. The question goes to stderr, so stdout
 * stays clean for results. Without a terminal, a UsageError names the flag to pipe it in.
 */
export async function promptSecret(request: SecretRequest, stdio: Stdio): Promise<string> {
  if (stdio.stdin.isTTY !== true) {
    throw new UsageError(
      `cannot ask for the ${request.question}: stdin is not a terminal; pipe it in with ${request.stdinFlag}`,
    );
  }
  let muted = false;
  // readline echoes typed characters to its output; this one drops them while muted.
  const output = new Writable({
    write(chunk: Buffer, _encoding, done) {
      if (!muted) stdio.stderr.write(chunk.toString());
      done();
    },
  });
  const rl = createInterface({ input: stdio.stdin, output, terminal: true });
  try {
    return await new Promise<string>((resolve, reject) => {
      // In raw mode Ctrl-C arrives as a keystroke, not as a signal to the process.
      rl.once('SIGINT', () => {
        reject(new InterruptedError('interrupted at the prompt'));
      });
      rl.once('close', () => {
        reject(new UsageError(`no ${request.question} given`));
      });
      rl.question(`${request.question}: `, (answer) => {
        resolve(answer);
      });
      muted = true;
    }).then((answer) => {
      if (answer === '') throw new UsageError(`expected a ${request.question}, got an empty line`);
      return answer;
    });
  } finally {
    muted = false;
    stdio.stderr.write('\n');
    rl.close();
  }
}

/** Read all of stdin as text, minus one trailing newline; UsageError when nothing came. */
export async function readStdinText(what: string, stdin: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stdin)
    chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
  const text = Buffer.concat(chunks)
    .toString('utf8')
    .replace(/\r?\n$/, '');
  if (text === '') throw new UsageError(`expected the ${what} on stdin, got nothing`);
  return text;
}

/** A secret piped on stdin (`--password-stdin`, `--secret-stdin`). */
export async function readSecretFromStdin(what: string, stdio: Stdio): Promise<string> {
  return readStdinText(what, stdio.stdin);
}

/**
 * Ask a yes/no question on the terminal; false unless the answer starts with y. Without a TTY
 * it throws UsageError naming the flag that answers yes in advance.
 */
export async function confirm(question: string, yesFlag: string, stdio: Stdio): Promise<boolean> {
  if (stdio.stdin.isTTY !== true) {
    throw new UsageError(`${question} — no terminal to ask on; pass ${yesFlag} to confirm`);
  }
  return askYesNo(question, stdio);
}

/**
 * Ask a question and read one line of answer from stdin, terminal or pipe (so a script or a
 * coding agent can answer too); true when it starts with y. Stdin closing counts as no.
 */
export async function askYesNo(question: string, stdio: Stdio): Promise<boolean> {
  stdio.stderr.write(`${question} [y/N] `);
  const rl = createInterface({ input: stdio.stdin, terminal: false });
  const answer = await new Promise<string>((resolve) => {
    rl.once('line', resolve);
    rl.once('close', () => {
      resolve('');
    });
  });
  rl.close();
  return /^y(es)?$/i.test(answer.trim());
}
