/**
 * The chat of the server-restart chaos test: a person who keeps writing numbered messages to a
 * serve agent through the restarts, and checks that each is answered once, in order.
 */
import type { Target, Transport } from '../../src/transport/transport.ts';
import { countOf, type Workload } from './chaos-restart-workloads.ts';
import { Conversation, say } from './serve-harness.ts';

/**
 * A person who sends `m1`, `m2`, … to a serve agent every 300 ms until released, as someone
 * typing goes on typing while their client is offline (each send is queued by the transport).
 */
export function chatWorkload(
  person: Transport,
  to: Target,
  isAgent: (from: string) => boolean,
): Workload {
  const conversation = new Conversation(person, isAgent);
  const progress: number[] = [];
  let shown = 0;
  const notes: string[] = [];
  person.subscribe((event) => {
    if (event.type === 'rejected' || event.type === 'connection')
      notes.push(`${new Date().toISOString()} ${JSON.stringify(event)}`);
    const n = conversation.messages().length;
    if (n > shown) progress.push(Date.now());
    shown = n;
  });
  let sent = 0;
  let stopping = false;
  const failures: string[] = [];
  const sends: Promise<void>[] = [];
  let over = false;
  const answers = (): string[] =>
    conversation
      .messages()
      .filter((m) => !m.endsWith(' …'))
      .map((m) => m.replace(/^echo: /, ''));
  const expected = (): string[] => Array.from({ length: sent }, (_, i) => `m${String(i + 1)}`);
  const done = (async () => {
    while (!stopping) {
      const text = `m${String(++sent)}`;
      sends.push(
        say(person, to, text).catch((error: unknown) => {
          failures.push(`${text}: ${String(error)}`);
        }),
      );
      await new Promise((resolve) => setTimeout(resolve, 300));
    }
    await Promise.all(sends);
    const deadline = Date.now() + 60_000;
    while (answers().length < sent && Date.now() < deadline && !over)
      await new Promise((resolve) => setTimeout(resolve, 100));
    // Anything more (a duplicate) would come right behind the last answer.
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    over = true;
  })();
  return {
    name: 'chat',
    progress,
    ready: () => answers().length >= 2,
    finished: () => over,
    done,
    release: () => {
      stopping = true;
    },
    abort: () => {
      stopping = true;
      over = true;
    },
    figures: () => {
      const seen = answers();
      const problems = [...failures];
      if (seen.join(' ') !== expected().join(' '))
        problems.push(`answers are not m1…m${String(sent)} in order`);
      return { what: 'messages', checked: sent, ...countOf(expected(), seen), problems };
    },
    show: () => `${JSON.stringify(conversation.messages())}\n${notes.join('\n')}`,
  };
}
