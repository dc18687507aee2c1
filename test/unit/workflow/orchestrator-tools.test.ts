/**
 * A workflow step `uses: TOOL` with `with:` on the fake network: the orchestrator fills in the
 * `${{ }}` of its inputs and sends a tool request; the worker runs its policy's tool.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, realpathSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { FakeNetwork } from '../../../src/transport/fake.ts';
import { runWorkflow, type RunEvent } from '../../../src/workflow/orchestrator.ts';
import { parseWorkflow } from '../../../src/workflow/workflow-parse.ts';
import { TEST_BOSS, TEST_WORKER, startTestWorker } from '../../support/test-worker.ts';

const stops: (() => Promise<void>)[] = [];
after(async () => {
  for (const stop of stops) await stop();
});

const policy = (dir: string) => `tools = ["write"]

[tools.write]
command = "/bin/sh"
args = ["-c", "printf '%s' \\"$1\\" > \\"$2\\"; echo ::output wrote=$2", "write", "{text}", "{file}"]
cwd = "${dir}"
[tools.write.inputs.text]
type = "string"
required = true
[tools.write.inputs.file]
type = "string"
pattern = "[a-z]+\\\\.txt"
required = true
`;

async function run(yaml: string, dir: string) {
  const net = new FakeNetwork();
  const bossT = net.transport('boss');
  const workerT = net.transport('worker');
  await Promise.all([bossT.connect(), workerT.connect()]);
  const started = startTestWorker(workerT, dir, policy(dir));
  stops.push(() => started.stop());
  const events: RunEvent[] = [];
  const { result } = await runWorkflow({
    transport: bossT,
    agent: TEST_BOSS,
    key: started.bossKey,
    workflow: parseWorkflow(yaml, 'wf.yml'),
    inputs: { word: 'hello' },
    runId: 'run-1',
    resolveWorker: () => ({
      agent: TEST_WORKER,
      address: workerT.address,
      publicKey: started.workerKey.publicRaw,
    }),
    signal: new AbortController().signal,
    onEvent: (e) => events.push(e),
  });
  return { result, events };
}

describe('the orchestrator with a uses step', () => {
  it('sends the tool its inputs, templates filled in, and takes its outputs', async () => {
    const dir = realpathSync(mkdtempSync(join(tmpdir(), 'mx-orch-tools-')));
    const { result, events } = await run(
      `name: tools
inputs:
  word: { default: hi }
jobs:
  make:
    runs-on: ${TEST_WORKER}
    working-directory: ${dir}
    steps:
      - id: first
        run: /bin/sh -c "echo ::output name=notes"
      - id: write
        uses: write
        with:
          text: "\${{ inputs.word }} from \${{ steps.first.outputs.name }}"
          file: "\${{ steps.first.outputs.name }}.txt"
    outputs:
      wrote: \${{ steps.write.outputs.wrote }}
`,
      dir,
    );
    assert.equal(result, 'succeeded', JSON.stringify(events));
    assert.equal(readFileSync(join(dir, 'notes.txt'), 'utf8'), 'hello from notes');
    const started = events.filter((e) => e.type === 'step-started').map((e) => e.command);
    assert.deepEqual(started, [
      '/bin/sh -c echo ::output name=notes',
      'write text=hello from notes file=notes.txt',
    ]);
    const finished = events.find((e) => e.type === 'job-finished');
    assert.deepEqual(finished?.type === 'job-finished' && finished.outputs, { wrote: 'notes.txt' });
  });

  it("fails the job with the worker's reason when an input is refused", async () => {
    const dir = realpathSync(mkdtempSync(join(tmpdir(), 'mx-orch-tools-')));
    const { result, events } = await run(
      `name: bad
jobs:
  make:
    runs-on: ${TEST_WORKER}
    steps:
      - uses: write
        with: { text: x, file: ../escape.txt }
`,
      dir,
    );
    assert.equal(result, 'failed');
    const finished = events.find((e) => e.type === 'job-finished');
    assert.match(
      finished?.type === 'job-finished' ? (finished.error ?? '') : '',
      /refused it \(policy\): .*tool write: with\.file: expected a value matching/,
    );
  });
});
