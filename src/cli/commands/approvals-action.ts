import { userInfo } from 'node:os';
import type { OptionValues } from 'commander';
import { resolvePaths } from '../../config/paths.ts';
import { securityFiles } from '../../config/security-files.ts';
import { RefusedError } from '../../errors.ts';
import { ApprovalStore, processRuns, type HeldJob } from '../../security/approvals.ts';
import { AuditLog } from '../../security/audit-log.ts';
import type { CliContext } from '../context.ts';
import { flagOption, stringOption } from '../option-values.ts';

function withStore<T>(use: (store: ApprovalStore) => T): T {
  const store = new ApprovalStore(securityFiles(resolvePaths()).replayDir);
  try {
    return use(store);
  } finally {
    store.close();
  }
}

/** `approvals list [--all]`. */
export function listApprovals(values: OptionValues, context: CliContext): void {
  const all = flagOption(values, 'all');
  const now = Date.now();
  const jobs = withStore((store) => store.list({ all }));
  context.output.result(jobs, (list) =>
    list.length === 0
      ? all
        ? 'no held jobs on file'
        : 'no jobs wait for approval'
      : list.map((job) => formatHeldJob(job, now)).join('\n'),
  );
}

/** `approvals approve ID`, `approvals deny ID [--reason]`: record the decision, and audit it. */
export function decideApproval(
  id: string,
  verdict: 'approved' | 'denied',
  values: OptionValues,
  context: CliContext,
): void {
  const by = userInfo().username;
  const reason = stringOption(values, 'reason');
  const files = securityFiles(resolvePaths());
  const job = withStore((store) => {
    const held = store.get(id);
    // Approving a job nobody holds any more would run nothing: say so instead.
    if (held?.status === 'pending' && !processRuns(held.holder.pid)) {
      const why = `its worker (process ${String(held.holder.pid)}) is gone: a held job does not survive its worker; the requester must ask again`;
      store.settle(id, ['pending'], 'expired', why, Date.now());
      throw new RefusedError(`${id} cannot be ${verdict}: ${why}`);
    }
    return store.decide(id, verdict, by, Date.now(), reason);
  });
  new AuditLog(files.audit).append({
    event: `approval ${verdict}`,
    decision: verdict === 'approved' ? 'allowed' : 'denied',
    stage: 'approval',
    approval: id,
    by,
    reason: reason ?? (verdict === 'approved' ? `approved by ${by}` : `denied by ${by}`),
    requester: job.requester,
    nonce: job.nonce,
  });
  context.output.result(
    job,
    (j) =>
      `${verdict} ${j.id}: ${j.requester.agent} ${j.run}/${j.job}/${j.step}` +
      (verdict === 'approved'
        ? ' (the worker checks trust and policy again, then runs it)'
        : ' (its requester is told)'),
  );
}

/** One held job on two lines: who, what, when; env by name and length. */
export function formatHeldJob(job: HeldJob, now: number): string {
  const status =
    job.status === 'pending' && job.expiresAt <= now ? 'expired (no decision)' : job.status;
  const when =
    job.status === 'pending' && job.expiresAt > now
      ? `expires in ${duration(job.expiresAt - now)}`
      : `held ${new Date(job.heldAt).toISOString()}`;
  const env =
    job.env.length === 0
      ? ''
      : `  env ${job.env.map((e) => `${e.name}(${String(e.length)} chars)`).join(' ')}`;
  const decided =
    job.decidedBy === undefined && job.reason === undefined
      ? ''
      : `  ${job.decidedBy === undefined ? '' : `by ${job.decidedBy}`}${job.reason === undefined ? '' : `: ${job.reason}`}`;
  return (
    `${job.id}  ${status}  ${job.requester.agent} (${job.requester.address})  ${job.run}/${job.job}/${job.step}  allow[${String(job.rule)}]  ${when}${decided}\n` +
    `    ${[job.command, ...job.args].map(shellWord).join(' ')}  in ${job.cwd}${env}`
  );
}

function shellWord(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

function duration(ms: number): string {
  const s = Math.ceil(ms / 1000);
  return s < 60
    ? `${String(s)}s`
    : `${String(Math.floor(s / 60))}m${String(s % 60).padStart(2, '0')}s`;
}
