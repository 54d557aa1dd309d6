import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import { parquetReadObjects } from 'hyparquet';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../shared/config/load.js';
import { FsObjectStore } from '../../shared/local/fs-object-store.js';
import { inputLocation, runLocal } from '../../shared/local/runner.js';
import type { JobReport } from '../../shared/report/job-report.js';
import { verifyJob } from '../../shared/verify/verify.js';
import { tempDir } from '../helpers.js';

// The exact bytes of both examples' results and rejects, and the deterministic part of their
// reports, against a fresh run. After an intended change: UPDATE_GOLDEN=1 npx vitest run test/golden,
// then read the diff of test/golden/ before keeping it.
const UPDATE = process.env.UPDATE_GOLDEN === '1';
const ROOT = join(import.meta.dirname, '../..');
const GOLDEN = import.meta.dirname;

const examples = [
  { name: 'flux', config: 'examples/flux/pipeline.yaml', files: ['examples/flux/data/DE-Tha_2019.tsv', 'examples/flux/data/US-Ha1_2019.tsv'] },
  { name: 'orders', config: 'examples/orders/pipeline.yaml', files: ['examples/orders/data/orders_sample.csv'] },
];

let out: string;
let cleanup: () => Promise<void>;
beforeAll(async () => ({ dir: out, cleanup } = await tempDir('sluice-golden-')));
afterAll(() => cleanup());

async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true }).catch(() => []);
  return entries.filter((e) => e.isFile()).map((e) => relative(dir, join(e.parentPath, e.name)).split('\\').join('/')).sort();
}

/** What of a report does not change from run to run: no times, ids, etags or durations. */
function stableReport(r: JobReport) {
  return {
    status: r.status,
    plan: r.plan,
    accounting: r.accounting,
    rejectRatio: r.rejectRatio,
    qualityGate: r.qualityGate,
    datasetRules: r.datasetRules,
    lines: { read: r.stats.lines, blank: r.stats.blankLines },
    rules: r.stats.rules,
    warnings: r.stats.warnings,
  };
}

/** Parquet parts also get a JSONL view beside them, so a reviewer can read what changed. */
async function parquetView(bytes: Buffer): Promise<string> {
  const rows = (await parquetReadObjects({ file: bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer })) as Record<string, unknown>[];
  const plain = (_k: string, v: unknown) => (typeof v === 'bigint' ? (Number.isSafeInteger(Number(v)) ? Number(v) : v.toString()) : v);
  return rows.map((row) => `${JSON.stringify(row, plain)}\n`).join('');
}

/** A fresh run's outputs of one input file: relative path → bytes. */
async function freshRun(example: (typeof examples)[number], file: string): Promise<Map<string, Buffer>> {
  const config = await loadConfig(join(ROOT, example.config));
  const target = join(out, example.name, file.split('/').pop()!);
  const input = join(ROOT, file);
  const [job] = await runLocal({ config, files: [input], out: target, workers: 1 });
  expect(job!.status).toBe('SUCCEEDED');
  const v = await verifyJob(job!.jobId, { input: new FsObjectStore(inputLocation(input).root), output: new FsObjectStore(target) });
  expect(v.checks.filter((c) => !c.ok)).toEqual([]);
  const outputs = new Map<string, Buffer>();
  for (const kind of ['results', 'rejects'] as const) {
    const base = join(target, kind, job!.pipeline, job!.jobId);
    for (const f of await filesUnder(base)) {
      if (f === '_SUCCESS') continue; // names the job id and the report path; the parts' bytes are compared here
      const bytes = await readFile(join(base, f));
      outputs.set(`${kind}/${f}`, bytes);
      if (f.endsWith('.parquet')) outputs.set(`${kind}/${f}.jsonl`, Buffer.from(await parquetView(bytes)));
    }
  }
  outputs.set('report.json', Buffer.from(`${JSON.stringify(stableReport(job!.report!), null, 2)}\n`));
  return outputs;
}

/** Where two texts first differ, for a readable failure. */
function firstDifference(a: Buffer, b: Buffer): string {
  const x = a.toString('utf8').split('\n');
  const y = b.toString('utf8').split('\n');
  const i = x.findIndex((l, k) => l !== y[k]);
  const at = i === -1 ? x.length : i;
  return `line ${at + 1}: golden ${JSON.stringify(x[at]?.slice(0, 300))}, fresh ${JSON.stringify(y[at]?.slice(0, 300))}`;
}

describe('golden outputs of the examples', () => {
  for (const example of examples) {
    for (const file of example.files) {
      const stem = file.split('/').pop()!.replace(/\.[^.]+$/, '');
      it(`gives ${example.name}/${stem} byte for byte`, async () => {
        const fresh = await freshRun(example, file);
        const dir = join(GOLDEN, example.name, stem);
        if (UPDATE) {
          await rm(dir, { recursive: true, force: true });
          for (const [path, bytes] of fresh) {
            await mkdir(dirname(join(dir, path)), { recursive: true });
            await writeFile(join(dir, path), bytes);
          }
        }
        const stored = await filesUnder(dir);
        expect(stored, `no golden files under ${relative(ROOT, dir)}: run UPDATE_GOLDEN=1 npx vitest run test/golden`).not.toEqual([]);
        expect([...fresh.keys()].sort()).toEqual(stored);
        for (const path of stored) {
          const golden = await readFile(join(dir, path));
          const now = fresh.get(path)!;
          if (!golden.equals(now)) expect.fail(`${example.name}/${stem}/${path} differs from its golden copy at ${firstDifference(golden, now)}`);
        }
      });
    }
  }
});
