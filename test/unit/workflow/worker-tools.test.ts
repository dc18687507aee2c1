/**
 * Tool requests on the fake network: the worker looks the tool up in its policy, checks the
 * inputs, runs the owner's command line with the values filled in (one argument each, never a
 * shell line of the requester's), and refuses a bad request at stage `policy` with nothing run.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, readdirSync, realpathSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { FakeNetwork, type FakeTransport } from '../../../src/transport/fake.ts';
import { runRemoteTask } from '../../../src/workflow/task-client.ts';
import type { ToolTaskSpec } from '../../../src/workflow/task-protocol.ts';
import {
  TEST_BOSS,
  TEST_WORKER,
  startTestWorker,
  type TestWorker,
} from '../../support/test-worker.ts';

const stops: (() => Promise<void>)[] = [];
after(async () => {
  for (const stop of stops) await stop();
});

/** The rule lists `write`; `hidden` is declared but no rule lists it. */
const tools = (dir: string) => `tools = ["write"]
env = ["GREETING"]

[tools.write]
description = "write a text into a file of the work directory"
command = "/bin/sh"
args = ["-c", "printf '%s|%s' \\"$1\\" \\"$GREETING\\" > \\"$2\\"; echo ::output wrote=$2", "write", "{text}", "{file}"]
cwd = "${dir}"
[tools.write.inputs.text]
type = "string"
required = true
[tools.write.inputs.file]
type = "string"
pattern = "[a-z]+\\\\.txt"
default = "out.txt"

[tools.hidden]
command = "/bin/sh"
args = ["-c", "touch hidden"]
cwd = "${dir}"
`;

async function bed(): Promise<{
  t: TestWorker;
  bossT: FakeTransport;
  workerT: FakeTransport;
  dir: string;
}> {
  const dir = realpathSync(mkdtempSync(join(tmpdir(), 'mx-worker-tools-')));
  const net = new FakeNetwork();
  const workerT = net.transport('worker');
  const bossT = net.transport('boss');
  await Promise.all([workerT.connect(), bossT.connect()]);
  const t = startTestWorker(workerT, dir, tools(dir));
  stops.push(() => t.stop());
  return { t, bossT, workerT, dir };
}

function ask(b: Awaited<ReturnType<typeof bed>>, spec: Partial<ToolTaskSpec>) {
  return runRemoteTask(b.bossT, {
    agent: TEST_BOSS,
    key: b.t.bossKey,
    worker: { agent: TEST_WORKER, address: b.workerT.address, publicKey: b.t.workerKey.publicRaw },
    spec: {
      run: 'r1',
      job: 'lint',
      step: '0',
      attempt: 1,
      tool: 'write',
      with: {},
      env: {},
      ...spec,
    },
    answerTimeoutMs: 5000,
  });
}

describe('tool requests to a worker', () => {
  it("runs the tool's command line with the inputs filled in, one argument each", async () => {
    const b = await bed();
    const text = `hello "world" $HOME; rm -rf / && echo *`;
    const outcome = await ask(b, { with: { text }, env: { GREETING: 'hi' } });
    assert.equal(outcome.kind, 'result', JSON.stringify(outcome));
    if (outcome.kind !== 'result') return;
    assert.equal(outcome.result.exitCode, 0);
    assert.deepEqual(outcome.result.outputs, { wrote: 'out.txt' });
    // The value arrived as it was sent: no shell saw it.
    assert.equal(readFileSync(join(b.dir, 'out.txt'), 'utf8'), `${text}|hi`);
    const audit = readFileSync(b.t.audit, 'utf8');
    assert.match(audit, /admits agt-bossbossbossboss to use tool write, which runs/);
    assert.match(audit, /r1\/lint\/0 \(tool write\): exit 0/);
  });

  it('refuses an unknown tool, bad inputs and a tool no rule lists, at stage policy, running nothing', async () => {
    const b = await bed();
    const refused = async (spec: Partial<ToolTaskSpec>): Promise<string> => {
      const outcome = await ask(b, spec);
      assert.equal(outcome.kind, 'rejected', JSON.stringify(outcome));
      if (outcome.kind !== 'rejected') return '';
      assert.equal(outcome.stage, 'policy');
      const prefix = `the policy denies the request from ${TEST_BOSS}: `;
      assert.ok(outcome.reason.startsWith(prefix), outcome.reason);
      return outcome.reason.slice(prefix.length);
    };
    assert.equal(
      await refused({ tool: 'deploy', with: { text: 'x' } }),
      'this worker offers no tool "deploy" (its tools: write)',
    );
    assert.equal(
      await refused({ with: { text: 'x', file: '../../etc/passwd' } }),
      'tool write: with.file: expected a value matching /[a-z]+\\.txt/, got "../../etc/passwd"',
    );
    assert.equal(
      await refused({ with: { text: 'x', mode: 'append' } }),
      'tool write: with.mode: no such input (its inputs: text, file)',
    );
    assert.equal(
      await refused({ with: {} }),
      'tool write: with.text: missing: the input is required',
    );
    assert.equal(
      await refused({ with: { text: 42 } }),
      'tool write: with.text: expected a string, got 42',
    );
    assert.match(
      await refused({ tool: 'hidden' }),
      /allow\[0\] \(line 1\): tool hidden is not one of its tools \(write\)/,
    );
    assert.match(
      await refused({ with: { text: 'x' }, env: { PATH: '/tmp' } }),
      /PATH can never be set by a request/,
    );
    assert.deepEqual(
      readdirSync(b.dir).filter((f) => !/^(policy|audit|worker-)/.test(f)),
      [],
    );
    assert.equal(existsSync(join(b.dir, 'hidden')), false);
  });
});
