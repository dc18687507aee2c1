import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { startDemoView } from '../../../src/ui/demo-view.ts';
import { FakeTerminal } from '../../support/fake-terminal.ts';

describe('the demo view', () => {
  it('writes the transcript once, shows the steps live, and leaves only the transcript', async () => {
    const term = new FakeTerminal(60, 30);
    const clock = { t: 0 };
    const view = startDemoView(term, { interactive: true, now: () => clock.t });
    try {
      view.plan(['Start the servers', 'Discover the agents', 'Chat with bob']);
      view.event({ type: 'intro', lines: ['mx-agent demo'] });
      view.event({ type: 'step', index: 0, title: 'Start the servers' });
      view.event({ type: 'note', text: 'Matrix at http://127.0.0.1:1' });
      clock.t = 1200;
      view.event({ type: 'step-done', ms: 1200 });
      view.event({ type: 'step', index: 1, title: 'Discover the agents' });
      clock.t = 3500;
      view.event({
        type: 'command',
        agent: 'alice',
        line: 'discover --capability a-very-long-capability-name-that-does-not-fit',
      });
      view.event({ type: 'output', text: 'bob  serve  active' });
      await term.until(/▸ +2\. Discover the agents/);
      const live = await term.lines();
      const text = live.join('\n');
      assert.match(text, /\[1\/3\] Start the servers/);
      assert.match(text, /· Matrix at http:\/\/127\.0\.0\.1:1/);
      assert.match(text, /\$ alice discover --capability/);
      assert.match(text, / {6}bob {2}serve {2}active/);
      assert.match(text, /✓ {2}1\. Start the servers {2}1\.2 s/);
      const running = live.find((l) => l.includes('2. Discover the agents'));
      assert.ok(running?.includes('▸') && running.includes('2.3 s'), running);
      assert.ok(running?.trimEnd().endsWith('…'), `clipped to the width: ${String(running)}`);
      assert.match(text, /· {2}3\. Chat with bob/);
      view.event({ type: 'step-failed', error: 'bob did not answer' });
      view.event({ type: 'outro', lines: ['the end'] });
    } finally {
      await view.finish();
      await view.finish();
    }
    const done = (await term.lines()).join('\n');
    assert.match(done, /✗ bob did not answer/);
    assert.match(done, /the end/);
    assert.doesNotMatch(done, /3\. Chat with bob/, 'the checklist is gone');
    assert.equal(done.match(/\[1\/3\] Start the servers/g)?.length, 1, 'each line once');
    term.screen.dispose();
  });
});
