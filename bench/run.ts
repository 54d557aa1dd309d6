// `npm run bench [-- --size 1GB] [--huge]`: one run, one machine, every contender side by side.
// Prints a table and writes bench/results.json. Targets are those of DESIGN §7.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, rm, stat, writeFile } from 'node:fs/promises';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { parseByteSize } from '../shared/config/resolve.js';
import { generate } from '../examples/generate.js';

const { values: args } = parseArgs({ options: { size: { type: 'string', default: '1GB' }, huge: { type: 'boolean', default: false }, skip: { type: 'string', default: '' } } });
const here = import.meta.dirname;
const dataDir = join(here, 'data');
const outDir = join(here, 'out');
const config = join(here, '../examples/flux/pipeline.yaml');

interface Measured {
  name: string;
  file: string;
  mb: number;
  seconds: number;
  mbPerSec: number;
  rowsPerSec: number;
  rowsIn: number;
  rowsOut: number;
  rowsRejected: number;
  maxRssMb: number;
  workers: number;
}

async function dataset(size: string): Promise<string> {
  const file = join(dataDir, `flux-${size}.tsv`);
  if (!existsSync(file)) {
    await mkdir(dataDir, { recursive: true });
    console.error(`generating ${file} …`);
    await generate({ kind: 'flux', size: parseByteSize(size), out: file, seed: 42, defects: 0.005 });
  }
  return file;
}

function child(script: string, args: string[]): { seconds: number; rowsIn: number; rowsOut: number; rowsRejected: number; maxRssMb: number; status: string } {
  const r = spawnSync(process.execPath, ['--import', 'tsx', join(here, script), ...args], { encoding: 'utf8', maxBuffer: 1 << 24 });
  if (r.status !== 0) throw new Error(`${script} failed: ${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').pop()!) as ReturnType<typeof child>;
}

async function measure(name: string, file: string, workers: number, script: string, extra: string[]): Promise<Measured> {
  const out = join(outDir, name.replace(/\W+/g, '-'));
  await rm(out, { recursive: true, force: true });
  await mkdir(out, { recursive: true });
  console.error(`running ${name} on ${file} …`);
  const r = child(script, script === 'sluice-child.ts' ? [config, file, out, String(workers)] : [file, out, ...extra]);
  const mb = (await stat(file)).size / 1e6;
  await rm(out, { recursive: true, force: true });
  return { name, file: file.split('/').pop()!, mb, seconds: r.seconds, mbPerSec: mb / r.seconds, rowsPerSec: r.rowsIn / r.seconds, rowsIn: r.rowsIn, rowsOut: r.rowsOut, rowsRejected: r.rowsRejected, maxRssMb: r.maxRssMb, workers };
}

const skip = new Set(args.skip.split(',').filter(Boolean));
const file = await dataset(args.size);
const cores = cpus().length;
const runs: Measured[] = [];
runs.push(await measure('sluice 1 worker', file, 1, 'sluice-child.ts', []));
runs.push(await measure(`sluice ${cores} workers`, file, cores, 'sluice-child.ts', []));
if (!skip.has('duckdb')) runs.push(await measure('duckdb 1 thread', file, 1, 'duckdb-child.ts', []));
if (!skip.has('naive')) runs.push(await measure('csv-parse + zod', file, 1, 'naive-child.ts', []));
if (args.huge) runs.push(await measure('sluice 1 worker (10GB)', await dataset('10GB'), 1, 'sluice-child.ts', []));

// Per-worker memory: the process peak minus the main thread's own footprint, measured in this run.
const baselineMb = child('baseline-child.ts', []).maxRssMb;
const perWorker = (r: Measured) => (r.maxRssMb - baselineMb) / r.workers;
const one = runs[0]!;
const all = runs[1]!;
const duck = runs.find((r) => r.name.startsWith('duckdb'));
const huge = runs.find((r) => r.name.includes('10GB'));
const targets = {
  'one worker ≥ 100 MB/s': { value: +one.mbPerSec.toFixed(1), met: one.mbPerSec >= 100 },
  'one worker ≥ DuckDB 1 thread': duck ? { value: +(one.mbPerSec / duck.mbPerSec).toFixed(2), met: one.mbPerSec >= duck.mbPerSec } : undefined,
  [`${cores} workers ≥ 1.8× one`]: { value: +(all.mbPerSec / one.mbPerSec).toFixed(2), met: all.mbPerSec / one.mbPerSec >= 1.8 },
  'peak RSS per worker ≤ 200 MB': { value: +Math.max(perWorker(one), perWorker(all)).toFixed(0), met: perWorker(one) <= 200 && perWorker(all) <= 200 },
  'same peak RSS at 10 GB': huge ? { value: +(huge.maxRssMb / one.maxRssMb).toFixed(2), met: huge.maxRssMb <= one.maxRssMb * 1.1 } : undefined,
};
const machine = { cpu: cpus()[0]?.model ?? 'unknown', cores, memoryGb: +(totalmem() / 2 ** 30).toFixed(1), node: process.version, platform: `${process.platform}-${process.arch}` };

const pad = (s: string | number, n: number) => String(s).padStart(n);
console.log(`\nmachine: ${machine.cpu}, ${cores} cores, ${machine.memoryGb} GiB, Node ${machine.node}`);
console.log(`runner process before workers: ${baselineMb.toFixed(0)} MB RSS (subtracted for per-worker memory)`);
console.log(`${'run'.padEnd(26)}${pad('MB', 8)}${pad('s', 8)}${pad('MB/s', 8)}${pad('rows/s', 11)}${pad('rejected', 10)}${pad('peak RSS MB', 13)}`);
for (const r of runs) {
  console.log(`${r.name.padEnd(26)}${pad(r.mb.toFixed(0), 8)}${pad(r.seconds.toFixed(1), 8)}${pad(r.mbPerSec.toFixed(1), 8)}${pad(Math.round(r.rowsPerSec).toLocaleString('en-US'), 11)}${pad(r.rowsRejected, 10)}${pad(r.maxRssMb.toFixed(0), 13)}`);
}
console.log('\ntargets (DESIGN §7):');
for (const [k, v] of Object.entries(targets)) if (v) console.log(`  ${v.met ? 'met   ' : 'MISSED'} ${k}: ${v.value}`);
await writeFile(join(here, 'results.json'), `${JSON.stringify({ date: new Date().toISOString(), machine, size: args.size, baselineRssMb: baselineMb, runs, targets }, null, 2)}\n`);
console.log(`\nwrote bench/results.json`);
