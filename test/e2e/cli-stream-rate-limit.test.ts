/**
 * A 5 MB burst through `mx-agent stream` on a homeserver that rate-limits like Synapse
 * (429 M_LIMIT_EXCEEDED with retry_after_ms): it must arrive complete and exact, in few events.
 */
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { loginMatrix, runCli, stopHosts, tempHome } from '../support/cli.ts';
import { share, start } from '../support/stream-scenarios.ts';
import { MatrixTestbed } from '../support/matrix-peers.ts';

const sha = (data: Uint8Array): string => createHash('sha256').update(data).digest('hex');

describe('mx-agent stream under a rate-limited homeserver', () => {
  let bed: MatrixTestbed;
  const env = tempHome();
  const dir = mkdtempSync(join(tmpdir(), 'mx-stream-rl-'));
  const file = join(dir, 'burst.bin');
  const burst = randomBytes(5 * 1024 * 1024);
  writeFileSync(file, burst);

  before(async () => {
    // Room sends refill at 2 per second after a burst of 10: a 5 MB burst in 23 KiB events
    // would need over 200 of them.
    bed = await MatrixTestbed.start({ perSecond: 2, burst: 10 });
    for (const profile of ['alice', 'bob'])
      await loginMatrix(env, profile, bed.url, await bed.account(profile));
  });
  after(async () => {
    await stopHosts(env);
    await bed.dispose();
  });

  it('delivers a 5 MB burst complete and exact, in a handful of events', async (t) => {
    const ws = bed.workspace('burst');
    // bob is in the room before the stream starts, so the keys of its first events reach him.
    const joined = await runCli(['--profile', 'bob', 'send', ws, 'here to watch'], env);
    assert.equal(joined.code, 0, joined.stderr);
    const sharer = await share(env, 'alice', [
      '--to',
      ws,
      '--pipe',
      '--',
      'sh',
      '-c',
      `sleep 2; cat ${file}`,
    ]);
    const viewer = start(
      ['--profile', 'bob', 'stream', 'attach', ws, '--stream', sharer.id, '--from-start'],
      env,
    );
    assert.equal(await sharer.closed, 0, sharer.stderr());
    assert.equal(await viewer.closed, 0, viewer.stderr());
    const seen = viewer.stdout();
    if (sha(seen) !== sha(burst)) {
      let at = 0;
      while (at < seen.length && seen[at] === burst[at]) at++;
      assert.fail(
        `${String(seen.length)} bytes seen, ${String(burst.length)} sent, first difference at ${String(at)}; ${viewer.stderr()}`,
      );
    }
    assert.match(viewer.stderr(), /sha256 verified/);
    const sharerErr = sharer.stderr();
    const events = Number(/(\d+) events/.exec(sharerErr)?.[1]);
    t.diagnostic(/stream \S+ ended: .*/.exec(sharerErr)?.[0] ?? sharerErr);
    assert.ok(events > 0 && events <= 40, `5 MB took ${String(events)} events: ${sharerErr}`);
  });
});
