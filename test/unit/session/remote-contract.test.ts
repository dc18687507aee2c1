/**
 * The transport contract, run through the session host: every peer is a RemoteTransport
 * talking over a real Unix socket to a SessionHost that serves a FakeTransport. Passing the same
 * suite as the bare fake is what shows the host is transparent.
 */
import { FakeNetwork } from '../../../src/transport/fake.ts';
import type { SessionHost } from '../../../src/session/host.ts';
import { chatContract } from '../../contract/chat-contract.ts';
import { transportContract } from '../../contract/transport-contract.ts';
import { clientOf, serveTransport, tempDir } from '../../support/session.ts';

transportContract('fake behind a session host', () => {
  const net = new FakeNetwork();
  const { dir, cleanup } = tempDir();
  const hosts: SessionHost[] = [];
  let peers = 0;
  let rooms = 0;
  return Promise.resolve({
    newPeer: async () => {
      const transport = net.transport(`peer${String(++peers)}`);
      await transport.connect();
      const host = await serveTransport(transport, dir);
      hosts.push(host);
      return clientOf(host);
    },
    newWorkspace: () => `#room${String(++rooms)}`,
    malformedAddress: 'alice',
    interrupt: () => net.interrupt(100),
    dispose: async () => {
      await Promise.all(hosts.map((host) => host.stop('test over')));
      cleanup();
    },
    ordersAcrossOutage: true,
    // Only the host's own transport answers agent requests; its clients ask through it.
    newAnsweringPeer: () => Promise.resolve(net.transport(`peer${String(++peers)}`)),
  });
});

chatContract('fake behind a session host', () => {
  const net = new FakeNetwork();
  const { dir, cleanup } = tempDir();
  const hosts: SessionHost[] = [];
  let peers = 0;
  let rooms = 0;
  return Promise.resolve({
    newPeer: async () => {
      const transport = net.transport(`chat${String(++peers)}`);
      await transport.connect();
      const host = await serveTransport(transport, dir);
      hosts.push(host);
      return clientOf(host);
    },
    newWorkspace: () => `#chat${String(++rooms)}`,
    answerConfirm: async (to: string, confirm: string, decision: 'approve' | 'deny') => {
      const person = net.transport(`person${String(++peers)}`);
      await person.connect();
      await person.postAsClient({ kind: 'direct', address: to }, { confirm, decision });
      return person.address;
    },
    dispose: async () => {
      await Promise.all(hosts.map((host) => host.stop('test over')));
      cleanup();
    },
  });
});
