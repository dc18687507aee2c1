import assert from 'node:assert/strict';
import {
  mkdirSync,
  mkdtempSync,
  readFileSync,
  realpathSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { encodeBundle, packBundle } from '../../../src/context/bundle-codec.ts';
import { sha256Hex } from '../../../src/context/bundle.ts';
import { generateSigningKey } from '../../../src/security/signing-key.ts';
import { FakeNetwork } from '../../../src/transport/fake.ts';
import { runWorkflow, type RunEvent } from '../../../src/workflow/orchestrator.ts';
import { parseWorkflow } from '../../../src/workflow/workflow-parse.ts';
import { TEST_BOSS, startTestWorker } from '../../support/test-worker.ts';
import {
  parseArtifactRef,
  relayArtifacts,
  storeArtifacts,
  unpackArtifacts,
  artifactRefToJson,
} from '../../../src/workflow/artifacts.ts';

async function peers() {
  const net = new FakeNetwork();
  const a = net.transport('producer');
  const b = net.transport('consumer');
  await Promise.all([a.connect(), b.connect()]);
  return { a, b };
}

describe('artifacts', () => {
  it('carry files from one working directory to another, executable bits kept, secrets scrubbed', async () => {
    const { a, b } = await peers();
    const from = mkdtempSync(join(tmpdir(), 'mx-art-from-'));
    const to = mkdtempSync(join(tmpdir(), 'mx-art-to-'));
    mkdirSync(join(from, 'dist'));
    writeFileSync(join(from, 'dist', 'app.js'), 'console.log(1)\n');
    writeFileSync(join(from, 'dist', 'run.sh'), '#!/bin/sh\necho hi\n', { mode: 0o755 });
    writeFileSync(join(from, 'dist', 'config'), 'token=ghp_abcdefghijklmnopqrstuvwxyz0123456789\n');
    const ref = await storeArtifacts(a, from, ['dist/**'], 'artifacts of build');
    assert.equal(ref.files, 3);
    const again = parseArtifactRef(JSON.parse(JSON.stringify(artifactRefToJson(ref))));
    assert.deepEqual(again, ref);
    const written = await unpackArtifacts(b, ref, to);
    assert.deepEqual(written.sort(), ['dist/app.js', 'dist/config', 'dist/run.sh']);
    assert.equal(readFileSync(join(to, 'dist', 'app.js'), 'utf8'), 'console.log(1)\n');
    assert.equal(statSync(join(to, 'dist', 'run.sh')).mode & 0o777, 0o755);
    assert.doesNotMatch(readFileSync(join(to, 'dist', 'config'), 'utf8'), /ghp_abc/);
  });

  it('refuse a link out of the working directory, and bytes that do not match the reference', async () => {
    const { a, b } = await peers();
    const from = mkdtempSync(join(tmpdir(), 'mx-art-from-'));
    symlinkSync('/etc/passwd', join(from, 'passwd'));
    await assert.rejects(storeArtifacts(a, from, ['passwd'], 'x'), /outside the directory/);
    writeFileSync(join(from, 'ok.txt'), 'fine\n');
    const ref = await storeArtifacts(a, from, ['ok.txt'], 'x');
    const forged = { ...ref, sha256: sha256Hex(Buffer.from('something else')) };
    await assert.rejects(
      unpackArtifacts(b, forged, mkdtempSync(join(tmpdir(), 'mx-art-'))),
      /integrity/,
    );
  });

  it('write nothing outside the working directory for a crafted bundle', async () => {
    const { a, b } = await peers();
    const to = mkdtempSync(join(tmpdir(), 'mx-art-to-'));
    const content = Buffer.from('pwned\n');
    const bundle = {
      v: 1 as const,
      id: 'ctx-abcdefghijkl',
      created: Date.now(),
      files: [
        {
          path: '../escaped.txt',
          mode: 0o644,
          size: content.length,
          sha256: sha256Hex(content),
          encoding: 'utf8' as const,
          content: 'pwned\n',
        },
      ],
      withheld: [],
    };
    const encoded = encodeBundle(bundle);
    const blob = await a.putBlob(await packBundle(encoded.bytes));
    const ref = { blob, sha256: encoded.sha256, size: encoded.bytes.length, files: 1, withheld: 0 };
    await assert.rejects(unpackArtifacts(b, ref, to));
    assert.throws(() => statSync(join(to, '..', 'escaped.txt')));
  });

  it('are relayed to another network as the same bundle', async () => {
    const { a, b } = await peers();
    const other = new FakeNetwork().transport('elsewhere');
    await other.connect();
    const from = mkdtempSync(join(tmpdir(), 'mx-art-from-'));
    writeFileSync(join(from, 'x.txt'), 'x\n');
    const ref = await storeArtifacts(a, from, ['x.txt'], 'x');
    const relayed = await relayArtifacts(b, other, ref);
    assert.equal(relayed.sha256, ref.sha256);
    const to = mkdtempSync(join(tmpdir(), 'mx-art-to-'));
    assert.deepEqual(await unpackArtifacts(other, relayed, to), ['x.txt']);
  });
});

describe('artifacts in a workflow run', () => {
  async function twoWorkers(policy: string) {
    const net = new FakeNetwork();
    const boss = net.transport('boss');
    const aT = net.transport('worker-a');
    const bT = net.transport('worker-b');
    await Promise.all([boss.connect(), aT.connect(), bT.connect()]);
    const bossKey = generateSigningKey();
    const dirA = realpathSync(mkdtempSync(join(tmpdir(), 'mx-art-a-')));
    const dirB = realpathSync(mkdtempSync(join(tmpdir(), 'mx-art-b-')));
    const a = startTestWorker(aT, dirA, policy, { agent: 'agt-aaaaaaaaaaaaaaaa', bossKey });
    const b = startTestWorker(bT, dirB, policy, { agent: 'agt-bbbbbbbbbbbbbbbb', bossKey });
    const refs = {
      'agt-aaaaaaaaaaaaaaaa': {
        agent: 'agt-aaaaaaaaaaaaaaaa',
        address: aT.address,
        publicKey: a.workerKey.publicRaw,
      },
      'agt-bbbbbbbbbbbbbbbb': {
        agent: 'agt-bbbbbbbbbbbbbbbb',
        address: bT.address,
        publicKey: b.workerKey.publicRaw,
      },
    };
    const workflow = parseWorkflow(
      `name: art
jobs:
  build:
    runs-on: agt-aaaaaaaaaaaaaaaa
    working-directory: ${dirA}
    artifacts: [dist/**]
    steps:
      - run: /bin/sh -c "mkdir -p dist && echo built-on-a > dist/out.txt"
  use:
    needs: [build]
    runs-on: agt-bbbbbbbbbbbbbbbb
    working-directory: ${dirB}
    steps:
      - run: /bin/sh -c "cat dist/out.txt"
`,
      'wf.yml',
    );
    const events: RunEvent[] = [];
    const run = () =>
      runWorkflow({
        transport: boss,
        agent: TEST_BOSS,
        key: bossKey,
        workflow,
        inputs: {},
        runId: 'run-ffffffffffff',
        resolveWorker: (runsOn) =>
          'agent' in runsOn ? refs[runsOn.agent as keyof typeof refs] : 'no agent',
        signal: new AbortController().signal,
        onEvent: (e) => events.push(e),
      });
    return { run, events, dirA, dirB, stop: () => Promise.all([a.stop(), b.stop()]) };
  }

  it('go from the job that made them to the job that needs them, on another agent', async () => {
    const t = await twoWorkers('artifacts = true\n');
    const { result } = await t.run();
    await t.stop();
    assert.equal(result, 'succeeded');
    assert.ok(
      t.events.some((e) => e.type === 'output' && e.job === 'use' && e.line === 'built-on-a'),
    );
    assert.equal(readFileSync(join(t.dirB, 'dist', 'out.txt'), 'utf8'), 'built-on-a\n');
    const done = t.events.find((e) => e.type === 'job-finished' && e.job === 'build');
    assert.ok(done?.type === 'job-finished' && done.artifacts?.network === 'fake');
  });

  it('are refused by a policy that does not allow them, and nothing runs', async () => {
    const t = await twoWorkers('');
    const { result } = await t.run();
    await t.stop();
    assert.equal(result, 'failed');
    const failed = t.events.find((e) => e.type === 'job-finished' && e.job === 'build');
    assert.ok(failed?.type === 'job-finished');
    assert.match(failed.error ?? '', /refused it \(policy\).*artifacts = true/);
    assert.throws(() => statSync(join(t.dirA, 'dist')));
  });
});
