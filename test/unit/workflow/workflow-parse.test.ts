import assert from 'node:assert/strict';
import { test } from 'node:test';
import { UsageError } from '../../../src/errors.ts';
import { checkWorkflow, parseWorkflow } from '../../../src/workflow/workflow-parse.ts';
import type { Workflow } from '../../../src/workflow/workflow-types.ts';

const GOOD = `name: build-and-test
inputs:
  ref: { description: "git ref", default: main, required: false }
jobs:
  build:
    runs-on: agt-abcdefghijklmnop
    timeout: 10m
    retries: 2
    continue-on-error: false
    if: \${{ inputs.ref != '' }}
    env: { CI: "1" }
    steps:
      - name: compile
        run: cargo build --release
        with: {}
        timeout: 5m
      - uses: run_tests
        with: { suite: unit }
    outputs:
      artifact: \${{ steps.compile.outputs.path }}
  test:
    needs: [build]
    runs-on: { capabilities: [test] }
    steps:
      - run: ./test.sh \${{ jobs.build.outputs.artifact }}
`;

/** The problems of a file, one string each as the UsageError lists them. */
function problems(text: string, file = 'wf.yml'): string[] {
  const check = checkWorkflow(text, file);
  assert.equal(check.workflow, undefined, 'expected problems');
  assert.throws(
    () => parseWorkflow(text, file),
    (e: unknown) => e instanceof UsageError,
  );
  try {
    parseWorkflow(text, file);
  } catch (error) {
    return (error as Error).message.split('\n');
  }
  return [];
}

/** A minimal valid file with `job` spliced in as the body of job `a`. */
const withJob = (body: string, extra = ''): string =>
  `jobs:\n  a:\n    runs-on: agt-abcdefghijklmnop\n${body}${extra}`;

test('the example file parses to the expected structure', () => {
  const workflow = parseWorkflow(GOOD, 'build.yml');
  const expected: Workflow = {
    name: 'build-and-test',
    inputs: { ref: { required: false, description: 'git ref', default: 'main' } },
    env: {},
    jobs: {
      build: {
        id: 'build',
        needs: [],
        runsOn: { agent: 'agt-abcdefghijklmnop' },
        if: "inputs.ref != ''",
        timeoutMs: 600_000,
        retry: { retries: 2, backoffMs: 5_000, maxBackoffMs: 300_000 },
        continueOnError: false,
        env: { CI: '1' },
        steps: [
          {
            type: 'run',
            id: 'compile',
            name: 'compile',
            run: 'cargo build --release',
            env: {},
            timeoutMs: 300_000,
          },
          { type: 'uses', uses: 'run_tests', with: { suite: 'unit' }, env: {} },
        ],
        outputs: { artifact: '${{ steps.compile.outputs.path }}' },
      },
      test: {
        id: 'test',
        needs: ['build'],
        runsOn: { capabilities: ['test'] },
        retry: { retries: 0, backoffMs: 5_000, maxBackoffMs: 300_000 },
        continueOnError: false,
        env: {},
        steps: [{ type: 'run', run: './test.sh ${{ jobs.build.outputs.artifact }}', env: {} }],
        outputs: {},
      },
    },
  };
  assert.deepEqual(workflow, expected);
  assert.deepEqual(Object.keys(workflow.jobs), ['build', 'test']);
  // Plain data: a JSON round trip changes nothing.
  assert.deepEqual(JSON.parse(JSON.stringify(workflow)), workflow);
});

test('the other shapes: long retries, needs as one id, env numbers, if: true, max-parallel', () => {
  const workflow = parseWorkflow(
    `name: x
description: all the shapes
max-parallel: 2
env: { LEVEL: 3, DEBUG: false, REF: "\${{ inputs.ref }}" }
inputs: { ref: }
jobs:
  a:
    runs-on: { capabilities: [build, lang.rust] }
    retries: { count: 3, backoff: 1s, max-backoff: 1m30s }
    if: true
    steps:
      - { id: s1, name: "first step", run: "echo 'a b' \\"c\\"", env: { X: 1 } }
  b:
    needs: a
    runs-on: agt-abcdefghijklmnop
    if: always() && jobs.a.result == 'success'
    steps: [{ uses: tool, with: { n: 1, list: [x, "\${{ jobs.a.outputs.o }}"], deep: { ok: true } } }]
`.replace('jobs.a.outputs.o', 'jobs.a.result'),
    'shapes.yml',
  );
  assert.equal(workflow.description, 'all the shapes');
  assert.equal(workflow.maxParallel, 2);
  assert.deepEqual(workflow.env, { LEVEL: '3', DEBUG: 'false', REF: '${{ inputs.ref }}' });
  assert.deepEqual(workflow.inputs, { ref: { required: false } });
  const [a, b] = [workflow.jobs.a, workflow.jobs.b];
  assert.deepEqual(a?.retry, { retries: 3, backoffMs: 1_000, maxBackoffMs: 90_000 });
  assert.equal(a?.if, 'true');
  assert.deepEqual(a?.steps[0], {
    type: 'run',
    id: 's1',
    name: 'first step',
    run: 'echo \'a b\' "c"',
    env: { X: '1' },
  });
  assert.deepEqual(b?.needs, ['a']);
  assert.equal(b?.if, "always() && jobs.a.result == 'success'");
  assert.deepEqual(b?.steps[0], {
    type: 'uses',
    uses: 'tool',
    with: { n: 1, list: ['x', '${{ jobs.a.result }}'], deep: { ok: true } },
    env: {},
  });
  assert.equal(
    parseWorkflow(withJob('    steps: [{ run: x }]\n'), 'dir/release.yaml').name,
    'release',
  );
});

test('an unknown needs entry: exact position and message', () => {
  const text = GOOD.replace('needs: [build]', 'needs: [bild]');
  assert.deepEqual(problems(text, 'file.yml'), [
    'file.yml:22:13: jobs.test.needs[0]: unknown job "bild" (jobs: build, test)',
    'file.yml:25:28: jobs.test.steps[0].run: jobs.build.outputs.artifact: job "test" does not need "build", so it cannot read its outputs or result; add it to needs',
  ]);
});

test('several problems at once, sorted by position, one per line', () => {
  const text = `name: broken
inputs:
  ref: { default: main }
env:
  LEVEL: \${{ jobs.build.result }}
jobs:
  build:
    runs-on: agt-abc
    run-on: x
    timeout: 10 minutes
    retries: 11
    continue-on-error: "no"
    if: \${{ inputs.reff == 'x' }}
    steps:
      - name: compile
        run: cargo build | tee log
        uses: foo
      - id: bad id
        with: { a: 1 }
    outputs:
      artifact: \${{ steps.compil.outputs.path }}
  test:
    needs: [build, build]
    runs-on: { capabilities: [Test] }
    if: success() && contains(env.CI, 'x'
    steps:
      - run: ./test.sh \${{ jobs.build.outputs.artefact }} \${{ success() }}
  1bad:
    steps: 3
`;
  assert.deepEqual(problems(text), [
    'wf.yml:5:14: env.LEVEL: the workflow env can only read inputs',
    'wf.yml:8:14: jobs.build.runs-on: expected an agent id (agt-…) or { capabilities: [name, …] }, got "agt-abc"',
    'wf.yml:9:5: jobs.build.run-on: unknown key, did you mean "runs-on"?',
    'wf.yml:10:14: jobs.build.timeout: expected a duration like 30s, 5m, 1h or 1h30m, above 0 and at most 24 days, got "10 minutes"',
    'wf.yml:11:14: jobs.build.retries: expected a whole number from 0 to 10, got 11',
    'wf.yml:12:24: jobs.build.continue-on-error: expected true or false, got "no"',
    'wf.yml:13:13: jobs.build.if: unknown input "reff" (inputs: ref)',
    'wf.yml:15:9: jobs.build.steps[0]: a step has run or uses, not both',
    'wf.yml:16:26: jobs.build.steps[0].run: "|" is shell syntax, but run is not given to a shell; for that, write run: sh -c "…" (if the agent\'s policy allows sh)',
    'wf.yml:18:9: jobs.build.steps[1]: a step needs run (a command line) or uses (a tool the agent offers)',
    'wf.yml:18:13: jobs.build.steps[1].id: invalid step id "bad id": expected letters, digits, _ and -, starting with a letter or _',
    'wf.yml:21:21: jobs.build.outputs.artifact: unknown step "compil" (steps with an id: compile)',
    'wf.yml:23:20: jobs.test.needs[1]: "build" is listed twice',
    'wf.yml:24:31: jobs.test.runs-on.capabilities[0]: expected a capability name like lang.rust, got "Test"',
    'wf.yml:25:42: jobs.test.if: expected ")", found the end of the expression',
    'wf.yml:27:28: jobs.test.steps[0].run: job "build" has no output "artefact" (outputs: artifact)',
    "wf.yml:27:63: jobs.test.steps[0].run: success() is only allowed in a job's if",
    'wf.yml:28:3: jobs.1bad: invalid job id "1bad": expected letters, digits, _ and -, starting with a letter or _',
    'wf.yml:29:5: jobs.1bad: missing required key "runs-on"',
    'wf.yml:29:12: jobs.1bad.steps: expected a list, got 3',
  ]);
});

test('cycles are named', () => {
  const text = `jobs:
  build:
    runs-on: agt-abcdefghijklmnop
    needs: [test]
    steps: [{ run: make }]
  test:
    runs-on: agt-abcdefghijklmnop
    needs: [build]
    steps: [{ run: make test }]
  self:
    runs-on: agt-abcdefghijklmnop
    needs: self
    steps: [{ run: x }]
`;
  assert.deepEqual(problems(text), [
    'wf.yml:8:13: jobs.test.needs[0]: jobs form a cycle: build → test → build (each needs the next)',
    'wf.yml:12:12: jobs.self.needs: a job cannot need itself',
  ]);
});

test('required keys, unknown keys and types at the top and in jobs', () => {
  assert.deepEqual(problems(''), ['wf.yml:1:1: the file is empty; a workflow needs at least jobs']);
  assert.deepEqual(problems('- a\n'), ['wf.yml:1:1: expected a map, got a list']);
  assert.deepEqual(problems('name: x\non: push\n'), [
    'wf.yml:1:1: missing required key "jobs"',
    'wf.yml:2:1: on: unknown key (keys: name, description, inputs, env, max-parallel, jobs)',
  ]);
  assert.deepEqual(problems('name: [x]\njobs: {}\n'), [
    'wf.yml:1:7: name: expected a string, got a list',
    'wf.yml:2:7: jobs: expected at least one job',
  ]);
  assert.deepEqual(problems('jobs:\n  a:\n    step: []\n'), [
    'wf.yml:3:5: jobs.a.step: unknown key, did you mean "steps"?',
    'wf.yml:3:5: jobs.a: missing required key "runs-on"',
    'wf.yml:3:5: jobs.a: missing required key "steps"',
  ]);
  assert.deepEqual(
    problems(withJob('    steps: [{ run: x, timout: 5s }]\n    max-parallel: 2\n')),
    [
      'wf.yml:4:23: jobs.a.steps[0].timout: unknown key, did you mean "timeout"?',
      'wf.yml:5:5: jobs.a.max-parallel: unknown key (keys: name, needs, runs-on, if, timeout, retries, continue-on-error, env, working-directory, steps, outputs, artifacts)',
    ],
  );
  assert.deepEqual(
    problems('jobs: { a: { runs-on: agt-abcdefghijklmnop, steps: [] } }\nmax-parallel: 0\n'),
    [
      'wf.yml:1:52: jobs.a.steps: expected at least one step',
      'wf.yml:2:15: max-parallel: expected a whole number from 1 to 256, got 0',
    ],
  );
});

test('YAML syntax errors are reported with their position and nothing else', () => {
  assert.deepEqual(problems('jobs:\n  a: {b: 1, b: 2}\n  c: [1\n'), [
    'wf.yml:2:13: YAML: Map keys must be unique',
    'wf.yml:4:1: YAML: Flow sequence in block collection must be sufficiently indented and end with a ]',
  ]);
});

test('a YAML alias bomb is refused quickly, not expanded', () => {
  const lines = ['a0: &a0 [x, x, x, x, x, x, x, x, x]'];
  for (let i = 1; i < 10; i += 1)
    lines.push(
      `a${i}: &a${i} [${Array(9)
        .fill(`*a${i - 1}`)
        .join(', ')}]`,
    );
  const text = withJob(
    `    steps:\n      - uses: t\n        with:\n${lines.map((l) => `          ${l}`).join('\n')}\n`,
  );
  const started = performance.now();
  assert.deepEqual(problems(text), [
    'wf.yml:9:60: more than 1000 uses of YAML aliases (*name); write the values out',
  ]);
  assert.ok(performance.now() - started < 2_000);
});

test('durations and retries', () => {
  const bad = (field: string): string[] =>
    problems(withJob(`    ${field}\n    steps: [{ run: x }]\n`));
  assert.deepEqual(bad('timeout: 30'), [
    'wf.yml:4:14: jobs.a.timeout: expected a duration like 30s, 5m, 1h or 1h30m, above 0 and at most 24 days, got 30',
  ]);
  assert.deepEqual(bad('timeout: 2d'), [
    'wf.yml:4:14: jobs.a.timeout: expected a duration like 30s, 5m, 1h or 1h30m, above 0 and at most 24 days, got "2d"',
  ]);
  // Beyond what a Node.js timer can wait (2^31 - 1 ms), which would fire at once.
  assert.deepEqual(bad('timeout: 600h'), [
    'wf.yml:4:14: jobs.a.timeout: expected a duration like 30s, 5m, 1h or 1h30m, above 0 and at most 24 days, got "600h"',
  ]);
  assert.deepEqual(bad('timeout: 0s'), [
    'wf.yml:4:14: jobs.a.timeout: expected a duration like 30s, 5m, 1h or 1h30m, above 0 and at most 24 days, got "0s"',
  ]);
  assert.deepEqual(bad('retries: -1'), [
    'wf.yml:4:14: jobs.a.retries: expected a whole number from 0 to 10, got -1',
  ]);
  assert.deepEqual(bad('retries: 1.5'), [
    'wf.yml:4:14: jobs.a.retries: expected a whole number from 0 to 10, got 1.5',
  ]);
  assert.deepEqual(bad('retries: { backoff: 5s, max-backoff: 1s }'), [
    'wf.yml:4:14: jobs.a.retries: missing required key "count"',
    'wf.yml:4:14: jobs.a.retries: max-backoff must not be shorter than backoff',
  ]);
  const ok = parseWorkflow(
    withJob('    timeout: 1h30m\n    steps: [{ run: x, timeout: 500ms }]\n'),
    'wf.yml',
  );
  assert.equal(ok.jobs.a?.timeoutMs, 5_400_000);
  assert.equal(ok.jobs.a?.steps[0]?.timeoutMs, 500);
});

test('steps: exactly one of run and uses; ids; with only for uses', () => {
  assert.deepEqual(
    problems(
      withJob(`    steps:
      - { id: x, run: a }
      - { id: x, run: b }
      - { run: c, with: { a: 1 } }
      - { uses: "two words" }
      - { uses: "\${{ inputs.tool }}" }
      - { run: '' }
`),
    ),
    [
      'wf.yml:6:15: jobs.a.steps[1].id: step id "x" is already used by steps[0]',
      'wf.yml:7:25: jobs.a.steps[2].with: with is for uses steps; a run step takes its arguments in run',
      'wf.yml:8:17: jobs.a.steps[3].uses: expected a tool name without spaces',
      'wf.yml:9:17: jobs.a.steps[4].uses: expressions (${{ }}) are not allowed here, only in if, env, run, working-directory, with and outputs',
      'wf.yml:10:16: jobs.a.steps[5].run: run is empty',
    ],
  );
});

test('${{ }} only where it is allowed', () => {
  assert.deepEqual(
    problems(`name: \${{ inputs.x }}
inputs: { x: { default: "\${{ env.A }}" } }
jobs:
  \${{ a }}:
    runs-on: \${{ inputs.agent }}
    steps: [{ run: x, name: "\${{ inputs.x }}" }]
`),
    [
      'wf.yml:1:7: name: expressions (${{ }}) are not allowed here, only in if, env, run, working-directory, with and outputs',
      'wf.yml:2:25: inputs.x.default: expressions (${{ }}) are not allowed in a default',
      'wf.yml:4:3: jobs.${{ a }}: invalid job id "${{ a }}": expected letters, digits, _ and -, starting with a letter or _',
      'wf.yml:5:14: jobs.${{ a }}.runs-on: expected an agent id (agt-…) or { capabilities: [name, …] }, got "${{ inputs.agent }}"',
      'wf.yml:6:29: jobs.${{ a }}.steps[0].name: expressions (${{ }}) are not allowed here, only in if, env, run, working-directory, with and outputs',
    ],
  );
});

test('expressions read only what exists where they are written', () => {
  const text = `inputs: { ref: {} }
env: { A: "\${{ inputs.ref }}", B: "\${{ env.A }}" }
jobs:
  build:
    runs-on: agt-abcdefghijklmnop
    env: { J: "\${{ env.A }}", K: "\${{ env.J }}" }
    if: \${{ jobs.test.result == 'success' }}
    steps:
      - { id: one, run: "x \${{ steps.two.outputs.y }}", env: { S: "\${{ env.J }}" } }
      - { id: two, run: "x \${{ steps.one.outputs.y }} \${{ env.S }}" }
      - { run: "x \${{ steps.one.result }} \${{ inputs.ref.x }}" }
    outputs: { o: "\${{ steps.two.outputs.z }}" }
  test:
    needs: build
    runs-on: agt-abcdefghijklmnop
    if: jobs.build.outputs.o == 'x' && jobs.build.status == 1
    steps: [{ run: "x \${{ steps.one.outputs.y }}" }]
`;
  assert.deepEqual(problems(text), [
    'wf.yml:2:40: env.B: unknown env variable "A" (env variables: none)',
    'wf.yml:6:39: jobs.build.env.K: unknown env variable "J" (env variables: A, B)',
    'wf.yml:7:13: jobs.build.if: jobs.test.result: job "build" does not need "test", so it cannot read its outputs or result; add it to needs',
    'wf.yml:9:32: jobs.build.steps[0].run: steps.two.outputs.y: step "two" has not run yet at this point',
    'wf.yml:10:59: jobs.build.steps[1].run: unknown env variable "S" (env variables: A, B, J, K)',
    'wf.yml:11:23: jobs.build.steps[2].run: expected steps.one.outputs.NAME, got steps.one.result',
    'wf.yml:11:47: jobs.build.steps[2].run: expected inputs.NAME, got inputs.ref.x',
    'wf.yml:16:40: jobs.test.if: expected jobs.build.outputs.NAME or jobs.build.result, got jobs.build.status',
    'wf.yml:17:27: jobs.test.steps[0].run: unknown step "one" (steps with an id: none)',
  ]);
});

test('a job reads outputs of jobs it needs through others, and not of the rest', () => {
  const text = `jobs:
  a: { runs-on: agt-abcdefghijklmnop, steps: [{ run: x }], outputs: { o: x } }
  b: { runs-on: agt-abcdefghijklmnop, needs: a, steps: [{ run: x }] }
  c: { runs-on: agt-abcdefghijklmnop, needs: b, steps: [{ run: "x \${{ jobs.a.outputs.o }}" }] }
  d: { runs-on: agt-abcdefghijklmnop, steps: [{ run: "x \${{ jobs.a.outputs.o }}" }] }
`;
  assert.deepEqual(problems(text), [
    'wf.yml:5:61: jobs.d.steps[0].run: jobs.a.outputs.o: job "d" does not need "a", so it cannot read its outputs or result; add it to needs',
  ]);
});

test('a run line with shell syntax is refused where it is', () => {
  const run = (line: string): string[] => problems(withJob(`    steps:\n      - run: ${line}\n`));
  assert.deepEqual(run('make > log'), [
    'wf.yml:5:19: jobs.a.steps[0].run: ">" is shell syntax, but run is not given to a shell; for that, write run: sh -c "…" (if the agent\'s policy allows sh)',
  ]);
  assert.deepEqual(run('echo $HOME'), [
    'wf.yml:5:19: jobs.a.steps[0].run: "$HOME" would be expanded by a shell, but run is not given to one: write ${{ env.NAME }} for a value, \'$\' in single quotes for a literal $, or run: sh -c "…" (if the agent\'s policy allows sh)',
  ]);
  const accepted = (line: string): string | undefined => {
    const step = parseWorkflow(withJob(`    steps:\n      - run: ${line}\n`), 'wf.yml').jobs.a
      ?.steps[0];
    return step?.type === 'run' ? step.run : undefined;
  };
  assert.equal(accepted(`"echo '$HOME' \\"$\\" a\\\\ b"`), `echo '$HOME' "$" a\\ b`);
  assert.equal(accepted(`"sh -c 'echo $HOME | tr a b'"`), "sh -c 'echo $HOME | tr a b'");
});

test('working-directory: for the job and for a step, which wins', () => {
  const workflow = parseWorkflow(
    `inputs: { ref: {} }
jobs:
  build:
    runs-on: agt-abcdefghijklmnop
    env: { DIR: /srv/build }
    working-directory: /srv/build
    steps:
      - run: make
      - { id: src, run: make, working-directory: "/srv/src/\${{ inputs.ref }}" }
      - run: make
        working-directory: \${{ steps.src.outputs.dir }}
    outputs: { dir: /srv/out }
  test:
    needs: build
    runs-on: agt-abcdefghijklmnop
    working-directory: "\${{ jobs.build.outputs.dir }}/\${{ env.DIR }}"
    env: { DIR: x }
    steps: [{ uses: tool, working-directory: / }]
`,
    'wf.yml',
  );
  const [build, test] = [workflow.jobs.build, workflow.jobs.test];
  assert.equal(build?.workingDirectory, '/srv/build');
  assert.deepEqual(
    build?.steps.map((s) => s.workingDirectory),
    [undefined, '/srv/src/${{ inputs.ref }}', '${{ steps.src.outputs.dir }}'],
  );
  assert.equal(test?.workingDirectory, '${{ jobs.build.outputs.dir }}/${{ env.DIR }}');
  assert.deepEqual(test?.steps[0], {
    type: 'uses',
    uses: 'tool',
    with: {},
    env: {},
    workingDirectory: '/',
  });
  assert.equal('workingDirectory' in (parseWorkflow(GOOD, 'wf.yml').jobs.build ?? {}), false);
});

test('working-directory: absolute unless it holds ${{ }}, whose references are checked', () => {
  assert.deepEqual(
    problems(`inputs: { ref: {} }
jobs:
  build:
    runs-on: agt-abcdefghijklmnop
    working-directory: build
    steps:
      - { run: make, working-directory: "./src" }
      - run: make
        working-directory: ''
    outputs: { dir: /x }
  test:
    runs-on: agt-abcdefghijklmnop
    working-directory: /srv/\${{ jobs.build.outputs.dir }}
    steps:
      - run: make
        working-directory: \${{ steps.later.outputs.dir }}/\${{ inputs.reff }}
      - { id: later, run: make, working-directory: "\${{ inputs.ref }}" }
  other:
    runs-on: agt-abcdefghijklmnop
    working-directory: \${{ steps.later.outputs.dir }}
    steps: [{ run: make }]
`),
    [
      'wf.yml:5:24: jobs.build.working-directory: expected an absolute directory on the worker like "/srv/build", got "build"',
      'wf.yml:7:41: jobs.build.steps[0].working-directory: expected an absolute directory on the worker like "/srv/build", got "./src"',
      'wf.yml:9:28: jobs.build.steps[1].working-directory: expected an absolute directory on the worker like "/srv/build", got ""',
      'wf.yml:13:33: jobs.test.working-directory: jobs.build.outputs.dir: job "test" does not need "build", so it cannot read its outputs or result; add it to needs',
      'wf.yml:16:32: jobs.test.steps[0].working-directory: steps.later.outputs.dir: step "later" has not run yet at this point',
      'wf.yml:16:63: jobs.test.steps[0].working-directory: unknown input "reff" (inputs: ref)',
      "wf.yml:20:28: jobs.other.working-directory: steps can only be read in a job's steps and outputs",
    ],
  );
});
