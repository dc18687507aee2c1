/**
 * `npm run bench`: every benchmark in turn, each in its own process (they start servers and
 * measure the machine), their JSON gathered into bench/report.json, and the figures budgets are
 * judged by written as a table into docs/performance.md (bench/report.ts). `--quick` passes on to
 * the benchmarks that have a smoke run. A benchmark that fails is reported and the others go on.
 *
 *   npm run bench                          about 15 minutes on 2 cores
 *   npm run bench -- --quick               smoke runs where a benchmark has one
 *   npm run bench -- --only stream,serve   some of them
 */
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { fileURLToPath } from 'node:url';
import { figuresOf, figuresTable, withSection, type Figure } from './report.ts';

const ALL = ['cli-start', 'matrix-roundtrip', 'stream', 'discovery', 'workflow', 'serve', 'demo'];
const quick = process.argv.includes('--quick');
// `--only a,b`: a subset, in this order.
const only = process.argv[process.argv.indexOf('--only') + 1];
const BENCHES =
  process.argv.includes('--only') && only !== undefined
    ? ALL.filter((name) => only.split(',').includes(name))
    : ALL;
const here = (file: string): string => fileURLToPath(new URL(file, import.meta.url));

const report: Record<string, unknown> = {};
const figures: Figure[] = [];
let failed = 0;
for (const name of BENCHES) {
  process.stderr.write(`[bench/run] ${name}\n`);
  const started = Date.now();
  const run = spawnSync(
    process.execPath,
    ['--expose-gc', here(`./${name}.ts`), ...(quick ? ['--quick'] : [])],
    { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 64 * 1024 * 1024 },
  );
  const seconds = Math.round((Date.now() - started) / 1000);
  let json: unknown;
  try {
    json = JSON.parse(run.stdout);
  } catch {
    json = undefined;
  }
  if (run.status !== 0 || json === undefined) {
    failed++;
    report[name] = { failed: true, exitCode: run.status, seconds };
    process.stderr.write(`[bench/run] ${name} failed (exit ${String(run.status)})\n`);
    continue;
  }
  report[name] = { seconds, result: json };
  figures.push(...figuresOf(name, json));
}

const machine = `${String(cpus().length)}-core ${cpus()[0]?.model ?? 'unknown CPU'}, Node ${process.versions.node}`;
const date = new Date().toISOString().slice(0, 10);
writeFileSync(
  here('./report.json'),
  `${JSON.stringify({ date: new Date().toISOString(), machine, quick, benchmarks: report }, null, 2)}\n`,
);
const doc = here('../docs/performance.md');
const table = figuresTable(
  figures,
  `${machine}${quick ? ' (--quick: too small to judge budgets)' : ''}`,
  date,
);
writeFileSync(doc, withSection(readFileSync(doc, 'utf8'), table));
process.stderr.write(
  `[bench/run] wrote bench/report.json and the summary in docs/performance.md\n`,
);
process.exit(failed === 0 ? 0 : 1);
