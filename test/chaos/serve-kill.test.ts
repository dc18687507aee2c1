/**
 * kill -9 a serve agent mid-conversation, four times, and start it again on the same home,
 * config and memory, while three people keep writing to it (20 numbered messages each), on
 * Prosody and on the dev Matrix homeserver (end-to-end encrypted): every message is answered
 * exactly once, each person's answers come in the order they asked, and the agent's session
 * log holds each message once. The figures are printed (docs/reliability.md).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  runKillScenario,
  type KillMoment,
  type KillNetwork,
  type KillOutcome,
} from '../support/kill-scenario.ts';
import { MatrixTestbed } from '../support/matrix-peers.ts';
import { prosodyForTests } from '../support/prosody.ts';
import { matrixServePeople, xmppServePeople } from '../support/serve-people.ts';

const PEOPLE = 3;
const EACH = 20;
const SEED = Number(process.env.MX_AGENT_CHAOS_SEED ?? 20261126);
// A kill while a model call is in flight, one right after a message was recorded, one while an
// answer is being sent, and one at a random time.
const KILLS: readonly KillMoment[] = ['model-call', 'recorded', 'answering', 'random'];

const server = await prosodyForTests();

describe('serve killed with SIGKILL mid-conversation and restarted', { timeout: 240_000 }, () => {
  it('XMPP (Prosody): no message lost, none answered twice', { skip: !server }, async () => {
    if (!server) return;
    const outcome = await runKillScenario(
      { provider: 'anthropic', ...xmppServePeople(server) },
      { people: PEOPLE, each: EACH, kills: KILLS, seed: SEED },
    );
    check('XMPP', outcome);
  });

  it('Matrix (dev homeserver, E2EE): no message lost, none answered twice', async () => {
    const bed = await MatrixTestbed.start();
    try {
      const network: KillNetwork = { provider: 'openai', ...matrixServePeople(bed) };
      check(
        'Matrix',
        await runKillScenario(network, { people: PEOPLE, each: EACH, kills: KILLS, seed: SEED }),
      );
    } finally {
      await bed.dispose();
    }
  });
});

/** Print the figures, then hold the run to exactly-once, in order, logged once. */
function check(network: string, outcome: KillOutcome): void {
  const expected = (p: number): string[] =>
    Array.from({ length: EACH }, (_, i) => `p${String(p)} m${String(i)}`);
  let answers = 0;
  const lost: string[] = [];
  const duplicated: string[] = [];
  for (const [p, shown] of outcome.shown.entries()) {
    answers += shown.length;
    for (const text of expected(p)) {
      const count = shown.filter((s) => s.replace(/ …$/, '') === `echo: ${text}`).length;
      if (count === 0) lost.push(text);
      if (count > 1) duplicated.push(`${text} ×${String(count)}`);
    }
  }
  const figures = {
    network,
    seed: SEED,
    kills: outcome.kills.map((k) => ({
      moment: `${k.moment}${k.onCue ? '' : ' (no cue in 5 s)'}`,
      processes: k.pids.length,
      survivors: k.survivors.length,
      unansweredAtKill: k.unanswered,
      sentWhileDown: k.sentWhileDown,
      downMs: k.downMs,
      readyMs: k.readyMs,
      firstAnswerMs: k.firstAnswerMs,
    })),
    sent: outcome.sent,
    redelivered: outcome.redelivered,
    answers,
    lost,
    duplicated,
    ms: outcome.ms,
  };
  process.stderr.write(`serve-kill figures: ${JSON.stringify(figures)}\n`);
  assert.equal(outcome.kills.length, KILLS.length);
  assert.deepEqual(
    outcome.kills.filter((k) => !k.onCue).map((k) => k.moment),
    [],
    'every kill struck at its moment',
  );
  assert.deepEqual(
    outcome.kills.flatMap((k) => k.survivors),
    [],
    'nothing of a killed agent runs on',
  );
  assert.equal(outcome.sent, PEOPLE * EACH);
  for (const [p, shown] of outcome.shown.entries())
    assert.deepEqual(
      shown,
      expected(p).map((text) => `echo: ${text}`),
      `what person ${String(p)} saw`,
    );
  for (const [p, logged] of outcome.logged.entries())
    assert.deepEqual(logged, expected(p), `person ${String(p)}'s messages in the session log`);
}
