import { DatabaseSync } from 'node:sqlite';
import { join } from 'node:path';
import { loginMatrix } from '../support/cli.ts';
import { discoveryScenarios, filesUnder } from '../support/discovery-scenarios.ts';
import { MatrixTestbed } from '../support/matrix-peers.ts';

discoveryScenarios('Matrix (dev homeserver, end-to-end encrypted)', async () => {
  const bed = await MatrixTestbed.start();
  return {
    workspace: () => bed.workspace('agents'),
    account: async (env, profile) => {
      const account = await bed.account(profile);
      await loginMatrix(env, profile, bed.url, account);
      return account.userId;
    },
    storedFiles: () => filesUnder(join(bed.dir, 'hs')),
    tamperUploads: (since) => {
      const db = new DatabaseSync(join(bed.dir, 'hs', 'homeserver.sqlite'));
      try {
        const rows = db
          .prepare('SELECT media_id, data FROM media WHERE created_ts >= ?')
          .all(since - 1000) as { media_id: string; data: Uint8Array }[];
        for (const row of rows) {
          const data = Buffer.from(row.data);
          data[data.length >> 1] = (data[data.length >> 1] ?? 0) ^ 0xff;
          db.prepare('UPDATE media SET data = ? WHERE media_id = ?').run(data, row.media_id);
        }
        return rows.length;
      } finally {
        db.close();
      }
    },
    dispose: () => bed.dispose(),
  };
});
