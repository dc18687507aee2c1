import { loginMatrix } from '../support/cli.ts';
import { MatrixTestbed } from '../support/matrix-peers.ts';
import { workflowScenarios } from '../support/workflow-scenarios.ts';

workflowScenarios('Matrix (dev homeserver, end-to-end encrypted)', async () => {
  const bed = await MatrixTestbed.start();
  return {
    workspace: () => bed.workspace('wf'),
    account: async (env, profile) => {
      const account = await bed.account(profile);
      await loginMatrix(env, profile, bed.url, account);
      return account.userId;
    },
    dispose: () => bed.dispose(),
  };
});
