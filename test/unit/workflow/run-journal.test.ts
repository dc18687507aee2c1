import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { signEnvelope } from '../../../src/protocol/signed.ts';
import { generateSigningKey } from '../../../src/security/signing-key.ts';
import { FakeNetwork } from '../../../src/transport/fake.ts';
import type { Transport } from '../../../src/transport/transport.ts';
import { runWorkflow, type RunEvent } from '../../../src/workflow/orchestrator.ts';
import { RunJournal } from '../../../src/workflow/run-journal.ts';
import { JOURNAL_KIND, JOURNAL_VERSION } from '../../../src/workflow/run-records.ts';
import { readRunRecords, replayRun } from '../../../src/workflow/run-replay.ts';
import { resumeFrom } from '../../../src/workflow/scheduler-state.ts';
import { parseWorkflow } from '../../../src/workflow/workflow-parse.ts';
import { TEST_BOSS, TEST_WORKER, startTestWorker } from '../../support/test-worker.ts';

const WS = '#ops';
const stops: (() => Promise<void>)[] = [];
after(async () => {
  for (const stop of stops) await stop();
});

async function world() {
  const dir = mkdtempSync(join(tmpdir(), 'mx-journal-'));
  const net = new FakeNetwork();
  const boss = net.transport('boss');
  const reader = net.transport('reader');
  const workerT = net.transport('worker');
  await Promise.all([boss.connect(), reader.connect(), workerT.connect()]);
  await boss.createWorkspace(WS);
  await boss.invite(WS, reader.address);
  await reader.joinWorkspace(WS);
  const started = startTestWorker(workerT, dir);
  stops.push(() => started.stop());
  const key = started.bossKey;
  const worker = {
    agent: TEST_WORKER,
    address: workerT.address,
    publicKey: started.workerKey.publicRaw,
  };
  return { dir, net, boss, reader, key, worker, started };
}

function journalFor(
  boss: Transport,
  key: ReturnType<typeof generateSigningKey>,
  run: string,
  nextSeq = 0,
) {
  const warnings: string[] = [];
  const journal = new RunJournal({
    transport: boss,
    workspace: WS,
    key,
    agent: TEST_BOSS,
    run,
    nextSeq,
    warn: (m) => warnings.push(m),
  });
  return { journal, warnings };
}

describe('the run journal', () => {
  it('replays to the state the orchestrator ended with, from another member of the workspace', async () => {
    const { dir, boss, reader, key, worker } = await world();
    const workflow = parseWorkflow(
      `name: journal
jobs:
  make:
    runs-on: ${TEST_WORKER}
    working-directory: ${dir}
    steps:
      - id: s
        run: /bin/sh -c "echo making; echo ::output thing=box"
    outputs:
      thing: \${{ steps.s.outputs.thing }}
  use:
    needs: [make]
    runs-on: ${TEST_WORKER}
    working-directory: ${dir}
    steps:
      - run: /bin/sh -c "echo using \${{ jobs.make.outputs.thing }} >&2; exit 3"
  never:
    needs: [use]
    runs-on: ${TEST_WORKER}
    working-directory: ${dir}
    steps:
      - run: /bin/sh -c "touch never"
`,
      'wf.yml',
    );
    const { journal, warnings } = journalFor(boss, key, 'run-aaaaaaaaaaaa');
    await journal.begin(workflow, {}, Date.now());
    const { result, state } = await runWorkflow({
      transport: boss,
      agent: TEST_BOSS,
      key,
      workflow,
      inputs: {},
      runId: 'run-aaaaaaaaaaaa',
      resolveWorker: () => worker,
      signal: new AbortController().signal,
      onEvent: (e) => {
        journal.event(e);
      },
    });
    await journal.close();
    assert.deepEqual(warnings, []);
    assert.equal(result, 'failed');
    const found = await readRunRecords(reader, WS, 'run-aaaaaaaaaaaa');
    assert.equal(found.agent, TEST_BOSS);
    assert.equal(found.fingerprint, key.fingerprint);
    assert.equal(found.rejected, 0);
    const replayed = replayRun(found);
    assert.equal(replayed.result, 'failed');
    assert.equal(replayed.gaps, 0);
    for (const id of ['make', 'use', 'never']) {
      assert.equal(replayed.state.jobs[id]?.status, state.jobs[id]?.status, id);
      assert.deepEqual(replayed.state.jobs[id]?.outputs, state.jobs[id]?.outputs, id);
    }
    assert.deepEqual(replayed.state.jobs.make?.outputs, { thing: 'box' });
    assert.equal(replayed.agents.use, TEST_WORKER);
    const lines = found.records.flatMap((r) => (r.entry.t === 'out' ? r.entry.lines : []));
    assert.deepEqual(lines, [
      ['o', 'making'],
      ['o', '::output thing=box'],
      ['e', 'using box'],
    ]);
    await assert.rejects(readRunRecords(reader, WS, 'run-bbbbbbbbbbbb'), /no run run-bbbbbbbbbbbb/);
  });

  it('believes only the key that started the run: a forged record is counted and left out', async () => {
    const { dir, boss, reader, key, net } = await world();
    const workflow = parseWorkflow(
      `name: forged\njobs:\n  a:\n    runs-on: ${TEST_WORKER}\n    working-directory: ${dir}\n    steps:\n      - run: /bin/true\n`,
      'wf.yml',
    );
    const { journal } = journalFor(boss, key, 'run-cccccccccccc');
    await journal.begin(workflow, {}, Date.now());
    await journal.close();
    const mallory = net.transport('mallory');
    await mallory.connect();
    await boss.invite(WS, mallory.address);
    await mallory.joinWorkspace(WS);
    const forged = signEnvelope(generateSigningKey(), {
      kind: JOURNAL_KIND,
      agent: TEST_BOSS,
      body: { run: 'run-cccccccccccc', seq: 1, t: 'done', job: 'a', ok: true, outputs: {} },
      lifetimeMs: 60_000,
    });
    await mallory.send(
      { kind: 'workspace', workspace: WS },
      { type: 'payload', payload: { kind: JOURNAL_KIND, version: JOURNAL_VERSION, body: forged } },
    );
    const found = await readRunRecords(reader, WS, 'run-cccccccccccc');
    assert.equal(found.rejected, 1);
    assert.equal(found.records.length, 1);
    assert.equal(replayRun(found).state.jobs.a?.status, 'pending');
  });

  it('resumes after the orchestrator stopped mid-run without re-running what succeeded', async () => {
    const { dir, boss, reader, key, worker } = await world();
    const text = `name: resume
jobs:
  first:
    runs-on: ${TEST_WORKER}
    working-directory: ${dir}
    steps:
      - id: s
        run: /bin/sh -c "echo ran >> first.count; echo ::output n=7"
    outputs:
      n: \${{ steps.s.outputs.n }}
  second:
    needs: [first]
    runs-on: ${TEST_WORKER}
    working-directory: ${dir}
    steps:
      - run: /bin/sh -c "if [ -e go ]; then echo got \${{ jobs.first.outputs.n }}; else sleep 30; fi"
`;
    const workflow = parseWorkflow(text, 'wf.yml');
    const run = 'run-dddddddddddd';
    const { journal } = journalFor(boss, key, run);
    await journal.begin(workflow, {}, Date.now());
    const stop = new AbortController();
    await runWorkflow({
      transport: boss,
      agent: TEST_BOSS,
      key,
      workflow,
      inputs: {},
      runId: run,
      resolveWorker: () => worker,
      signal: stop.signal,
      onEvent: (e) => {
        journal.event(e);
        if (e.type === 'step-started' && e.job === 'second') stop.abort();
      },
    });
    await journal.close();
    writeFileSync(join(dir, 'go'), '');
    // A new orchestrator process: everything it knows comes from the workspace.
    const found = await readRunRecords(boss, WS, run);
    const replayed = replayRun(found);
    assert.equal(replayed.state.jobs.first?.status, 'succeeded');
    assert.notEqual(replayed.state.jobs.second?.status, 'succeeded');
    const again = journalFor(boss, key, run, (found.records.at(-1)?.seq ?? 0) + 1);
    again.journal.resumed();
    const events: RunEvent[] = [];
    const { result } = await runWorkflow({
      transport: boss,
      agent: TEST_BOSS,
      key,
      workflow: found.workflow,
      inputs: found.inputs,
      runId: run,
      initialState: resumeFrom(replayed.state),
      resolveWorker: () => worker,
      signal: new AbortController().signal,
      onEvent: (e) => {
        events.push(e);
        again.journal.event(e);
      },
    });
    await again.journal.close();
    assert.equal(result, 'succeeded');
    assert.deepEqual(
      events.filter((e) => e.type === 'job-started').map((e) => e.type === 'job-started' && e.job),
      ['second'],
    );
    assert.ok(events.some((e) => e.type === 'output' && e.line === 'got 7'));
    assert.equal(readFileSync(join(dir, 'first.count'), 'utf8'), 'ran\n');
    const final = replayRun(await readRunRecords(reader, WS, run));
    assert.equal(final.result, 'succeeded');
    assert.equal(final.resumes, 1);
    assert.equal(final.gaps, 0);
  });
});

describe('a worker lost mid-job', () => {
  it('is reported and the job moves to another matching agent, using none of its retries', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mx-lost-'));
    const net = new FakeNetwork();
    const boss = net.transport('boss');
    const aT = net.transport('worker-a');
    const bT = net.transport('worker-b');
    await Promise.all([boss.connect(), aT.connect(), bT.connect()]);
    const bossKey = generateSigningKey();
    const a = startTestWorker(aT, dir, '', {
      agent: 'agt-aaaaaaaaaaaaaaaa',
      bossKey,
      keepaliveMs: 150,
    });
    const b = startTestWorker(bT, dir, '', {
      agent: 'agt-bbbbbbbbbbbbbbbb',
      bossKey,
      keepaliveMs: 150,
    });
    stops.push(() => b.stop());
    const refs = [
      { agent: 'agt-aaaaaaaaaaaaaaaa', address: aT.address, publicKey: a.workerKey.publicRaw },
      { agent: 'agt-bbbbbbbbbbbbbbbb', address: bT.address, publicKey: b.workerKey.publicRaw },
    ];
    const workflow = parseWorkflow(
      `name: lost
jobs:
  job:
    runs-on: { capabilities: [sh] }
    working-directory: ${dir}
    steps:
      - run: /bin/sh -c "if [ -e a-ran ]; then echo done; else touch a-ran; sleep 30; fi"
`,
      'wf.yml',
    );
    const events: RunEvent[] = [];
    const { result, state } = await runWorkflow({
      transport: boss,
      agent: TEST_BOSS,
      key: bossKey,
      workflow,
      inputs: {},
      runId: 'run-eeeeeeeeeeee',
      resolveWorker: (_runsOn, _job, exclude) =>
        refs.find((r) => !exclude.has(r.agent)) ?? 'no agent left',
      signal: new AbortController().signal,
      onEvent: (e) => {
        events.push(e);
        // Worker a's machine goes away while its job runs: no result, no keepalive, ever.
        if (
          e.type === 'step-started' &&
          events.filter((x) => x.type === 'job-started').length === 1
        )
          setTimeout(() => {
            void aT.close();
          }, 200);
      },
    });
    void a.stop();
    assert.equal(result, 'succeeded');
    const lost = events.find((e) => e.type === 'worker-lost');
    assert.ok(lost?.type === 'worker-lost');
    assert.equal(lost.agent, 'agt-aaaaaaaaaaaaaaaa');
    assert.match(lost.reason, /stopped answering/);
    assert.deepEqual(
      events
        .filter((e) => e.type === 'job-started')
        .map((e) => e.type === 'job-started' && e.agent),
      ['agt-aaaaaaaaaaaaaaaa', 'agt-bbbbbbbbbbbbbbbb'],
    );
    assert.equal(state.jobs.job?.attempts, 1);
    assert.ok(events.some((e) => e.type === 'output' && e.line === 'done'));
  });
});
