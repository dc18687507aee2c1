import { resolve } from 'node:path';
import type { OptionValues } from 'commander';
import { resolvePaths } from '../../config/paths.ts';
import { securityFiles } from '../../config/security-files.ts';
import { UsageError, quote } from '../../errors.ts';
import { loadPolicy } from '../../security/policy.ts';
import { evaluatePolicy } from '../../security/policy-evaluate.ts';
import { explainDecision } from '../../security/policy-explain.ts';
import type { CliContext } from '../context.ts';
import { EXIT_CODES } from '../exit-codes.ts';
import { listOption, stringOption } from '../option-values.ts';

/** `policy check -- COMMAND ARGS`. */
export function checkPolicy(
  command: string,
  args: readonly string[],
  values: OptionValues,
  context: CliContext,
): void {
  const agent = stringOption(values, 'requester') ?? '';
  const fingerprint = stringOption(values, 'fingerprint') ?? '';
  const address = stringOption(values, 'address') ?? '';
  if (agent === '' && fingerprint === '' && address === '')
    throw new UsageError(
      'say who asks: --requester AGENT, --fingerprint SHA256:… or --address ADDRESS',
    );
  const env: Record<string, string> = {};
  for (const pair of listOption(values, 'env')) {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new UsageError(`expected --env NAME=VALUE, got ${quote(pair)}`);
    env[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  const runningText = stringOption(values, 'running') ?? '0';
  if (!/^\d{1,6}$/.test(runningText))
    throw new UsageError(`expected --running to be a number of jobs, got ${quote(runningText)}`);
  const file = stringOption(values, 'file') ?? securityFiles(resolvePaths()).policy;
  const policy = loadPolicy(file);
  const workspace = stringOption(values, 'workspace');
  const decision = evaluatePolicy(
    policy,
    {
      requester: { agent, fingerprint, address },
      ...(workspace === undefined ? {} : { workspace }),
      command,
      args,
      cwd: resolve(stringOption(values, 'cwd') ?? process.cwd()),
      env,
    },
    { running: Number(runningText) },
  );
  for (const warning of policy.warnings) context.output.warn(`${file}: ${warning}`);
  context.output.result({ policy: file, missing: policy.missing, ...decision }, () =>
    policy.missing
      ? `${explainDecision(decision)}\n  (no policy file at ${file}: everything is denied)`
      : explainDecision(decision),
  );
  if (!decision.allowed) context.exitWith(EXIT_CODES.refused);
}
