import { test } from 'node:test';
import { transportContract } from '../../contract/transport-contract.ts';
import { prosodyForTests } from '../../support/prosody.ts';
import { newPeer } from '../../support/xmpp-peers.ts';

const server = await prosodyForTests();
if (!server) {
  test('transport contract: xmpp', (t) => {
    t.skip('prosody not installed: apt-get install prosody');
  });
} else {
  let rooms = 0;
  transportContract('xmpp (Prosody)', () =>
    Promise.resolve({
      newPeer: () => newPeer(server),
      newWorkspace: () => `contract${String(process.pid)}-${String(++rooms)}@${server.mucDomain}`,
      malformedAddress: 'alice',
      interrupt: () => server.restart(),
      dispose: () => server.stop(),
      ordersAcrossOutage: false,
    }),
  );
}
