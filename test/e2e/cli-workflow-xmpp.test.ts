import { loginXmpp } from '../support/cli.ts';
import { prosodyForTests, uniqueUser } from '../support/prosody.ts';
import { workflowScenarios } from '../support/workflow-scenarios.ts';

const server = await prosodyForTests();

if (server) {
  let rooms = 0;
  workflowScenarios('XMPP (Prosody)', () =>
    Promise.resolve({
      workspace: () => `wf${String(process.pid)}-${String(++rooms)}@${server.mucDomain}`,
      account: async (env, profile) => {
        const user = uniqueUser(profile);
        const password = `secret-${user}-pw`;
        await server.register(user, password);
        const jid = `${user}@${server.domain}`;
        await loginXmpp(env, profile, server, { jid, password });
        return jid;
      },
      dispose: () => Promise.resolve(),
    }),
  );
}
