// `npm run bench -- [--size 1GB] [--only sluice-1,duckdb-1,…] [--repeat N] [--huge] [--xlsx [--xlsx-size 100MB]] [--results bench/results.json]`
// `npm run bench -- --collect [--collect-rows 2500,25000,50000]`: collections instead (bench/collect.ts), to bench/results-collect.json.
//
// Builds the CLI, generates each job's file once (bench/data/, deterministic), then runs every
// contender in its own process, one after the other on the same file; with --repeat N the
// contenders take turns N times and the table shows medians. Prints the table, the ratios and the
// DESIGN §7 targets, and writes bench/results.json. Sluice runs as users run it: `node cli/bin.js
// run …`, so its time is the whole process (start, plan, chunks, finalize, report). The peers are
// bundled to plain JavaScript as well, so no one pays for a TypeScript loader.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { availableParallelism, cpus, loadavg, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { build } from 'esbuild';
import { generate } from '../examples/generate.js';
import { parseByteSize } from '../shared/config/resolve.js';
import { collectBench, printCollect } from './collect.js';
import { coresGiven, measureNode, rssSource, type Measured } from './measure.js';
import { printReport, type Run } from './report.js';

type Job = 'flux' | 'orders' | 'workbook';
interface Contender {
  readonly name: string;
  readonly job: Job;
  readonly workers: number;
  /** A bundled peer under bench/; Sluice itself when unset. */
  readonly peer?: string;
  /** Data size when not --size (the 10 GB memory check). */
  readonly size?: string;
}

const cores = availableParallelism();
const CONTENDERS: readonly Contender[] = [
  { name: 'sluice-1', job: 'flux', workers: 1 },
  { name: 'sluice-all', job: 'flux', workers: cores },
  { name: 'duckdb-1', job: 'flux', workers: 1, peer: 'duckdb-child' },
  { name: 'naive', job: 'flux', workers: 1, peer: 'naive-child' },
  { name: 'orders-sluice-1', job: 'orders', workers: 1 },
  { name: 'orders-duckdb-1', job: 'orders', workers: 1, peer: 'duckdb-orders-child' },
];
const HUGE: Contender = { name: 'sluice-1-10GB', job: 'flux', workers: 1, size: '10GB' };
// A 100 MB workbook: its speed, and that one worker reads it in bounded memory.
const XLSX: Contender = { name: 'xlsx-sluice-1', job: 'workbook', workers: 1, size: '100MB' };
// --xlsx-size: a smaller workbook (writing 100 MB with exceljs takes long on a small machine).

const { values: args } = parseArgs({
  options: {
    size: { type: 'string', default: '1GB' },
    only: { type: 'string', default: '' },
    repeat: { type: 'string', default: '1' },
    huge: { type: 'boolean', default: false },
    xlsx: { type: 'boolean', default: false },
    'xlsx-size': { type: 'string', default: '100MB' },
    collect: { type: 'boolean', default: false },
    'collect-rows': { type: 'string', default: '' },
    // Where the figures go (a run of one contender need not replace the full table's).
    results: { type: 'string', default: 'bench/results.json' },
  },
});
const only = args.only.split(',').map((s) => s.trim()).filter(Boolean);
const unknown = only.filter((n) => !CONTENDERS.some((c) => c.name === n));
if (unknown.length) throw new Error(`--only: unknown contender(s) ${unknown.join(', ')}; known: ${CONTENDERS.map((c) => c.name).join(', ')}`);
const repeat = Number(args.repeat);
if (!Number.isInteger(repeat) || repeat < 1) throw new Error('--repeat must be a whole number of rounds, 1 or more');
parseByteSize(args.size); // fails early on a size such as "1 GB"
const chosen = args.collect ? [] : [...CONTENDERS.filter((c) => only.length === 0 || only.includes(c.name)), ...(args.huge ? [HUGE] : []), ...(args.xlsx ? [{ ...XLSX, size: args['xlsx-size'] }] : [])];

const here = import.meta.dirname;
const root = join(here, '..');
const dataDir = join(here, 'data');
const outDir = join(here, 'out');
const binDir = join(outDir, 'bin');
const cli = join(root, 'cli', 'bin.js');

/** The job's generated input at `size`, made once and kept under bench/data/. */
async function dataset(job: Job, size: string): Promise<string> {
  const file = join(dataDir, job === 'flux' ? `flux-${size}.tsv` : job === 'workbook' ? `workbook-${size}.xlsx` : `orders-${size}.csv`);
  if (!existsSync(file)) {
    await mkdir(dataDir, { recursive: true });
    console.error(`generating ${file} …`);
    await generate({ kind: job, size: parseByteSize(size), out: file, seed: 42, defects: 0.005 });
  }
  return file;
}

interface Sample {
  readonly m: Measured;
  readonly rowsIn: number;
  readonly rowsOut: number;
  readonly rowsRejected: number;
  readonly status: string;
}

/** Sluice's figures come from the job's report.json; exit 1 is a job that ran and failed a rule or its gate. */
async function sluiceSample(m: Measured, out: string, job: Job): Promise<Sample> {
  const reports = join(out, 'reports', job);
  const jobId = existsSync(reports) ? readdirSync(reports)[0] : undefined;
  if ((m.status !== 0 && m.status !== 1) || !jobId) throw new Error(`sluice exited ${m.status} without a report:\n${m.stderr.slice(-4000)}`);
  const report = JSON.parse(await readFile(join(reports, jobId, 'report.json'), 'utf8')) as { status: string; accounting: { rowsIn: number; rowsOut: number; rowsRejected: number } };
  return { m, ...report.accounting, status: report.status };
}

function peerSample(m: Measured, name: string): Sample {
  if (m.status !== 0) throw new Error(`${name} exited ${m.status}:\n${m.stderr.slice(-4000)}`);
  const r = JSON.parse(m.stdout.trim().split('\n').pop()!) as { rowsIn: number; rowsOut: number; rowsRejected: number; status: string; duplicates?: number };
  return { m, rowsIn: r.rowsIn, rowsOut: r.rowsOut, rowsRejected: r.rowsRejected, status: r.duplicates ? `${r.status} (${r.duplicates} duplicate ids)` : r.status };
}

async function runOnce(c: Contender, file: string, source: ReturnType<typeof rssSource>): Promise<Sample> {
  const out = join(outDir, c.name);
  await rm(out, { recursive: true, force: true });
  await mkdir(out, { recursive: true });
  try {
    if (c.peer) return peerSample(await measureNode([join(binDir, `${c.peer}.js`), file, out], source), c.name);
    const config = join(root, 'examples', c.job, 'pipeline.yaml');
    return await sluiceSample(await measureNode([cli, 'run', config, file, '--out', out, '--workers', String(c.workers)], source), out, c.job);
  } finally {
    await rm(out, { recursive: true, force: true });
  }
}

const median = (xs: readonly number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
};

console.error('building the CLI (npm run build) and the peers …');
const built = spawnSync('npm', ['run', 'build'], { cwd: root, stdio: 'inherit' });
if (built.status !== 0) throw new Error('npm run build failed');
await build({
  entryPoints: [...new Set(chosen.flatMap((c) => (c.peer ? [join(here, `${c.peer}.ts`)] : []))), ...(args.collect ? [join(here, 'duckdb-collect-child.ts')] : [])],
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  packages: 'external',
  outdir: binDir,
  logLevel: 'warning',
});

const source = rssSource();
const files = new Map<Contender, string>();
for (const c of chosen) files.set(c, await dataset(c.job, c.size ?? args.size));
const load = loadavg();
console.error(`measuring the cores this machine gives (${cores} spinning processes for 2 s) …`);
const given = await coresGiven(cores);
// The runner's own footprint: the CLI with every module loaded, before any worker or file.
const idle = await measureNode([cli, '--version'], source);

function machineInfo() {
  return {
    cpu: cpus()[0]?.model ?? 'unknown',
    cores,
    memoryGb: +(totalmem() / 2 ** 30).toFixed(1),
    node: process.version,
    platform: `${process.platform}-${process.arch}`,
    loadAvg: load.map((x) => +x.toFixed(2)),
    coresGiven: +given.toFixed(2),
  };
}

if (args.collect) {
  const rows = args['collect-rows'] ? args['collect-rows'].split(',').map(Number) : undefined;
  const collectRuns = await collectBench({ cli, peer: join(binDir, 'duckdb-collect-child.js'), dataDir, outDir, source, workers: cores, ...(rows ? { rows } : {}) });
  printCollect(collectRuns);
  const machine = machineInfo();
  console.log(`machine: ${JSON.stringify(machine)}`);
  await writeFile(resolve(root, 'bench/results-collect.json'), `${JSON.stringify({ machine, date: new Date().toISOString(), rssSource: source, runnerIdleRssMb: +idle.peakRssMb.toFixed(1), runs: collectRuns }, null, 2)}\n`);
  console.log('\nwrote bench/results-collect.json');
  process.exit(0);
}

const samples = new Map<Contender, Sample[]>(chosen.map((c) => [c, []]));
for (let round = 1; round <= repeat; round++) {
  for (const [i, c] of chosen.entries()) {
    console.error(`round ${round}/${repeat}, ${i + 1}/${chosen.length}: ${c.name} on ${files.get(c)!.split('/').pop()} …`);
    samples.get(c)!.push(await runOnce(c, files.get(c)!, source));
  }
}

const runs: Run[] = [];
for (const c of chosen) {
  const list = samples.get(c)!;
  const first = list[0]!;
  const mb = (await stat(files.get(c)!)).size / 1e6;
  const seconds = median(list.map((s) => s.m.seconds));
  const peakRssMb = median(list.map((s) => s.m.peakRssMb));
  runs.push({
    name: c.name,
    job: c.job,
    file: files.get(c)!.split('/').pop()!,
    mb,
    workers: c.workers,
    seconds,
    mbPerSec: mb / seconds,
    rowsPerSec: first.rowsIn / seconds,
    peakRssMb,
    ...(c.peer ? {} : { perWorkerRssMb: (peakRssMb - idle.peakRssMb) / c.workers }),
    rowsIn: first.rowsIn,
    rowsOut: first.rowsOut,
    rowsRejected: first.rowsRejected,
    status: first.status,
    samples: list.map((s) => +s.m.seconds.toFixed(2)),
  });
}

const machine = machineInfo();
const { ratios, targets } = printReport({ machine, runs, repeat, rssSource: source, idleRssMb: idle.peakRssMb });
const results = { machine, date: new Date().toISOString(), size: args.size, repeat, rssSource: source, runnerIdleRssMb: +idle.peakRssMb.toFixed(1), runs, ratios, targets };
await writeFile(resolve(root, args.results), `${JSON.stringify(results, null, 2)}\n`);
console.log(`\nwrote ${args.results}`);
