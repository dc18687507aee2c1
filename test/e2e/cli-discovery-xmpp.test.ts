import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loginNewXmppAccount } from '../support/cli.ts';
import { discoveryScenarios, filesSince, filesUnder } from '../support/discovery-scenarios.ts';
import { prosodyForTests, uniqueUser } from '../support/prosody.ts';

const server = await prosodyForTests();

if (server)
  discoveryScenarios('XMPP (Prosody)', () => {
    let rooms = 0;
    const data = join(server.dir, 'data');
    return Promise.resolve({
      workspace: () => `agents${String(process.pid)}-${String(++rooms)}@${server.mucDomain}`,
      account: (env, profile) => loginNewXmppAccount(env, profile, server, uniqueUser(profile)),
      // Prosody's file storage: accounts, PEP, the rooms' archives (MAM) and uploads.
      storedFiles: () => filesUnder(data),
      tamperUploads: (since) => {
        const uploads = filesSince(data, since).filter((f) => f.includes('http_file_share'));
        for (const file of uploads) {
          const bytes = readFileSync(file);
          bytes[bytes.length >> 1] = (bytes[bytes.length >> 1] ?? 0) ^ 0xff;
          writeFileSync(file, bytes);
        }
        return uploads.length;
      },
      dispose: () => Promise.resolve(),
    });
  });
