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
import { runCli, startCli, stopHosts, tempHome } from '../support/cli.ts';
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
    for (const profile of ['alice', 'bob']) {
      const account = await bed.account(profile);
      const r = await runCli(
        [
          '--profile',
          profile,
          'login',
          'matrix',
          '--homeserver',
          bed.url,
          '--user',
          account.userId,
          '--password-stdin',
        ],
        env,
        `${account.password}\n`,
      );
      assert.equal(r.code, 0, r.stderr);
    }
  });
  after(async () => {
    await stopHosts(env);
    await bed.dispose();
  });

  it('delivers a 5 MB burst complete and exact, in a handful of events', async (t) => {
    const ws = bed.workspace('burst');
    const sharer = startCli(
      [
        '--profile',
        'alice',
        'stream',
        '--to',
        ws,
        '--pipe',
        '--',
        'sh',
        '-c',
        `sleep 2; cat ${file}`,
      ],
      env,
    );
    let sharerErr = '';
    sharer.stderr?.on('data', (d: Buffer) => (sharerErr += d.toString()));
    sharer.stdout?.resume();
    const deadline = Date.now() + 30_000;
    while (!/sharing stream ([0-9a-f]+)/.test(sharerErr) && Date.now() < deadline)
      await new Promise((resolve) => setTimeout(resolve, 50));
    const id = /sharing stream ([0-9a-f]+)/.exec(sharerErr)?.[1] ?? '';
    assert.ok(id, sharerErr);
    const viewer = startCli(
      ['--profile', 'bob', 'stream', 'attach', ws, '--stream', id, '--from-start'],
      env,
    );
    const out: Buffer[] = [];
    let viewerErr = '';
    viewer.stdout?.on('data', (d: Buffer) => out.push(d));
    viewer.stderr?.on('data', (d: Buffer) => (viewerErr += d.toString()));
    const [sharerCode, viewerCode] = await Promise.all([
      new Promise((resolve) => sharer.once('close', resolve)),
      new Promise((resolve) => viewer.once('close', resolve)),
    ]);
    assert.equal(sharerCode, 0, sharerErr);
    assert.equal(viewerCode, 0, viewerErr);
    const seen = Buffer.concat(out);
    if (sha(seen) !== sha(burst)) {
      writeFileSync(join(dir, 'seen.bin'), seen);
      let at = 0;
      while (at < seen.length && seen[at] === burst[at]) at++;
      assert.fail(
        `${String(seen.length)} bytes seen, ${String(burst.length)} sent, first difference at ${String(at)}; ${viewerErr}`,
      );
    }
    assert.match(viewerErr, /sha256 verified/);
    const events = Number(/(\d+) events/.exec(sharerErr)?.[1]);
    t.diagnostic(/stream \S+ ended: .*/.exec(sharerErr)?.[0] ?? sharerErr);
    assert.ok(events > 0 && events <= 40, `5 MB took ${String(events)} events: ${sharerErr}`);
  });
});
