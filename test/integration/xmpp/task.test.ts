import { PROSODY_MISSING, prosodyForTests } from '../../support/prosody.ts';
import { taskScenarios } from '../../support/task-scenarios.ts';
import { newPeer } from '../../support/xmpp-peers.ts';
import { describe, it } from 'node:test';

const server = await prosodyForTests();

if (server)
  taskScenarios('XMPP (Prosody)', async () => {
    const worker = await newPeer(server, 'worker');
    const boss = await newPeer(server, 'boss');
    await Promise.all([worker.connect(), boss.connect()]);
    return {
      worker,
      boss,
      dispose: async () => {
        await Promise.all([worker.close(), boss.close()]);
      },
    };
  });
else
  describe('task protocol over XMPP', () =>
    it('needs Prosody', { skip: PROSODY_MISSING }, () => undefined));
