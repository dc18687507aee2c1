/**
 * The dev homeserver restarts (same port, same data) while a stream, a workflow run and a chat
 * with a serve agent are in flight (the built CLI throughout, end-to-end encrypted): all three
 * finish with nothing lost or delivered twice.
 */
import { matrixServePeople } from '../support/serve-people.ts';
import { serverRestartScenario } from '../support/chaos-restart.ts';
import { loginMatrix } from '../support/cli.ts';
import { MatrixTestbed } from '../support/matrix-peers.ts';

serverRestartScenario('Matrix (dev homeserver, end-to-end encrypted)', async () => {
  const bed = await MatrixTestbed.start();
  return {
    provider: 'openai' as const,
    workspace: () => bed.workspace('restart'),
    account: async (env, profile) => {
      const account = await bed.account(profile);
      await loginMatrix(env, profile, bed.url, account);
      return account.userId;
    },
    ...matrixServePeople(bed),
    stop: () => bed.down(),
    start: () => bed.up(),
    dispose: () => bed.dispose(),
  };
});
