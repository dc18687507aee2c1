import { tempHome } from '../support/cli.ts';
import { prosodyForTests, uniqueUser } from '../support/prosody.ts';
import { serveScenarios } from '../support/serve-scenarios.ts';
import { newAccount } from '../support/xmpp-peers.ts';
import { createXmppTransport } from '../../src/transport/xmpp/index.ts';
import type { Transport } from '../../src/transport/transport.ts';

const server = await prosodyForTests();

if (server)
  serveScenarios('XMPP client (Prosody), Anthropic wire format', () => {
    const open: Transport[] = [];
    let rooms = 0;
    return Promise.resolve({
      provider: 'anthropic' as const,
      person: async (prefix: string) => {
        const options = await newAccount(server, prefix);
        const transport = createXmppTransport(options);
        await transport.connect();
        open.push(transport);
        return { transport, address: options.jid };
      },
      agent: async (name: string) => {
        const user = uniqueUser(name);
        const password = `pw-${user}`;
        await server.register(user, password);
        const jid = `${user}@${server.domain}`;
        return {
          toml: `[server]\nmode = "client"\nhost = "${server.host}"\nport = ${String(server.c2sPort)}\njid = "${jid}"\npassword = "${password}"\ntls = "off"\n`,
          env: tempHome(),
          address: jid,
          protocolAddress: `${jid}/mx-agent`,
        };
      },
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
        await Promise.allSettled(open.map((t) => t.close()));
      },
    });
  });
