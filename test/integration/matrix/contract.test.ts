import { transportContract } from '../../contract/transport-contract.ts';
import { MatrixTestbed } from '../../support/matrix-peers.ts';

transportContract('matrix (dev homeserver, end-to-end encrypted)', async () => {
  const bed = await MatrixTestbed.start();
  return {
    newPeer: () => bed.peer(),
    newWorkspace: () => bed.workspace('contract'),
    malformedAddress: 'alice',
    interrupt: () => bed.restart(1_000),
    dispose: () => bed.dispose(),
    ordersAcrossOutage: true,
  };
});
