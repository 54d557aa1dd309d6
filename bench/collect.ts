// `npm run bench -- --collect`: a collection of 200 site files with 10% duplicate keys across
// files, at growing sizes. Per size, one after the other: Sluice's whole run (200 jobs, then the
// collection), Sluice's collection alone (a rerun whose jobs are all done), and DuckDB on one
// thread reading the same CSV files into the same deduplicated, sorted JSON lines.
import { existsSync, readdirSync } from 'node:fs';
import { mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { generateSiteFiles } from '../examples/generate.js';
import { measureNode, type Measured, type RssSource } from './measure.js';

export const COLLECT_FILES = 200;
export const COLLECT_ROWS = [2_500, 25_000, 50_000];

export interface CollectRun {
  readonly name: string;
  readonly files: number;
  readonly rowsPerFile: number;
  readonly mb: number;
  readonly seconds: number;
  readonly peakRssMb: number;
  readonly rowsIn: number;
  readonly rowsOut: number;
  readonly partitions?: number;
}

const CONFIG = `pipelines:
  - name: sites
    schema:
      columns:
        site: { type: string, required: true }
        t: { type: timestamp, required: true }
        v: { type: number }
        n: { type: integer }
    collect:
      dedupe: { key: [site, t], keep: { max: v } }
      sort: [site, t]
`;

interface CollectionReportFile {
  readonly accounting: { readonly rowsIn: number; readonly rowsOut: number };
  readonly outputs: { readonly partitions: number };
}

export async function collectBench(o: { cli: string; peer: string; dataDir: string; outDir: string; source: RssSource; workers: number; rows?: readonly number[] }): Promise<CollectRun[]> {
  const runs: CollectRun[] = [];
  for (const rows of o.rows ?? COLLECT_ROWS) {
    const dir = join(o.dataDir, `sites-${COLLECT_FILES}x${rows}`);
    if (!existsSync(join(dir, 'config.yaml'))) {
      console.error(`generating ${dir} …`);
      await generateSiteFiles(dir, COLLECT_FILES, rows);
      await writeFile(join(dir, 'config.yaml'), CONFIG);
    }
    const files = readdirSync(dir).filter((f) => f.endsWith('.csv')).sort().map((f) => join(dir, f));
    let bytes = 0;
    for (const f of files) bytes += (await stat(f)).size;
    const mb = bytes / 1e6;
    const out = join(o.outDir, `collect-${rows}`);
    await rm(out, { recursive: true, force: true });
    await mkdir(out, { recursive: true });
    const base = { files: files.length, rowsPerFile: rows, mb };
    const sluice = async (name: string) => {
      console.error(`${name}: ${files.length} files of ${rows} rows (${mb.toFixed(0)} MB) …`);
      const m = await measureNode([o.cli, 'run', join(dir, 'config.yaml'), ...files, '--out', out, '--workers', String(o.workers)], o.source);
      if (m.status !== 0) throw new Error(`sluice exited ${m.status}:\n${m.stderr.slice(-4000)}`);
      const collections = join(out, 'collections', 'sites');
      const id = readdirSync(collections)[0]!;
      const report = JSON.parse(await readFile(join(collections, id, 'report.json'), 'utf8')) as CollectionReportFile;
      runs.push({ name, ...base, seconds: m.seconds, peakRssMb: m.peakRssMb, rowsIn: report.accounting.rowsIn, rowsOut: report.accounting.rowsOut, partitions: report.outputs.partitions });
    };
    await sluice(`sluice-run-${o.workers}`);
    // The jobs are done; without the collection's output, a rerun combines again and does nothing else.
    await rm(join(out, 'collections'), { recursive: true, force: true });
    await sluice('sluice-collect-only');
    console.error(`duckdb-1: the same files …`);
    const duckOut = join(out, 'duckdb');
    await mkdir(duckOut, { recursive: true });
    const d: Measured = await measureNode([o.peer, dir, duckOut], o.source);
    if (d.status !== 0) throw new Error(`duckdb exited ${d.status}:\n${d.stderr.slice(-4000)}`);
    const r = JSON.parse(d.stdout.trim().split('\n').pop()!) as { rowsIn: number; rowsOut: number };
    runs.push({ name: 'duckdb-1', ...base, seconds: d.seconds, peakRssMb: d.peakRssMb, rowsIn: r.rowsIn, rowsOut: r.rowsOut });
    await rm(out, { recursive: true, force: true });
  }
  return runs;
}

export function printCollect(runs: readonly CollectRun[]): void {
  console.log('\n| run | files × rows | MB | s | MB/s | peak RSS MB | rows in | rows out | partitions |');
  console.log('|---|---|---|---|---|---|---|---|---|');
  for (const r of runs) console.log(`| ${r.name} | ${r.files} × ${r.rowsPerFile} | ${r.mb.toFixed(0)} | ${r.seconds.toFixed(2)} | ${(r.mb / r.seconds).toFixed(1)} | ${r.peakRssMb.toFixed(0)} | ${r.rowsIn} | ${r.rowsOut} | ${r.partitions ?? ''} |`);
}
