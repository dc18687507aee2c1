import { loginMatrix, tempHome } from '../support/cli.ts';
import { MatrixTestbed } from '../support/matrix-peers.ts';
import { streamScenarios } from '../support/stream-scenarios.ts';

streamScenarios('Matrix (dev homeserver, end-to-end encrypted)', async () => {
  const bed = await MatrixTestbed.start();
  const env = tempHome();
  return {
    env,
    workspace: () => bed.workspace('stream'),
    account: async (profile) => {
      const account = await bed.account(profile);
      await loginMatrix(env, profile, bed.url, account);
      return account.userId;
    },
    restart: () => bed.restart(500),
    dispose: () => bed.dispose(),
  };
});
