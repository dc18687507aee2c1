import type { OptionValues } from 'commander';
import { resolvePaths } from '../../config/paths.ts';
import { securityFiles } from '../../config/security-files.ts';
import { ConfigError } from '../../errors.ts';
import { verifyAuditLog } from '../../security/audit-log.ts';
import type { CliContext } from '../context.ts';
import { stringOption } from '../option-values.ts';

/** `audit verify [--file]`. */
export function verifyAudit(values: OptionValues, context: CliContext): void {
  const file = stringOption(values, 'file') ?? securityFiles(resolvePaths()).audit;
  const verdict = verifyAuditLog(file);
  if (!verdict.ok)
    throw new ConfigError(
      `${file}:${String(verdict.line)}: the audit log is broken: ${verdict.reason}`,
    );
  context.output.result(
    { file, records: verdict.records, head: verdict.head },
    (r) => `${r.file}: ${String(r.records)} record(s), chain intact (head ${r.head.slice(0, 16)}…)`,
  );
}
