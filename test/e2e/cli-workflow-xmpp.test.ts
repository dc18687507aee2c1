import { loginNewXmppAccount } from '../support/cli.ts';
import { prosodyForTests, uniqueUser } from '../support/prosody.ts';
import { workflowScenarios } from '../support/workflow-scenarios.ts';

const server = await prosodyForTests();

if (server) {
  let rooms = 0;
  workflowScenarios('XMPP (Prosody)', () =>
    Promise.resolve({
      workspace: () => `wf${String(process.pid)}-${String(++rooms)}@${server.mucDomain}`,
      account: (env, profile) => loginNewXmppAccount(env, profile, server, uniqueUser(profile)),
      dispose: () => Promise.resolve(),
    }),
  );
}
