import { MatrixTestbed } from '../../support/matrix-peers.ts';
import { taskScenarios } from '../../support/task-scenarios.ts';

taskScenarios('Matrix (dev homeserver, end-to-end encrypted)', async () => {
  const bed = await MatrixTestbed.start();
  const worker = await bed.peer({ encryption: true });
  const boss = await bed.peer({ encryption: true });
  await Promise.all([worker.connect(), boss.connect()]);
  return {
    worker,
    boss,
    dispose: async () => {
      await Promise.all([worker.close(), boss.close()]);
      await bed.dispose();
    },
  };
});
