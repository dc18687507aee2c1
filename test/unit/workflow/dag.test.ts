import assert from 'node:assert/strict';
import { test } from 'node:test';
import { InternalError } from '../../../src/errors.ts';
import {
  criticalPath,
  findCycles,
  topologicalOrder,
  transitiveNeeds,
  type Dag,
} from '../../../src/workflow/dag.ts';

// lint and fetch start at once; build needs both; test and docs need build; release needs both.
const dag: Dag = {
  lint: { needs: [] },
  fetch: { needs: [] },
  build: { needs: ['lint', 'fetch'] },
  test: { needs: ['build'] },
  docs: { needs: ['build'] },
  release: { needs: ['test', 'docs'] },
};

test('topological order: every job after the jobs it needs, ties in declaration order', () => {
  assert.deepEqual(topologicalOrder(dag), ['lint', 'fetch', 'build', 'test', 'docs', 'release']);
  assert.deepEqual(topologicalOrder({ late: { needs: ['early'] }, early: { needs: [] } }), [
    'early',
    'late',
  ]);
  assert.throws(
    () => topologicalOrder({ a: { needs: ['b'] }, b: { needs: ['a'] } }),
    (e: unknown) => e instanceof InternalError && e.message === 'jobs form a cycle: a → b → a',
  );
});

test('cycles are named from a job back to itself', () => {
  assert.deepEqual(findCycles(dag), []);
  assert.deepEqual(
    findCycles({ build: { needs: ['test'] }, test: { needs: ['build'] }, x: { needs: ['x'] } }),
    [
      ['build', 'test', 'build'],
      ['x', 'x'],
    ],
  );
  assert.deepEqual(
    findCycles({
      a: { needs: ['b'] },
      b: { needs: ['c'] },
      c: { needs: ['a'] },
      d: { needs: ['c'] },
    }),
    [['a', 'b', 'c', 'a']],
  );
});

test('transitive needs follow every path, and ignore unknown ids', () => {
  assert.deepEqual([...transitiveNeeds(dag, 'release')].sort(), [
    'build',
    'docs',
    'fetch',
    'lint',
    'test',
  ]);
  assert.deepEqual([...transitiveNeeds(dag, 'lint')], []);
  assert.deepEqual([...transitiveNeeds({ a: { needs: ['ghost'] } }, 'a')], []);
  assert.deepEqual([...transitiveNeeds({ a: { needs: ['b'] }, b: { needs: ['a'] } }, 'a')].sort(), [
    'a',
    'b',
  ]);
});

test('critical path: the longest chain by duration', () => {
  const durations = { lint: 5, fetch: 30, build: 60, test: 120, docs: 20, release: 10 };
  assert.deepEqual(criticalPath(dag, durations), {
    length: 220,
    jobs: ['fetch', 'build', 'test', 'release'],
  });
  // Make docs the long branch, and lint the slow start.
  assert.deepEqual(criticalPath(dag, { ...durations, lint: 40, docs: 200 }), {
    length: 310,
    jobs: ['lint', 'build', 'docs', 'release'],
  });
  assert.deepEqual(criticalPath({}, {}), { length: 0, jobs: [] });
  assert.deepEqual(criticalPath({ only: { needs: [] } }, {}), { length: 0, jobs: ['only'] });
});
