import { runCli, tempHome } from '../support/cli.ts';
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
        const r = await runCli(
          [
            '--profile',
            profile,
            'login',
            'xmpp',
            '--jid',
            jid,
            '--host',
            server.host,
            '--port',
            String(server.c2sPort),
            '--tls',
            'off',
            '--password-stdin',
          ],
          env,
          `${password}\n`,
        );
        if (r.code !== 0) throw new Error(`login ${profile}: ${r.stderr}`);
        return jid;
      },
      restart: () => server.restart(),
      dispose: () => Promise.resolve(),
    });
  });
