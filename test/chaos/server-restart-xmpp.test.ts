/**
 * Prosody restarts while a stream, a workflow run and a chat with a serve agent are in flight
 * (the built CLI throughout): all three finish with nothing lost or delivered twice.
 */
import { createXmppTransport } from '../../src/transport/xmpp/index.ts';
import type { Transport } from '../../src/transport/transport.ts';
import { serverRestartScenario } from '../support/chaos-restart.ts';
import { loginNewXmppAccount, tempHome } from '../support/cli.ts';
import { prosodyForTests, uniqueUser } from '../support/prosody.ts';
import { newAccount } from '../support/xmpp-peers.ts';

const server = await prosodyForTests();

if (server) {
  const open: Transport[] = [];
  let rooms = 0;
  serverRestartScenario('XMPP (Prosody)', () =>
    Promise.resolve({
      provider: 'anthropic' as const,
      workspace: () => `restart${String(process.pid)}-${String(++rooms)}@${server.mucDomain}`,
      account: (env, profile) => loginNewXmppAccount(env, profile, server, uniqueUser(profile)),
      person: async (prefix) => {
        const options = await newAccount(server, prefix);
        const transport = createXmppTransport(options);
        await transport.connect();
        open.push(transport);
        return { transport, address: options.jid };
      },
      agent: async (name) => {
        const user = uniqueUser(name);
        const password = `pw-${user}`;
        await server.register(user, password);
        const jid = `${user}@${server.domain}`;
        return {
          toml: `[server]\nmode = "client"\nhost = "${server.host}"\nport = ${String(server.c2sPort)}\njid = "${jid}"\npassword = "${password}"\ntls = "off"\n`,
          env: tempHome(),
          address: jid,
        };
      },
      isAgent: (from, agent) => from.split('/')[0] === agent,
      stop: () => server.stop(),
      start: () => server.start(),
      dispose: async () => {
        await Promise.allSettled(open.map((t) => t.close()));
      },
    }),
  );
}
