import { loginMatrix } from '../support/cli.ts';
import { MatrixTestbed } from '../support/matrix-peers.ts';
import { durableRunScenarios } from '../support/workflow-durable-scenarios.ts';

durableRunScenarios('Matrix (dev homeserver, end-to-end encrypted)', async () => {
  const bed = await MatrixTestbed.start();
  return {
    workspace: () => bed.workspace('wfd'),
    account: async (env, profile) => {
      const account = await bed.account(profile);
      await loginMatrix(env, profile, bed.url, account);
      return account.userId;
    },
    dispose: () => bed.dispose(),
  };
});
