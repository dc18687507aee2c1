/**
 * The baseline of bench/serve.ts: the barest chat bot on the same transport — every direct
 * text is answered at once with the same text. Options come as JSON in ECHO_BOT
 * (`{"network":"xmpp"|"matrix","options":{…}}`); prints "ready" on stdout once connected.
 */
import type { Transport } from '../src/transport/transport.ts';

const { network, options } = JSON.parse(process.env.ECHO_BOT ?? '{}') as {
  network: 'xmpp' | 'matrix';
  options: Record<string, unknown>;
};

async function open(): Promise<Transport> {
  if (network === 'matrix') {
    const { createMatrixTransport } = await import('../src/transport/matrix/index.ts');
    return createMatrixTransport(options as never);
  }
  const { createXmppTransport } = await import('../src/transport/xmpp/index.ts');
  return createXmppTransport(options as never);
}

const transport = await open();
transport.subscribe((event) => {
  if (event.type !== 'text' || event.target.kind !== 'direct') return;
  transport
    .send({ kind: 'direct', address: event.from }, { type: 'text', text: `echo: ${event.text}` })
    .catch((error: unknown) => {
      process.stderr.write(`echo failed: ${String(error)}\n`);
    });
});
await transport.connect();
process.stdout.write('ready\n');
process.on('SIGTERM', () => {
  void transport.close().then(() => process.exit(0));
});
