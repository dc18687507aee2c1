import { loginMatrix, tempHome } from '../support/cli.ts';
import { MatrixTestbed } from '../support/matrix-peers.ts';
import { serveScenarios } from '../support/serve-scenarios.ts';
import type { Transport } from '../../src/transport/transport.ts';

serveScenarios('Matrix (dev homeserver, end-to-end encrypted), OpenAI wire format', async () => {
  const bed = await MatrixTestbed.start();
  return {
    provider: 'openai' as const,
    person: async (prefix: string) => {
      const account = await bed.account(prefix);
      const { t } = await bed.connect(account);
      return { transport: t, address: account.userId };
    },
    agent: async (name: string) => {
      const account = await bed.account(name);
      const env = tempHome();
      await loginMatrix(env, 'bot', bed.url, account);
      return {
        toml: '[matrix]\nprofile = "bot"\n',
        env,
        address: account.userId,
        protocolAddress: account.userId,
      };
    },
    room: async (person: Transport, name: string) => {
      const room = bed.workspace(name);
      await person.createWorkspace(room, { public: true });
      return room;
    },
    roomTarget: (_person: Transport, room: string) =>
      Promise.resolve({ kind: 'workspace' as const, workspace: room }),
    isAgent: (from: string, agent: string) => from === agent,
    dispose: () => bed.dispose(),
  };
});
