import { matrixServePeople } from '../support/serve-people.ts';
import { MatrixTestbed } from '../support/matrix-peers.ts';
import { serveScenarios } from '../support/serve-scenarios.ts';
import type { Transport } from '../../src/transport/transport.ts';

serveScenarios('Matrix (dev homeserver, end-to-end encrypted), OpenAI wire format', async () => {
  const bed = await MatrixTestbed.start();
  return {
    provider: 'openai' as const,
    ...matrixServePeople(bed),
    room: async (person: Transport, name: string) => {
      const room = bed.workspace(name);
      await person.createWorkspace(room, { public: true });
      return room;
    },
    roomTarget: (_person: Transport, room: string) =>
      Promise.resolve({ kind: 'workspace' as const, workspace: room }),
    dispose: () => bed.dispose(),
  };
});
