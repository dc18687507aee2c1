import { loginXmpp, tempHome } from '../support/cli.ts';
import { prosodyForTests, uniqueUser } from '../support/prosody.ts';
import { streamScenarios } from '../support/stream-scenarios.ts';

const server = await prosodyForTests();

if (server)
  streamScenarios('XMPP (Prosody)', () => {
    const env = tempHome();
    let rooms = 0;
    return Promise.resolve({
      env,
      workspace: () =>
        `stream${String(process.pid)}-${String(++rooms)}@conference.${server.domain}`,
      account: async (profile) => {
        const user = uniqueUser(profile);
        const password = `secret-${user}-pw`;
        await server.register(user, password);
        const jid = `${user}@${server.domain}`;
        await loginXmpp(env, profile, server, { jid, password });
        return jid;
      },
      restart: () => server.restart(),
      dispose: () => Promise.resolve(),
    });
  });
