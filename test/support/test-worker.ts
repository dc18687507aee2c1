/**
 * A worker for tests: its own trust store (trusting the requester's new key), replay store,
 * audit log and a policy allowing /bin/sh in `dir` without a sandbox, serving `transport`.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ApprovalStore } from '../../src/security/approvals.ts';
import { AuditLog } from '../../src/security/audit-log.ts';
import { loadPolicy } from '../../src/security/policy.ts';
import { ReplayGuard } from '../../src/security/replay-guard.ts';
import { generateSigningKey, type SigningKey } from '../../src/security/signing-key.ts';
import { TrustStore } from '../../src/security/trust-store.ts';
import type { Transport } from '../../src/transport/transport.ts';
import { Worker } from '../../src/workflow/worker.ts';

/** The agent ids tests use for the worker and the requester. */
export const TEST_WORKER = 'agt-workerworkerwork';
export const TEST_BOSS = 'agt-bossbossbossboss';

/** A running test worker. */
export interface TestWorker {
  readonly worker: Worker;
  readonly workerKey: SigningKey;
  readonly bossKey: SigningKey;
  /** The audit log's path. */
  readonly audit: string;
  /** What the worker logged, as `level: message`. */
  readonly logs: readonly string[];
  /** Its policy file and trust store, for a test that changes them while a job waits. */
  readonly policyFile: string;
  readonly trust: TrustStore;
  /** Where it holds jobs for approval (the CLI's store, opened by the test). */
  readonly approvals: ApprovalStore;
  stop(): Promise<void>;
}

/** What else a test may set: its agent id, the requester key it trusts, its keepalive. */
export interface TestWorkerOptions {
  readonly agent?: string;
  readonly bossKey?: SigningKey;
  readonly keepaliveMs?: number;
  /** How long a job held for approval waits (default: the worker's). */
  readonly approvalWindowMs?: number;
}

/** Start a worker on `transport`; `policy` adds lines to its [[allow]] rule. */
export function startTestWorker(
  transport: Transport,
  dir: string,
  policy = '',
  options: TestWorkerOptions = {},
): TestWorker {
  const workerKey = generateSigningKey();
  const bossKey = options.bossKey ?? generateSigningKey();
  // A second worker in the same directory (another agent id) keeps its own files.
  const own = options.agent === undefined ? '' : `-${options.agent}`;
  const trust = new TrustStore(join(dir, `worker-config${own}`));
  trust.add({ agent: TEST_BOSS, key: bossKey.publicRaw, via: 'manual' });
  const policyFile = join(dir, `policy${own}.toml`);
  writeFileSync(
    policyFile,
    `[[allow]]\nrequester = "${TEST_BOSS}"\ncommands = ["/bin/sh"]\ncwd = ["${dir}"]\nrequire_sandbox = false\n${policy}`,
    { mode: 0o600 },
  );
  const audit = join(dir, `audit${own}.jsonl`);
  const replay = new ReplayGuard(join(dir, `worker-data${own}`));
  const logs: string[] = [];
  const approvals = new ApprovalStore(join(dir, `worker-data${own}`));
  const worker = new Worker({
    agent: options.agent ?? TEST_WORKER,
    key: workerKey,
    ...(options.keepaliveMs === undefined ? {} : { keepaliveMs: options.keepaliveMs }),
    trust,
    replay,
    audit: new AuditLog(audit),
    policy: () => loadPolicy(policyFile),
    approvals: { open: () => approvals, exists: () => true },
    approvalPollMs: 50,
    ...(options.approvalWindowMs === undefined
      ? {}
      : { approvalWindowMs: options.approvalWindowMs }),
    sandboxSupport: { kind: 'none', reason: 'not needed in these tests' },
    log: (level, message) => {
      logs.push(`${level}: ${message}`);
    },
  });
  worker.start(transport);
  return {
    worker,
    workerKey,
    bossKey,
    audit,
    logs,
    policyFile,
    trust,
    approvals,
    stop: async () => {
      await worker.stop();
      replay.close();
      approvals.close();
    },
  };
}
