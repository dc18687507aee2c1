/**
 * Prosody restarts while a stream, a workflow run and a chat with a serve agent are in flight
 * (the built CLI throughout): all three finish with nothing lost or delivered twice.
 */
import { serverRestartScenario } from '../support/chaos-restart.ts';
import { loginNewXmppAccount } from '../support/cli.ts';
import { prosodyForTests, uniqueUser } from '../support/prosody.ts';
import { xmppServePeople } from '../support/serve-people.ts';

const server = await prosodyForTests();

if (server) {
  const people = xmppServePeople(server);
  let rooms = 0;
  serverRestartScenario('XMPP (Prosody)', () =>
    Promise.resolve({
      provider: 'anthropic' as const,
      workspace: () => `restart${String(process.pid)}-${String(++rooms)}@${server.mucDomain}`,
      account: (env, profile) => loginNewXmppAccount(env, profile, server, uniqueUser(profile)),
      ...people,
      stop: () => server.stop(),
      start: () => server.start(),
      dispose: () => people.close(),
    }),
  );
}
