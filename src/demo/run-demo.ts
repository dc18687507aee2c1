/**
 * `mx-agent demo`: the whole product in one command, on this machine. Opens the world (servers,
 * temporary home), runs each step, then takes everything down — or, with `keep`, leaves it
 * running until the signal with the commands to try by hand.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { DemoReporter } from './report.ts';
import {
  agentsStep,
  discoverStep,
  serveStep,
  serversStep,
  workspaceStep,
  type DemoStep,
  type ModelChoice,
} from './setup-steps.ts';
import { tourSteps, tryLines } from './tour-steps.ts';
import { closeWorld, openWorld, type DemoWorld } from './world.ts';

/** How to run the demo. */
export interface DemoOptions extends ModelChoice {
  readonly keep: boolean;
  /** Start Prosody when installed (the XMPP half); off: Matrix only. */
  readonly xmpp: boolean;
  readonly env: NodeJS.ProcessEnv;
  readonly signal: AbortSignal;
  readonly reporter: DemoReporter;
}

/** What happened. */
export interface DemoOutcome {
  readonly ok: boolean;
  readonly ms: number;
  /** The failed step's error, when one failed. */
  readonly error?: string;
}

/** Every step, in order. */
export function demoSteps(choice: ModelChoice): DemoStep[] {
  return [serversStep, agentsStep, serveStep(choice), workspaceStep, discoverStep, ...tourSteps()];
}

/** Run the demo to the end (or to the first failed step) and clean up. */
export async function runDemo(options: DemoOptions): Promise<DemoOutcome> {
  const started = Date.now();
  const { reporter } = options;
  const steps = demoSteps(options);
  reporter.plan(steps.map((s) => s.title));
  const report = reporter.event.bind(reporter);
  report({
    type: 'intro',
    lines: [
      'mx-agent demo: three agents on this machine, talking over Matrix and XMPP.',
      'Each step runs the real mx-agent commands, shown as "$ AGENT COMMAND".',
    ],
  });
  const world = await openWorld(options.env, options.signal, report, options.xmpp);
  let outcome: DemoOutcome | undefined;
  try {
    outcome = await runSteps(world, steps, started);
    if (outcome.ok && options.keep) {
      const aliases = join(world.root, 'aliases.sh');
      writeFileSync(
        aliases,
        `${[world.alice, world.bob, world.carol].map((a) => a.alias()).join('\n')}\n`,
        { mode: 0o600 },
      );
      report({
        type: 'outro',
        lines: [`Done in ${seconds(outcome.ms)}.`, ...tryLines(world, aliases)],
      });
      await reporter.finish();
      await untilAborted(options.signal);
    }
  } finally {
    await closeWorld(world, false);
  }
  if (outcome.ok && !options.keep)
    report({
      type: 'outro',
      lines: [
        `Done in ${seconds(outcome.ms)}; the servers and agents are stopped and their files removed.`,
        'Run `mx-agent demo --keep` to keep them running and try the commands yourself.',
      ],
    });
  await reporter.finish();
  return outcome;
}

async function runSteps(
  world: DemoWorld,
  steps: readonly DemoStep[],
  started: number,
): Promise<DemoOutcome> {
  for (const [index, step] of steps.entries()) {
    world.report({ type: 'step', index, title: step.title });
    const stepStarted = Date.now();
    try {
      if (world.signal.aborted) throw new Error('interrupted');
      await step.run(world);
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      world.report({ type: 'step-failed', error: message });
      return { ok: false, ms: Date.now() - started, error: message };
    }
    world.report({ type: 'step-done', ms: Date.now() - stepStarted });
  }
  return { ok: true, ms: Date.now() - started };
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}

function untilAborted(signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    // Keeps the process alive until the signal, like a server's listening socket would.
    const keepAlive = setInterval(() => undefined, 1 << 30);
    signal.addEventListener(
      'abort',
      () => {
        clearInterval(keepAlive);
        resolve();
      },
      { once: true },
    );
  });
}
