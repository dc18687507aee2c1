/**
 * The question `trust pair` asks: the code, and whether the other screen shows the same one.
 * Unlike prompt.ts's askYesNo it stops when the pairing does (the peer cancelled, the deadline
 * passed, Ctrl-C), so a person is never left answering a question that no longer matters.
 */
import { createInterface } from 'node:readline';
import type { PairingPeer } from '../../security/pairing-exchange.ts';
import type { Stdio } from '../output.ts';

/** Show the code on stderr and ask; true only for y or yes. Rejects with the signal's reason. */
export async function askCodesMatch(
  code: string,
  peer: PairingPeer,
  stdio: Stdio,
  signal: AbortSignal,
): Promise<boolean> {
  signal.throwIfAborted();
  stdio.stderr.write(
    `\nPairing with ${peer.agent} (${peer.address}), key ${peer.fingerprint}\n\n` +
      `    ${code}\n\n` +
      'Compare this code with the one on the other screen.\n' +
      'Do the codes match? [y/N] ',
  );
  const rl = createInterface({ input: stdio.stdin, terminal: false });
  const { promise, resolve, reject } = Promise.withResolvers<boolean>();
  const onAbort = (): void => {
    stdio.stderr.write('\n');
    reject(signal.reason);
  };
  signal.addEventListener('abort', onAbort, { once: true });
  rl.once('line', (answer) => {
    resolve(/^y(es)?$/i.test(answer.trim()));
  });
  rl.once('close', () => {
    resolve(false);
  });
  try {
    return await promise;
  } finally {
    signal.removeEventListener('abort', onAbort);
    rl.close();
  }
}
