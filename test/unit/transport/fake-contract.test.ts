import { FakeNetwork } from '../../../src/transport/fake.ts';
import { chatContract } from '../../contract/chat-contract.ts';
import { transportContract } from '../../contract/transport-contract.ts';

transportContract('fake', () => {
  const net = new FakeNetwork();
  let peers = 0;
  let rooms = 0;
  return Promise.resolve({
    newPeer: () => Promise.resolve(net.transport(`peer${String(++peers)}`)),
    newWorkspace: () => `#room${String(++rooms)}`,
    malformedAddress: 'alice',
    interrupt: () => net.interrupt(100),
    dispose: () => Promise.resolve(),
    ordersAcrossOutage: true,
  });
});

chatContract('fake', () => {
  const net = new FakeNetwork();
  let peers = 0;
  let rooms = 0;
  return Promise.resolve({
    newPeer: () => Promise.resolve(net.transport(`chat${String(++peers)}`)),
    newWorkspace: () => `#chat${String(++rooms)}`,
    answerConfirm: async (to: string, confirm: string, decision: 'approve' | 'deny') => {
      const person = net.transport(`person${String(++peers)}`);
      await person.connect();
      await person.postAsClient({ kind: 'direct', address: to }, { confirm, decision });
      return person.address;
    },
    dispose: () => Promise.resolve(),
  });
});
