import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../../shared/config/load.js';
import { FsObjectStore } from '../../../shared/local/fs-object-store.js';
import { runLocal } from '../../../shared/local/runner.js';
import type { JobReport } from '../../../shared/report/job-report.js';
import { verifyJob } from '../../../shared/verify/verify.js';
import { tempDir } from '../../helpers.js';

let dir: string;
let cleanup: () => Promise<void>;
beforeAll(async () => ({ dir, cleanup } = await tempDir()));
afterAll(() => cleanup());

let runs = 0;
/** Runs one file through one pipeline, then `sluice verify` (csv-parse, a plain line count) on the job. */
async function run(content: string, pipeline: Record<string, unknown>, targetSize = '64MB') {
  const name = `in-${++runs}.dat`;
  await writeFile(join(dir, name), content);
  const out = join(dir, `out-${runs}`);
  const config = parseConfig({ pipelines: [{ name: 'p', chunking: { targetSize }, qualityGate: { maxRejectRatio: 1 }, ...pipeline }] });
  const [job] = await runLocal({ config, files: [join(dir, name)], out, workers: 1 });
  const reportDir = join(out, 'reports/p', job!.jobId);
  const report = JSON.parse(await readFile(join(reportDir, 'report.json'), 'utf8')) as JobReport;
  const success = JSON.parse(await readFile(join(out, 'results/p', job!.jobId, '_SUCCESS'), 'utf8').catch(() => '{"parts":[],"rejects":[]}')) as { parts: { key: string }[]; rejects: { key: string }[] };
  const rows: Record<string, unknown>[] = [];
  for (const p of success.parts) for (const l of (await readFile(join(out, p.key), 'utf8')).split('\n').filter(Boolean)) rows.push(JSON.parse(l) as Record<string, unknown>);
  const rejects: { line: number; raw: string }[] = [];
  for (const p of success.rejects) for (const l of (await readFile(join(out, p.key), 'utf8')).split('\n').filter(Boolean)) rejects.push(JSON.parse(l) as { line: number; raw: string });
  const verified = await verifyJob(job!.jobId, { input: new FsObjectStore(dir), output: new FsObjectStore(out) });
  return { report, rows, rejects, verified, file: join(dir, name) };
}

// A logger export as Campbell-style loggers write it: CR-only lines, a metadata line above the
// header, units and aggregation rows under it, -9999 for missing.
const LOGGER = ['"TOA5","US-Ha1","CR3000"', 'TIMESTAMP,RECORD,TA,RH', 'TS,RN,degC,%', ',,Avg,Smp', '2019-01-01 00:30:00,1,-5.46,80', '2019-01-01 01:00:00,2,-9999,81', '2019-01-01 01:30:00,3,-6.07,x'].join('\r') + '\r';
const logger = {
  format: { type: 'csv', skipRows: [1, 3, 4], nullValues: ['', '-9999'] },
  schema: { columns: { TIMESTAMP: { type: 'timestamp', format: 'YYYY-MM-DD HH:mm:ss', required: true }, RECORD: { type: 'integer' }, TA: { type: 'number' }, RH: { type: 'number' } } },
};

describe('format.skipRows and format.comment', () => {
  it('reads a logger export with a metadata line above the header and units rows under it (CR-only lines)', async () => {
    const { report, rows, rejects, verified } = await run(LOGGER, logger);
    expect(rows).toEqual([
      { TIMESTAMP: '2019-01-01T00:30:00.000Z', RECORD: 1, TA: -5.46, RH: 80 },
      { TIMESTAMP: '2019-01-01T01:00:00.000Z', RECORD: 2, TA: null, RH: 81 },
    ]);
    // Line numbers are the file's: the reject is on physical line 7.
    expect(rejects.map((r) => [r.line, r.raw])).toEqual([[7, '2019-01-01 01:30:00,3,-6.07,x']]);
    expect(report.accounting).toMatchObject({ rowsIn: 3, rowsOut: 2, rowsRejected: 1, skippedLines: 3, blankLines: 0, balanced: true });
    expect([verified.ok, verified.lost, verified.checks.filter((c) => !c.ok).map((c) => c.detail)]).toEqual([true, 0, []]);
  });

  it('skips a count of lines above the header, and comment lines anywhere, across chunk boundaries', async () => {
    const body = Array.from({ length: 400 }, (_, i) => (i % 7 === 3 ? `# note ${i}, "not, a quote` : `${i},${i * 0.5}`));
    const content = ['Exported by LoggerNet', 'site: US-Ha1', '', 'n,x', ...body].join('\n') + '\n';
    const pipeline = { format: { type: 'csv', skipRows: 3, comment: '#' }, schema: { columns: { n: { type: 'integer' }, x: { type: 'number' } } } };
    const { report, rows, verified } = await run(content, pipeline, '512B');
    const comments = body.filter((l) => l.startsWith('#')).length;
    expect(report.plan.chunks).toBeGreaterThan(3);
    expect(rows).toHaveLength(400 - comments);
    expect(rows[0]).toEqual({ n: 0, x: 0 });
    expect(rows.every((r) => typeof r.n === 'number' && r.x === (r.n as number) * 0.5)).toBe(true);
    // The blank third line is one of the three skipped, not a blank line of the data.
    expect(report.accounting).toMatchObject({ rowsIn: 400 - comments, skippedLines: 3 + comments, blankLines: 0 });
    expect([verified.ok, verified.checks.filter((c) => !c.ok).map((c) => c.detail)]).toEqual([true, []]);

    // DuckDB reads the same file with its own skip and comment options.
    const db = await DuckDBInstance.create(':memory:');
    const connection = await db.connect();
    try {
      const file = join(dir, `in-${runs}.dat`);
      const reader = await connection.runAndReadAll(`SELECT count(*)::INTEGER AS n, sum(x)::DOUBLE AS x FROM read_csv('${file}', auto_detect = false, delim = ',', quote = '"', skip = 3, comment = '#', header = true, columns = {'n': 'INTEGER', 'x': 'DOUBLE'})`);
      const [duck] = reader.getRowObjectsJS() as { n: number; x: number }[];
      expect(duck).toEqual({ n: rows.length, x: rows.reduce((s, r) => s + (r.x as number), 0) });
    } finally {
      connection.closeSync();
      db.closeSync();
    }
  });

  it('skips listed lines below the header with header: false and in JSONL', async () => {
    const csv = await run('1,a\nunits,none\n2,b\n', { format: { type: 'csv', header: false, skipRows: [2] }, schema: { columns: { n: { type: 'integer' }, s: {} } } });
    expect(csv.rows).toEqual([{ n: 1, s: 'a' }, { n: 2, s: 'b' }]);
    expect(csv.report.accounting).toMatchObject({ rowsIn: 2, skippedLines: 1 });
    expect(csv.verified.checks.filter((c) => !c.ok).map((c) => c.detail)).toEqual([]);
    const jsonl = await run('// exported 2019\n{"n":1}\n// page 2\n{"n":2}\n', { format: { type: 'jsonl', comment: '//' }, schema: { columns: { n: { type: 'integer' } } } });
    expect(jsonl.rows).toEqual([{ n: 1 }, { n: 2 }]);
    expect(jsonl.report.accounting).toMatchObject({ rowsIn: 2, skippedLines: 2 });
    expect(jsonl.verified.checks.filter((c) => !c.ok).map((c) => c.detail)).toEqual([]);
  });

  it('fails a file with one line naming it when the skipped lines leave no header', async () => {
    await expect(run('a\nb\n', { format: { type: 'csv', skipRows: 2 }, schema: { columns: { n: {} } } })).rejects.toThrow(/no header line after the 2 skipped line\(s\)/);
  });

  it('counts a listed line the way the independent reader does: a quoted record whole, a blank line as blank, a listed line at the top as one line', async () => {
    const schema = { columns: { a: {}, b: {} } };
    const quoted = await run('a,b\n"x\ny",1\n1,2\n', { format: { type: 'csv', skipRows: [2] }, schema });
    expect(quoted.report.accounting).toMatchObject({ rowsIn: 1, skippedLines: 2 });
    expect(quoted.verified.checks.filter((c) => !c.ok).map((c) => c.detail)).toEqual([]);
    const blank = await run('a,b\n\n1,2\n', { format: { type: 'csv', skipRows: [2] }, schema });
    expect(blank.report.accounting).toMatchObject({ rowsIn: 1, skippedLines: 0, blankLines: 1 });
    expect(blank.verified.checks.filter((c) => !c.ok).map((c) => c.detail)).toEqual([]);
    const noHeader = await run('\n#c\n1,2\n', { format: { type: 'csv', header: false, comment: '#' }, schema });
    expect(noHeader.report.accounting).toMatchObject({ rowsIn: 1, skippedLines: 1, blankLines: 1 });
    expect(noHeader.verified.checks.filter((c) => !c.ok).map((c) => c.detail)).toEqual([]);
    const top = await run('meta "quoted\na,b\n1,2\n', { format: { type: 'csv', skipRows: [1] }, schema });
    expect(top.rows).toEqual([{ a: '1', b: '2' }]);
    expect(top.verified.checks.filter((c) => !c.ok).map((c) => c.detail)).toEqual([]);
  });
});
