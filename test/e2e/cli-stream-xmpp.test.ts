import { loginNewXmppAccount, tempHome } from '../support/cli.ts';
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
      account: (profile) => loginNewXmppAccount(env, profile, server, uniqueUser(profile)),
      restart: () => server.restart(),
      dispose: () => Promise.resolve(),
    });
  });
