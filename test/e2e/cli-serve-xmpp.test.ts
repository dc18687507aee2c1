import { prosodyForTests } from '../support/prosody.ts';
import { serveScenarios } from '../support/serve-scenarios.ts';
import { xmppServePeople } from '../support/serve-people.ts';
import type { Transport } from '../../src/transport/transport.ts';

const server = await prosodyForTests();

if (server)
  serveScenarios('XMPP client (Prosody), Anthropic wire format', () => {
    const people = xmppServePeople(server);
    let rooms = 0;
    return Promise.resolve({
      provider: 'anthropic' as const,
      ...people,
      room: async (person: Transport, name: string) => {
        const room = `${name}${String(process.pid)}-${String(++rooms)}@${server.mucDomain}`;
        await person.createWorkspace(room, { public: true });
        return room;
      },
      roomTarget: (_person: Transport, room: string) =>
        Promise.resolve({ kind: 'workspace' as const, workspace: room }),
      isAgent: (from: string, agent: string, room?: string) =>
        room === undefined ? from.split('/')[0] === agent : from === `${room}/helper`,
      dispose: async () => {
        await people.close();
      },
    });
  });
