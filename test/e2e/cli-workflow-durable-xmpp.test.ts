import { loginNewXmppAccount } from '../support/cli.ts';
import { prosodyForTests, uniqueUser } from '../support/prosody.ts';
import { durableRunScenarios } from '../support/workflow-durable-scenarios.ts';

const server = await prosodyForTests();

if (server) {
  let rooms = 0;
  durableRunScenarios('XMPP (Prosody)', () =>
    Promise.resolve({
      workspace: () => `wfd${String(process.pid)}-${String(++rooms)}@${server.mucDomain}`,
      account: (env, profile) => loginNewXmppAccount(env, profile, server, uniqueUser(profile)),
      dispose: () => Promise.resolve(),
    }),
  );
}
