/**
 * A decision as `mx-agent policy check` prints it: the verdict, the reasons, and for an
 * admitted request what will run and under which limits.
 */
import { formatDuration, formatSize } from './policy-values.ts';
import type { PolicyDecision, PolicyLimits } from './policy-types.ts';

/** Several lines of text, no trailing newline. */
export function explainDecision(decision: PolicyDecision): string {
  const lines = [decision.allowed ? `allowed by allow[${String(decision.rule)}]` : 'denied'];
  for (const reason of decision.reasons) lines.push(`  - ${reason}`);
  if (decision.resolved !== undefined) {
    const names = Object.keys(decision.resolved.env);
    // Arguments as JSON strings when they need it, so a tool's filled-in argv reads unambiguously.
    const argv = [decision.resolved.command, ...decision.resolved.args].map((arg) =>
      /^[\w@%+=:,./-]+$/.test(arg) ? arg : JSON.stringify(arg),
    );
    lines.push(`  runs: ${argv.join(' ')}`);
    lines.push(`  in: ${decision.resolved.cwd}`);
    lines.push(`  env: ${names.length === 0 ? 'none from the request' : names.join(', ')}`);
  }
  if (decision.limits !== undefined) lines.push(`  limits: ${describeLimits(decision.limits)}`);
  return lines.join('\n');
}

/** `timeout 5m, output 1 MiB, 1 at once, sandbox required, no network, no approval, no artifacts`. */
export function describeLimits(limits: PolicyLimits): string {
  return [
    `timeout ${formatDuration(limits.timeoutMs)}`,
    `output ${formatSize(limits.maxOutputBytes)}`,
    `${String(limits.maxConcurrent)} at once`,
    limits.requireSandbox ? 'sandbox required' : 'sandbox if available',
    limits.network ? 'network' : 'no network',
    limits.requiresApproval ? 'approval required' : 'no approval',
    limits.artifacts ? 'artifacts' : 'no artifacts',
  ].join(', ');
}
