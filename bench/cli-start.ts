/**
 * Cold start of `mx-agent --help` against `node -e 0`, measured in one run (interleaved, so
 * machine noise hits both alike), plus `mx-agent send --help`, which goes through commander as
 * every real command does. Prints one JSON object. Budget (design.md §8): ratio ≤ 2.
 *
 *   npm run bench            (builds first)
 *   node bench/cli-start.ts --runs 30
 */
import { spawnSync } from 'node:child_process';
import { cpus } from 'node:os';
import { fileURLToPath } from 'node:url';

const runsArg = process.argv.indexOf('--runs');
const runs = runsArg > 0 ? Number(process.argv[runsArg + 1]) : 20;
const cli = fileURLToPath(new URL('../bin/mx-agent.js', import.meta.url));

function timeOnce(args: string[]): number {
  const start = process.hrtime.bigint();
  const result = spawnSync(process.execPath, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  if (result.status !== 0)
    throw new Error(
      `${args.join(' ')} exited ${String(result.status)}: ${result.stderr.toString()}`,
    );
  return ms;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? (sorted[mid] ?? 0) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
}

const baseline: number[] = [];
const help: number[] = [];
// A command parsed by commander (no network): the cost every real command pays before its work.
const parsed: number[] = [];
// Warm the file cache once for each, then interleave.
timeOnce(['-e', '0']);
timeOnce([cli, '--help']);
timeOnce([cli, 'send', '--help']);
for (let i = 0; i < runs; i++) {
  baseline.push(timeOnce(['-e', '0']));
  help.push(timeOnce([cli, '--help']));
  parsed.push(timeOnce([cli, 'send', '--help']));
}
const round = (n: number): number => Math.round(n * 10) / 10;
const ratio = (n: number): number => Math.round((n / median(baseline)) * 100) / 100;
const result = {
  benchmark: 'cli-start',
  date: new Date().toISOString(),
  node: process.version,
  cpu: cpus()[0]?.model ?? 'unknown',
  cores: cpus().length,
  runs,
  nodeBaselineMedianMs: round(median(baseline)),
  helpMedianMs: round(median(help)),
  ratio: ratio(median(help)),
  commandParseMedianMs: round(median(parsed)),
  commandParseRatio: ratio(median(parsed)),
  budgetRatio: 2,
};
console.log(JSON.stringify({ ...result, withinBudget: result.ratio <= result.budgetRatio }));
