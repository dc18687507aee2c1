import { FakeNetwork } from '../../../src/transport/fake.ts';
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
