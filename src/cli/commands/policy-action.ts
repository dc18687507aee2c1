import { resolve } from 'node:path';
import type { OptionValues } from 'commander';
import { resolvePaths } from '../../config/paths.ts';
import { securityFiles } from '../../config/security-files.ts';
import { UsageError, quote } from '../../errors.ts';
import { loadPolicy } from '../../security/policy.ts';
import { evaluatePolicy } from '../../security/policy-evaluate.ts';
import { explainDecision } from '../../security/policy-explain.ts';
import { evaluateToolCall } from '../../security/policy-tools.ts';
import type { CliContext } from '../context.ts';
import { EXIT_CODES } from '../exit-codes.ts';
import { listOption, stringOption } from '../option-values.ts';

/** `policy check -- COMMAND ARGS`, or `policy check --tool NAME --with INPUT=VALUE…`. */
export function checkPolicy(
  command: string | undefined,
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
  const env = pairs(values, 'env', 'NAME=VALUE');
  const tool = stringOption(values, 'tool');
  if ((tool === undefined) === (command === undefined))
    throw new UsageError('say what the peer would ask for: -- COMMAND [ARGS…], or --tool NAME');
  if (tool !== undefined && stringOption(values, 'cwd') !== undefined)
    throw new UsageError(
      '--cwd goes with a command: a tool runs where its [tools.NAME] table says',
    );
  if (tool === undefined && listOption(values, 'with').length > 0)
    throw new UsageError('--with goes with --tool NAME: a command takes its arguments after --');
  const runningText = stringOption(values, 'running') ?? '0';
  if (!/^\d{1,6}$/.test(runningText))
    throw new UsageError(`expected --running to be a number of jobs, got ${quote(runningText)}`);
  const file = stringOption(values, 'file') ?? securityFiles(resolvePaths()).policy;
  const policy = loadPolicy(file);
  const workspace = stringOption(values, 'workspace');
  const requester = { agent, fingerprint, address };
  const from = workspace === undefined ? {} : { workspace };
  const jobs = { running: Number(runningText) };
  const decision =
    tool === undefined
      ? evaluatePolicy(
          policy,
          {
            requester,
            ...from,
            command: command ?? '',
            args,
            cwd: resolve(stringOption(values, 'cwd') ?? process.cwd()),
            env,
          },
          jobs,
        )
      : evaluateToolCall(
          policy,
          { requester, ...from, tool, with: pairs(values, 'with', 'INPUT=VALUE'), env },
          jobs,
        );
  for (const warning of policy.warnings) context.output.warn(`${file}: ${warning}`);
  context.output.result({ policy: file, missing: policy.missing, ...decision }, () =>
    policy.missing
      ? `${explainDecision(decision)}\n  (no policy file at ${file}: everything is denied)`
      : explainDecision(decision),
  );
  if (!decision.allowed) context.exitWith(EXIT_CODES.refused);
}

/** `--NAME K=V` options as an object; a UsageError for one without `=`. */
function pairs(values: OptionValues, name: string, form: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const pair of listOption(values, name)) {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new UsageError(`expected --${name} ${form}, got ${quote(pair)}`);
    out[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  return out;
}
