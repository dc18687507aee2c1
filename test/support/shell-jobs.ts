/** Running a shell snippet through runJobProcess, for the sandbox and job-process tests. */
import {
  runJobProcess,
  type JobProcessOptions,
  type JobProcessResult,
} from '../../src/workflow/job-process.ts';

/** What `shellJob` returns: the result, and the output both together and per stream. */
export type ShellJobResult = JobProcessResult & { output: string; stdout: string; stderr: string };

/** Run `script` with /bin/sh in `cwd` (4 s, 64 KiB, no network, empty environment). */
export async function shellJob(
  script: string,
  cwd: string,
  changes: Partial<JobProcessOptions> = {},
): Promise<ShellJobResult> {
  const out = { output: '', stdout: '', stderr: '' };
  const result = await runJobProcess({
    command: '/bin/sh',
    args: ['-c', script],
    cwd,
    env: {},
    timeoutMs: 4000,
    maxOutputBytes: 65536,
    sandbox: 'off',
    network: false,
    onOutput: (stream, chunk) => {
      const text = chunk.toString();
      out.output += text;
      out[stream] += text;
    },
    ...changes,
  });
  return { ...result, ...out };
}
