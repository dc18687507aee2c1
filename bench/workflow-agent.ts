/**
 * One party of the workflow benchmark in a process of its own, as in a real deployment (and so
 * that two cores are shared the way two machines' worth of agents would share them): a worker
 * (`role: 'worker'`) on its own XMPP or Matrix account, or the dev homeserver
 * (`role: 'homeserver'`). Started by bench/workflow.ts with `fork`, driven over IPC: the first
 * message configures it, it answers `ready`, forwards its timeline marks, answers `ping` with
 * `pong` (every mark sent before has then arrived), and stops on `stop`.
 */
import { startHomeserver } from '../src/devserver/homeserver.ts';
import {
  createMatrixTransport,
  type MatrixTransportOptions,
} from '../src/transport/matrix/index.ts';
import type { Transport } from '../src/transport/transport.ts';
import { createXmppTransport, type XmppTransportOptions } from '../src/transport/xmpp/index.ts';
import { tapTransport, type Mark } from './workflow-timeline.ts';
import { startBenchWorker, type Requester } from './workflow-worker.ts';

/** What the parent sends first. */
export type AgentConfig =
  | {
      readonly role: 'worker';
      readonly network:
        | { readonly kind: 'xmpp'; readonly options: XmppTransportOptions }
        | { readonly kind: 'matrix'; readonly options: MatrixTransportOptions };
      readonly stateDir: string;
      readonly workDir: string;
      readonly requester: Omit<Requester, 'log'>;
    }
  | { readonly role: 'homeserver'; readonly dataDir: string };

/** What the child says. */
export type AgentMessage =
  | {
      readonly type: 'ready';
      readonly agent: string;
      readonly address: string;
      readonly publicKey: string;
    }
  | { readonly type: 'ready'; readonly url: string }
  | {
      readonly type: 'mark';
      readonly nonce: string;
      readonly mark: Mark;
      readonly at: number;
      readonly durationMs?: number;
    }
  | { readonly type: 'pong' }
  | { readonly type: 'failed'; readonly error: string };

/** What the parent says after the configuration. */
export type ParentMessage = { readonly type: 'ping' } | { readonly type: 'stop' };

const tell = (message: AgentMessage): void => {
  process.send?.(message);
};

async function serve(config: AgentConfig): Promise<() => Promise<void>> {
  if (config.role === 'homeserver') {
    const hs = await startHomeserver({ dataDir: config.dataDir, port: 0 });
    tell({ type: 'ready', url: hs.url });
    return () => hs.close();
  }
  const { network } = config;
  const transport: Transport =
    network.kind === 'xmpp'
      ? createXmppTransport(network.options)
      : createMatrixTransport(network.options);
  await transport.connect({ timeoutMs: 30_000 });
  const marks = {
    request: () => undefined,
    markNonce: (nonce: string, mark: Mark, at: number, durationMs?: number) => {
      tell({ type: 'mark', nonce, mark, at, ...(durationMs === undefined ? {} : { durationMs }) });
    },
  };
  const worker = startBenchWorker(tapTransport(transport, marks), config.stateDir, config.workDir, {
    ...config.requester,
    log: (message) => {
      process.stderr.write(`[workflow bench] ${message}\n`);
    },
  });
  tell({
    type: 'ready',
    agent: worker.agent,
    address: transport.address,
    publicKey: worker.key.publicRaw,
  });
  return async () => {
    await worker.stop();
    await transport.close();
  };
}

process.once('message', (config: AgentConfig) => {
  serve(config).then(
    (stop) => {
      process.on('message', (message: ParentMessage) => {
        if (message.type === 'ping') tell({ type: 'pong' });
        else
          void stop()
            .catch(() => undefined)
            .finally(() => process.exit(0));
      });
    },
    (error: unknown) => {
      tell({
        type: 'failed',
        error: error instanceof Error ? (error.stack ?? error.message) : String(error),
      });
      process.exit(1);
    },
  );
});
