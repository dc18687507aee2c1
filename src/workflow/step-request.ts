/**
 * What the orchestrator sends and shows for one step: the task request built from the step
 * (its `${{ }}` templates filled in, a command line split without a shell, or a tool with its
 * inputs), and the step's output bytes cut into lines for the events.
 */
import { interpolate } from './expressions-template.ts';
import type { SchedulerAction } from './scheduler.ts';
import type { TaskSpec } from './task-protocol.ts';
import { interpolateWith } from './tool-task.ts';
import { commandArgv } from './workflow-command-line.ts';
import type { Job, Step } from './workflow-types.ts';

/** The task request of one step: its command line or tool, environment and directory filled in. */
export function stepSpec(
  runId: string,
  job: Job,
  step: Step,
  stepId: string,
  action: Extract<SchedulerAction, { type: 'start' }>,
  context: Parameters<typeof interpolate>[1],
): TaskSpec {
  const env: Record<string, string> = { ...action.context.env };
  for (const [name, value] of Object.entries(step.env)) env[name] = interpolate(value, context);
  // The step's own env is visible to its run line and working directory.
  const stepContext = { ...context, env };
  const task = { run: runId, job: action.jobId, step: stepId, attempt: action.attempt };
  // A tool runs where its owner set it up: no working directory, only the inputs.
  if (step.type === 'uses')
    return { ...task, tool: step.uses, with: interpolateWith(step.with, stepContext), env };
  const argv = commandArgv(step.run, stepContext);
  const [command, ...args] = argv;
  if (command === undefined) throw new Error('run is empty');
  const where = step.workingDirectory ?? job.workingDirectory;
  if (where === undefined)
    throw new Error(
      'no working-directory: say where on the worker it runs (a directory its policy allows)',
    );
  const cwd = interpolate(where, stepContext);
  if (!cwd.startsWith('/'))
    throw new Error(`working-directory must be absolute on the worker, got "${cwd}"`);
  return { ...task, command, args, cwd, env };
}

/** Output bytes to whole lines per stream (a partial last line is flushed at the end). */
export class LineSplitter {
  readonly #emit: (stream: 'stdout' | 'stderr', line: string) => void;
  readonly #rest = { stdout: '', stderr: '' };
  readonly #decoders = { stdout: new TextDecoder(), stderr: new TextDecoder() };

  constructor(emit: (stream: 'stdout' | 'stderr', line: string) => void) {
    this.#emit = emit;
  }

  push(stream: 'stdout' | 'stderr', data: Uint8Array): void {
    const text = this.#rest[stream] + this.#decoders[stream].decode(data, { stream: true });
    const lines = text.split('\n');
    this.#rest[stream] = lines.pop() ?? '';
    for (const line of lines) this.#emit(stream, line.replace(/\r$/, ''));
  }

  end(): void {
    for (const stream of ['stdout', 'stderr'] as const) {
      const rest = this.#rest[stream] + this.#decoders[stream].decode();
      if (rest !== '') this.#emit(stream, rest);
      this.#rest[stream] = '';
    }
  }
}
