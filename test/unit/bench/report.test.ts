import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BEGIN, END, figuresOf, figuresTable, withSection } from '../../../bench/report.ts';

describe('the benchmark summary (bench/run.ts)', () => {
  it('takes the judged figures and verdicts, not the thresholds', () => {
    const figures = figuresOf('serve', {
      budget: { ratio: 1.5 },
      xmpp: { p50Ratio: 1.04, budgetMet: true, messagesPerSecond: { serve: 399, echoBot: 788 } },
      cli: { ratio: 1.2, budgetRatio: 2, withinBudget: true, samples: 50 },
    });
    assert.deepEqual(
      figures.map((f) => `${f.path}=${String(f.value)}`),
      [
        'xmpp.p50Ratio=1.04',
        'xmpp.budgetMet=true',
        'xmpp.messagesPerSecond.serve=399',
        'xmpp.messagesPerSecond.echoBot=788',
        'cli.ratio=1.2',
        'cli.withinBudget=true',
      ],
    );
    const table = figuresTable(figures, '2-core test', '2026-11-25');
    assert.match(table, /^Last `npm run bench` \(bench\/run\.ts\): 2-core test, 2026-11-25\./);
    assert.match(table, /\| serve \| `xmpp\.budgetMet` \| \*\*met\*\* \|/);
  });

  it('replaces its section in place, or adds it before the first section', () => {
    const doc = '# Performance\n\nIntro.\n\n## CLI start\n\ntext\n';
    const once = withSection(doc, 'table one');
    assert.match(
      once,
      new RegExp(
        `Intro\\.\\n\\n## Summary of the last run\\n\\n${BEGIN}\\ntable one\\n${END}\\n\\n## CLI start`,
      ),
    );
    const twice = withSection(once, 'table two');
    assert.equal(twice, once.replace('table one', 'table two'));
  });
});
