/**
 * The parent's side of bench/workflow-agent.ts: start a party in its own process, wait until
 * it is ready, collect its timeline marks, and stop it.
 */
import { fork, type ChildProcess } from 'node:child_process';
import type { AgentConfig, AgentMessage, ParentMessage } from './workflow-agent.ts';
import type { MarkSink } from './workflow-timeline.ts';

const READY_TIMEOUT_MS = 60_000;

/** A running party and what it said when ready. */
export interface ForkedAgent<R> {
  readonly ready: R;
  /** Resolves once every mark the party sent before has arrived. */
  settle(): Promise<void>;
  stop(): Promise<void>;
}

type Ready = Extract<AgentMessage, { type: 'ready' }>;

/** Start `config` in a new process; its marks go to `marks`. */
export async function forkAgent<R extends Ready>(
  config: AgentConfig,
  marks?: MarkSink,
): Promise<ForkedAgent<R>> {
  const child: ChildProcess = fork(new URL('./workflow-agent.ts', import.meta.url), {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const ready = Promise.withResolvers<R>();
  let pong: (() => void) | undefined;
  child.on('message', (message: AgentMessage) => {
    if (message.type === 'ready') ready.resolve(message as R);
    else if (message.type === 'mark')
      marks?.markNonce(message.nonce, message.mark, message.at, message.durationMs);
    else if (message.type === 'pong') pong?.();
    else ready.reject(new Error(`a ${config.role} failed to start: ${message.error}`));
  });
  const exited = new Promise<void>((resolve) =>
    child.once('exit', () => {
      resolve();
    }),
  );
  void exited.then(() => {
    ready.reject(new Error(`a ${config.role} exited before it was ready`));
  });
  const timer = setTimeout(() => {
    ready.reject(
      new Error(`a ${config.role} was not ready within ${String(READY_TIMEOUT_MS / 1000)} s`),
    );
  }, READY_TIMEOUT_MS);
  const say = (message: ParentMessage | AgentConfig): void => {
    child.send(message);
  };
  say(config);
  try {
    const answer = await ready.promise;
    return {
      ready: answer,
      settle: () => {
        const done = new Promise<void>((resolve) => {
          pong = resolve;
        });
        say({ type: 'ping' });
        return done;
      },
      stop: async () => {
        say({ type: 'stop' });
        const killer = setTimeout(() => child.kill('SIGKILL'), 15_000);
        await exited;
        clearTimeout(killer);
      },
    };
  } catch (error) {
    child.kill('SIGKILL');
    throw error;
  } finally {
    clearTimeout(timer);
  }
}
