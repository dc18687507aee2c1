/**
 * A parsed workflow file (specs/workflow.schema.json): plain data, so it can be saved with a
 * run's state and sent to the agents that run its jobs. Strings that may hold `${{ … }}` are
 * kept as written and interpolated when the job runs (expressions-template.ts).
 */
import type { JsonValue } from '../transport/transport.ts';

/** A workflow: named jobs that need each other, run by peer agents. */
export interface Workflow {
  readonly name: string;
  readonly description?: string;
  /** Values the run is started with, by input id. */
  readonly inputs: Readonly<Record<string, WorkflowInput>>;
  /** Environment for every job; values may read `inputs`. */
  readonly env: Readonly<Record<string, string>>;
  /** At most this many jobs run at once; unlimited when absent. */
  readonly maxParallel?: number;
  /** The jobs by id, in file order. */
  readonly jobs: Readonly<Record<string, Job>>;
}

/** A value an input can take. */
export type InputValue = string | number | boolean;

/** One declared input. */
export interface WorkflowInput {
  readonly description?: string;
  readonly default?: InputValue;
  /** A run must give it (when it has no default). */
  readonly required: boolean;
}

/** Where a job runs: one agent by id, or any agent advertising all the capabilities. */
export type RunsOn = { readonly agent: string } | { readonly capabilities: readonly string[] };

/** How often a failed job is tried again, and how long to wait in between. */
export interface RetryPolicy {
  /** Extra attempts after the first (0..10). */
  readonly retries: number;
  /** Wait before the first retry; doubled for each further one. */
  readonly backoffMs: number;
  /** The wait never grows beyond this. */
  readonly maxBackoffMs: number;
}

/** One job: steps run in order on one agent. */
export interface Job {
  readonly id: string;
  readonly name?: string;
  /** Jobs that must finish first, in file order. */
  readonly needs: readonly string[];
  readonly runsOn: RunsOn;
  /** The condition's expression (without `${{ }}`); absent means `success()`. */
  readonly if?: string;
  readonly timeoutMs?: number;
  readonly retry: RetryPolicy;
  /** A failure is recorded but counts as success for the jobs that need this one. */
  readonly continueOnError: boolean;
  /** Environment of its steps; values are templates. */
  readonly env: Readonly<Record<string, string>>;
  /**
   * Where its steps run on the worker, unless a step says otherwise: an absolute directory
   * (the worker's policy admits only listed ones), or a template checked once interpolated.
   */
  readonly workingDirectory?: string;
  readonly steps: readonly Step[];
  /** Outputs by name; values are templates that may read `steps`. */
  readonly outputs: Readonly<Record<string, string>>;
  /**
   * Files it leaves for the jobs that need it: globs relative to its working directory,
   * collected on its agent after its last step and written into theirs before their first.
   */
  readonly artifacts?: readonly string[];
}

/** A step: a command (`run`) or a tool the agent advertises (`uses`). */
export type Step = RunStep | UsesStep;

/** What every step has. */
interface StepBase {
  /** How expressions refer to it (`steps.ID.outputs.NAME`); defaults to its name when that is an id. */
  readonly id?: string;
  readonly name?: string;
  /** Environment added for this step; values are templates. */
  readonly env: Readonly<Record<string, string>>;
  /** Where it runs on the worker, instead of its job's: as `Job.workingDirectory`. */
  readonly workingDirectory?: string;
  readonly timeoutMs?: number;
}

/** A command line, split into words like a POSIX shell would but never given to one. */
export interface RunStep extends StepBase {
  readonly type: 'run';
  readonly run: string;
}

/** A call of a tool or skill with inputs; string leaves of `with` are templates. */
export interface UsesStep extends StepBase {
  readonly type: 'uses';
  readonly uses: string;
  readonly with: Readonly<Record<string, JsonValue>>;
}

/** Backoff when `retries` is a bare number. */
export const DEFAULT_RETRY: Omit<RetryPolicy, 'retries'> = {
  backoffMs: 5_000,
  maxBackoffMs: 300_000,
};
