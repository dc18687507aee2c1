import { runCli, tempHome } from '../support/cli.ts';
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
      const r = await runCli(
        [
          '--profile',
          profile,
          'login',
          'matrix',
          '--homeserver',
          bed.url,
          '--user',
          account.userId,
          '--password-stdin',
        ],
        env,
        `${account.password}\n`,
      );
      if (r.code !== 0) throw new Error(`login ${profile}: ${r.stderr}`);
      return account.userId;
    },
    restart: () => bed.restart(500),
    dispose: () => bed.dispose(),
  };
});
