/**
 * A worker for tests: its own trust store (trusting the requester's new key), replay store,
 * audit log and a policy allowing /bin/sh in `dir` without a sandbox, serving `transport`.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
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
  stop(): Promise<void>;
}

/** Start a worker on `transport`; `policy` adds lines to its [[allow]] rule. */
export function startTestWorker(transport: Transport, dir: string, policy = ''): TestWorker {
  const workerKey = generateSigningKey();
  const bossKey = generateSigningKey();
  const trust = new TrustStore(join(dir, 'worker-config'));
  trust.add({ agent: TEST_BOSS, key: bossKey.publicRaw, via: 'manual' });
  const policyFile = join(dir, 'policy.toml');
  writeFileSync(
    policyFile,
    `[[allow]]\nrequester = "${TEST_BOSS}"\ncommands = ["/bin/sh"]\ncwd = ["${dir}"]\nrequire_sandbox = false\n${policy}`,
    { mode: 0o600 },
  );
  const audit = join(dir, 'audit.jsonl');
  const replay = new ReplayGuard(join(dir, 'worker-data'));
  const worker = new Worker({
    agent: TEST_WORKER,
    key: workerKey,
    trust,
    replay,
    audit: new AuditLog(audit),
    policy: () => loadPolicy(policyFile),
    sandboxSupport: { kind: 'none', reason: 'not needed in these tests' },
    log: () => undefined,
  });
  worker.start(transport);
  return {
    worker,
    workerKey,
    bossKey,
    audit,
    stop: async () => {
      await worker.stop();
      replay.close();
    },
  };
}
