/**
 * Where the security state of this installation lives (docs/configuration.md): the signing
 * key, the trusted keys and the policy with the configuration; the replay store and the audit
 * log with the data.
 */
import { join } from 'node:path';
import type { Paths } from './paths.ts';

/** The security files of one installation. */
export interface SecurityFiles {
  /** Holds `signing-key.pem` (0600) and `trust.json` (0600). */
  readonly keyDir: string;
  /** `policy.toml`: who may run what here (deny by default). */
  readonly policy: string;
  /** Where the replay store (`replay.sqlite`) and held jobs (`approvals.sqlite`) live. */
  readonly replayDir: string;
  /** The hash-chained audit log. */
  readonly audit: string;
}

/** The security files under `paths`. */
export function securityFiles(paths: Paths): SecurityFiles {
  return {
    keyDir: paths.config,
    policy: join(paths.config, 'policy.toml'),
    replayDir: join(paths.data, 'security'),
    audit: join(paths.data, 'audit.jsonl'),
  };
}
