/**
 * Wiring the worker (src/workflow/worker.ts) into a profile's session host: this
 * installation's agent id and signing key, its trust store, replay store, audit log and
 * policy.toml (read again for every request, so an edit applies at once; a policy that does
 * not load denies everything and says why), and the approvals store where jobs wait for
 * `mx-agent approvals approve` (MX_AGENT_APPROVAL_WINDOW_MS: how long, 10 min by default).
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { AgentSettingsStore } from '../config/agent-settings.ts';
import { resolvePaths } from '../config/paths.ts';
import { securityFiles } from '../config/security-files.ts';
import { messageOf } from '../errors.ts';
import { AuditLog } from '../security/audit-log.ts';
import { loadPolicy } from '../security/policy.ts';
import type { Policy } from '../security/policy-types.ts';
import { APPROVALS_FILE, ApprovalStore } from '../security/approvals.ts';
import { ReplayGuard } from '../security/replay-guard.ts';
import { loadOrCreateSigningKey } from '../security/signing-key.ts';
import { TrustStore } from '../security/trust-store.ts';
import type { HostLog } from '../session/log.ts';
import type { Transport } from '../transport/transport.ts';
import { KEEPALIVE_MS } from '../workflow/task-protocol.ts';
import { Worker } from '../workflow/worker.ts';
import { APPROVAL_WINDOW_MS } from '../workflow/worker-approvals.ts';
import { millisecondsSetting } from './option-values.ts';

/** A started worker and how to stop it. */
export interface RunningWorker {
  stop(): Promise<void>;
}

/** Start serving task requests on `transport`. */
export function startWorker(transport: Transport, log: HostLog): RunningWorker {
  const paths = resolvePaths();
  const files = securityFiles(paths);
  // The replay store is opened by the first request, not at start: most hosts never get one.
  let opened: ReplayGuard | undefined;
  const store = (): ReplayGuard => (opened ??= new ReplayGuard(files.replayDir));
  const replay = {
    check: (...args: Parameters<ReplayGuard['check']>) => store().check(...args),
    record: (...args: Parameters<ReplayGuard['record']>) => store().record(...args),
  };
  let approvals: ApprovalStore | undefined;
  let reported = '';
  const policy = (): Policy | Error => {
    try {
      return loadPolicy(files.policy);
    } catch (error) {
      const message = messageOf(error);
      if (message !== reported) log('warn', `worker: every request is denied: ${message}`);
      reported = message;
      return error instanceof Error ? error : new Error(message);
    }
  };
  const worker = new Worker({
    agent: new AgentSettingsStore(paths).read().id,
    key: loadOrCreateSigningKey(files.keyDir),
    trust: new TrustStore(files.keyDir),
    replay,
    audit: new AuditLog(files.audit),
    policy,
    keepaliveMs: millisecondsSetting(
      'MX_AGENT_TASK_KEEPALIVE_MS',
      process.env.MX_AGENT_TASK_KEEPALIVE_MS,
      KEEPALIVE_MS,
    ),
    approvals: {
      open: () => (approvals ??= new ApprovalStore(files.replayDir)),
      exists: () => existsSync(join(files.replayDir, APPROVALS_FILE)),
    },
    approvalWindowMs: millisecondsSetting(
      'MX_AGENT_APPROVAL_WINDOW_MS',
      process.env.MX_AGENT_APPROVAL_WINDOW_MS,
      APPROVAL_WINDOW_MS,
    ),
    log,
  });
  worker.start(transport);
  return {
    stop: async () => {
      await worker.stop();
      opened?.close();
      approvals?.close();
    },
  };
}
