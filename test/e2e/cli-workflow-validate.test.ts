import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { runCli, tempHome } from '../support/cli.ts';

const GOOD = `name: build-and-test
inputs:
  ref: { default: main }
jobs:
  build:
    runs-on: { capabilities: [build] }
    steps:
      - id: compile
        run: make all REF=\${{ inputs.ref }}
    outputs:
      artifact: \${{ steps.compile.outputs.path }}
  lint:
    runs-on: agt-abcdefghijklmnop
    steps:
      - run: make lint
  test:
    needs: [build, lint]
    runs-on: { capabilities: [test] }
    steps:
      - run: ./test.sh \${{ jobs.build.outputs.artifact }}
`;

const BAD = `name: broken
jobs:
  build:
    runs-on: { capabilities: [build] }
    timout: 5m
    steps:
      - run: make | tee log
  test:
    needs: [bild]
    runs-on: agt-abcdefghijklmnop
    steps:
      - run: ./test.sh
`;

describe('mx-agent workflow validate (no server needed)', () => {
  const file = (text: string): string => {
    const path = join(mkdtempSync(join(tmpdir(), 'mx-wf-')), 'ci.yml');
    writeFileSync(path, text);
    return path;
  };

  it('accepts a valid file and prints the jobs in an order they can run', async () => {
    const path = file(GOOD);
    const r = await runCli(['workflow', 'validate', path], tempHome());
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /valid workflow "build-and-test", 3 job\(s\)/);
    assert.match(
      r.stdout,
      /build: 1 step\(s\) on an agent with build\n\s+lint: .*\n\s+test: 1 step\(s\) on an agent with test, after build, lint/,
    );
    const json = await runCli(['--json', 'workflow', 'validate', path], tempHome());
    assert.deepEqual((JSON.parse(json.stdout) as { order: string[] }).order, [
      'build',
      'lint',
      'test',
    ]);
  });

  it('reports every problem with its line and column, exit 2, no stack trace', async () => {
    const path = file(BAD);
    const r = await runCli(['workflow', 'validate', path], tempHome());
    assert.equal(r.code, 2);
    assert.match(r.stderr, /ci\.yml:5:5: jobs\.build\.timout: unknown key.*did you mean "timeout"/);
    assert.match(r.stderr, /ci\.yml:7:\d+: jobs\.build\.steps\[0\]\.run: .*sh -c/);
    assert.match(r.stderr, /ci\.yml:9:\d+: jobs\.test\.needs\[0\]: unknown job "bild"/);
    assert.doesNotMatch(r.stderr, /^\s+at /m);
  });

  it('says so when the file cannot be read', async () => {
    const r = await runCli(['workflow', 'validate', '/nonexistent/ci.yml'], tempHome());
    assert.equal(r.code, 2);
    assert.match(r.stderr, /expected a readable workflow file, got "\/nonexistent\/ci\.yml"/);
  });
});
