/**
 * `mx-agent demo`: picks the live view or plain text, runs the demo (src/demo/), and turns a
 * failed step into exit code 1.
 */
import type { OptionValues } from 'commander';
import { InternalError, InterruptedError, UsageError, quote } from '../../errors.ts';
import type { CliContext } from '../context.ts';
import { flagOption, stringOption } from '../option-values.ts';

/** Run the demo with the command line's options. */
export async function demoAction(values: OptionValues, context: CliContext): Promise<void> {
  const ollama = stringOption(values, 'ollama');
  if (ollama !== undefined && !/^https?:\/\/[^/\s]+/.test(ollama))
    throw new UsageError(
      `expected --ollama to be a URL like http://127.0.0.1:11434, got ${quote(ollama)}`,
    );
  const { output } = context;
  const live =
    output.stdio.stdout.isTTY === true && !output.options.json && process.env.CI === undefined;
  const { jsonReporter, plainReporter } = await import('../../demo/report.ts');
  const reporter = live
    ? (await import('../../ui/demo-view.ts')).startDemoView(process.stdout)
    : output.options.json
      ? jsonReporter(output.stdio.stdout)
      : plainReporter(output.stdio.stdout);
  // Ctrl-C ends a --keep demo normally; before that it interrupts (exit 130).
  const keep = flagOption(values, 'keep');
  if (keep) context.endsOnInterrupt();
  const { runDemo } = await import('../../demo/run-demo.ts');
  const outcome = await runDemo({
    keep,
    offline: flagOption(values, 'offline'),
    ollamaHost: ollama,
    model: stringOption(values, 'model'),
    xmpp: values.xmpp !== false,
    env: process.env,
    signal: context.signal,
    reporter,
  });
  if (outcome.ok) return;
  if (context.signal.aborted)
    throw new InterruptedError('interrupted: the demo stopped its agents and servers');
  throw new InternalError(`the demo failed: ${outcome.error ?? 'unknown error'}`);
}
