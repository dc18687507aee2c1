/**
 * A worker for the workflow benchmark: a real `Worker` behind the request gate, with its own
 * agent id, signing key, trust store (trusting the orchestrator's key), replay store, audit
 * log and a policy admitting /bin/true and /bin/sleep in one directory, unsandboxed, up to 64
 * jobs at once (the widest layer must not be refused for `max_concurrent`).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { newAgentId } from '../src/config/agent-settings.ts';
import { AuditLog } from '../src/security/audit-log.ts';
import { loadPolicy } from '../src/security/policy.ts';
import { ReplayGuard } from '../src/security/replay-guard.ts';
import { generateSigningKey, type SigningKey } from '../src/security/signing-key.ts';
import { TrustStore } from '../src/security/trust-store.ts';
import type { Transport } from '../src/transport/transport.ts';
import { Worker } from '../src/workflow/worker.ts';

/** A running benchmark worker. */
export interface BenchWorker {
  readonly agent: string;
  readonly key: SigningKey;
  readonly transport: Transport;
  stop(): Promise<void>;
}

/** The orchestrator the worker trusts, and where its warnings go. */
export interface Requester {
  readonly agent: string;
  /** `ed25519:…` */
  readonly key: string;
  readonly log: (message: string) => void;
}

/** Start a worker on `transport`, keeping its files in `stateDir`, running jobs in `workDir`. */
export function startBenchWorker(
  transport: Transport,
  stateDir: string,
  workDir: string,
  requester: Requester,
): BenchWorker {
  mkdirSync(stateDir, { recursive: true, mode: 0o700 });
  const agent = newAgentId();
  const key = generateSigningKey();
  const trust = new TrustStore(join(stateDir, 'config'));
  trust.add({ agent: requester.agent, key: requester.key, via: 'manual' });
  const policyFile = join(stateDir, 'policy.toml');
  writeFileSync(
    policyFile,
    [
      '[defaults]',
      'max_concurrent = 64',
      '[[allow]]',
      `requester = "${requester.agent}"`,
      'commands = ["/bin/true", "/bin/sleep"]',
      `cwd = ["${workDir}"]`,
      'require_sandbox = false',
      'max_concurrent = 64',
      '',
    ].join('\n'),
    { mode: 0o600 },
  );
  const replay = new ReplayGuard(join(stateDir, 'data'));
  const worker = new Worker({
    agent,
    key,
    trust,
    replay,
    audit: new AuditLog(join(stateDir, 'audit.jsonl')),
    // Read again for every request, as the session host's worker does (src/cli/agent-worker.ts).
    policy: () => loadPolicy(policyFile),
    sandboxSupport: { kind: 'none', reason: 'the benchmark times dispatch, not the sandbox' },
    log: (level, message) => {
      if (level !== 'debug') requester.log(`worker ${agent}: ${message}`);
    },
  });
  worker.start(transport);
  return {
    agent,
    key,
    transport,
    stop: async () => {
      await worker.stop();
      replay.close();
    },
  };
}
