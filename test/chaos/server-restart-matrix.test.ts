/**
 * The dev homeserver restarts (same port, same data) while a stream, a workflow run and a chat
 * with a serve agent are in flight (the built CLI throughout, end-to-end encrypted): all three
 * finish with nothing lost or delivered twice.
 */
import { serverRestartScenario } from '../support/chaos-restart.ts';
import { loginMatrix, tempHome } from '../support/cli.ts';
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
    person: async (prefix) => {
      const account = await bed.account(prefix);
      const { t } = await bed.connect(account);
      return { transport: t, address: account.userId };
    },
    agent: async (name) => {
      const account = await bed.account(name);
      const env = tempHome();
      await loginMatrix(env, 'bot', bed.url, account);
      return { toml: '[matrix]\nprofile = "bot"\n', env, address: account.userId };
    },
    isAgent: (from, agent) => from === agent,
    stop: () => bed.down(),
    start: () => bed.up(),
    dispose: () => bed.dispose(),
  };
});
