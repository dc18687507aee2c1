import { xml } from '@xmpp/xml';
import type { XmppSession } from './session.ts';

/** How often we ping the server, and how long it may take to answer. */
export const KEEPALIVE = { intervalMs: 30_000, timeoutMs: 10_000 } as const;

/**
 * XEP-0199 §4.2: ping the server on a quiet schedule; a stream whose server stops answering is
 * dead even if TCP has not noticed yet, so `onDead` is called to drop it. An error reply still
 * proves the server is there. Stops by itself when the stream disconnects.
 */
export function startKeepalive(session: XmppSession, server: string, onDead: () => void): void {
  let timer: NodeJS.Timeout | undefined;
  const schedule = (): void => {
    timer = setTimeout(tick, KEEPALIVE.intervalMs);
  };
  const tick = (): void => {
    const ping = xml('iq', { type: 'get', to: server }, xml('ping', { xmlns: 'urn:xmpp:ping' }));
    session.iqCaller.request(ping, KEEPALIVE.timeoutMs).then(schedule, (error: unknown) => {
      if ((error as { condition?: string }).condition) schedule();
      else onDead();
    });
  };
  session.entity.once('disconnect', () => {
    clearTimeout(timer);
  });
  schedule();
}
