import { createInterface } from 'node:readline';
import { Writable } from 'node:stream';
import { UsageError } from '../errors.ts';

/** Read a secret typed at the terminal without echoing it. */
export async function promptSecret(question: string): Promise<string> {
  if (!process.stdin.isTTY) {
    throw new UsageError(
      `${question.replace(/:\s*$/, '')} is needed but stdin is not a terminal; pipe it in with --password-stdin (or --secret-stdin)`,
    );
  }
  let muted = false;
  const output = new Writable({
    write(chunk: Buffer, _encoding, done) {
      if (!muted) process.stderr.write(chunk);
      done();
    },
  });
  const rl = createInterface({ input: process.stdin, output, terminal: true });
  try {
    process.stderr.write(question);
    muted = true;
    const answer = await new Promise<string>((resolve) => {
      rl.question('', resolve);
    });
    process.stderr.write('\n');
    if (!answer) throw new UsageError('expected a non-empty secret, got an empty line');
    return answer;
  } finally {
    rl.close();
  }
}

/** Read a secret piped on stdin: everything up to EOF, minus one trailing newline. */
export async function readSecretFromStdin(
  what: string,
  stdin: NodeJS.ReadableStream = process.stdin,
): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stdin) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk));
  const secret = Buffer.concat(chunks)
    .toString('utf8')
    .replace(/\r?\n$/, '');
  if (!secret) throw new UsageError(`expected the ${what} on stdin, got nothing`);
  return secret;
}
