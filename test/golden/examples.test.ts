import { readFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import readXlsxFile from 'read-excel-file/node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../shared/config/load.js';
import { runLocal, runLocalBatch } from '../../shared/local/runner.js';
import type { JobReport } from '../../shared/report/job-report.js';
import { tempDir } from '../helpers.js';

// The bundled examples as a user runs them, each checked against literal values and a plain
// reading of the file that shares nothing with the engine.
const EXAMPLES = join(import.meta.dirname, '..', '..', 'examples');

let dir: string;
let cleanup: () => Promise<void>;
beforeAll(async () => ({ dir, cleanup } = await tempDir()));
afterAll(() => cleanup());

async function runExample(name: string, file: string) {
  const config = await loadConfig(join(EXAMPLES, name, 'pipeline.yaml'));
  const out = join(dir, name);
  const [job] = await runLocal({ config, files: [join(EXAMPLES, name, 'data', file)], out, workers: 1 });
  const report = JSON.parse(await readFile(join(out, 'reports', name, job!.jobId, 'report.json'), 'utf8')) as JobReport;
  const success = JSON.parse(await readFile(join(out, 'results', name, job!.jobId, '_SUCCESS'), 'utf8')) as { parts: { key: string }[]; rejects: { key: string }[] };
  const lines = async (keys: { key: string }[]) => (await Promise.all(keys.map((k) => readFile(join(out, k.key), 'utf8')))).join('').split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);
  return { job: job!, report, rows: await lines(success.parts), rejects: await lines(success.rejects) };
}

describe('the bundled examples', () => {
  it('logger: a CR-only TOA5 table with rows above and under its header', async () => {
    const text = await readFile(join(EXAMPLES, 'logger', 'data', 'US-Ha1_Flux_30min.dat'), 'latin1');
    expect(text.includes('\n')).toBe(false);
    const physical = text.split('\r').filter((l) => l !== '');
    const data = physical.slice(4).map((l) => l.split(','));
    const { job, report, rows, rejects } = await runExample('logger', 'US-Ha1_Flux_30min.dat');
    expect(job.status).toBe('SUCCEEDED');
    expect(report.accounting).toMatchObject({ rowsIn: data.length, rowsOut: 96, rowsRejected: 0, skippedLines: 3, balanced: true });
    expect(rejects).toEqual([]);
    expect(rows[0]).toEqual({ TIMESTAMP: '2019-01-01T00:30:00.000Z', RECORD: 0, Tair_Avg: -5, RH_Avg: 80, Rain_Tot: 0.2, BattV_Min: 12.6 });
    // -9999 and NAN are nulls, cell for cell as the file has them.
    const missing = data.map((r) => r.map((c) => c === '-9999' || c === 'NAN'));
    rows.forEach((row, i) => {
      expect(row.RECORD).toBe(Number(data[i]![1]));
      expect(Object.values(row).map((v) => v === null)).toEqual(missing[i]);
    });
  });

  it('messy: currency, thousands separators, M/D/YYYY H:mm and per-column nulls', async () => {
    const { job, report, rows, rejects } = await runExample('messy', 'orders_export.csv');
    expect(job.status).toBe('SUCCEEDED');
    expect(report.accounting).toMatchObject({ rowsIn: 5, rowsOut: 4, rowsRejected: 1, balanced: true });
    expect(rows).toEqual([
      { order: 1001, placed: '2025-03-14T06:20:00.000Z', total: 962498.36, tax_eur: 1234.5, items: 1137, city: 'Springfield' },
      { order: 1002, placed: '2025-03-14T18:05:00.000Z', total: 5, tax_eur: 0.75, items: null, city: 'Shelbyville' },
      { order: 1003, placed: '2025-12-08T15:00:00.000Z', total: -1000, tax_eur: null, items: 12, city: null },
      { order: 1005, placed: '2025-03-01T05:59:00.000Z', total: null, tax_eur: 2.5, items: null, city: 'North Haverbrook' },
    ]);
    expect(rejects.map((r) => [r.line, r.errors])).toEqual([[5, [{ column: 'total', rule: 'type', value: '$12,34', message: '"$12,34" is not a number (thousands ",", currency)' }]]]);
  });

  it('workbook: a generated sheet, read as read-excel-file reads it, with a reject naming its cells', async () => {
    const file = join(EXAMPLES, 'workbook', 'data', 'readings.xlsx');
    const sheet = (await readXlsxFile(file, { sheet: 'Readings' })) as unknown[][];
    // A title row, the header, a units row, then the readings.
    const data = sheet.slice(3);
    const { job, report, rows, rejects } = await runExample('workbook', 'readings.xlsx');
    expect(job.status).toBe('SUCCEEDED');
    expect(report.accounting).toMatchObject({ rowsIn: data.length, rowsOut: 500, rowsRejected: 1, skippedLines: 2, balanced: true });
    const good = data.filter((r) => typeof r[7] === 'number');
    expect(rows.map((r) => [r.station, r.time, r.air_temp_f])).toEqual(good.map((r) => [r[0], (r[1] as Date).toISOString(), r[7]]));
    expect(rejects.map((r) => (r.errors as { cell: string; message: string }[]).map((e) => [e.cell, e.message]))).toEqual([
      [
        ['Readings!C502', '"n/a" is not a number'],
        ['Readings!H502', '"#VALUE!" is not a number'],
      ],
    ]);
  });

  it('batch: two site-years and a re-export of one day, combined into one dataset', async () => {
    const config = await loadConfig(join(EXAMPLES, 'batch', 'pipeline.yaml'));
    const files = [join(EXAMPLES, 'flux', 'data', 'US-Ha1_2019.tsv'), join(EXAMPLES, 'batch', 'data', 'US-Ha1_2019_v2.tsv'), join(EXAMPLES, 'flux', 'data', 'DE-Tha_2019.tsv')];
    const out = join(dir, 'batch');
    const { jobs, collections } = await runLocalBatch({ config, files, out, workers: 2 });
    expect(jobs.map((j) => j.status)).toEqual(['SUCCEEDED', 'SUCCEEDED', 'SUCCEEDED']);
    const [c] = collections;
    expect(c!.status).toBe('SUCCEEDED');
    // 1,330 + 1,328 + 48 rows out of the jobs; the re-export repeats 48 half hours, and the
    // site-years repeat 3 (two at DE-Tha, one at US-Ha1).
    expect(c!.report.accounting).toEqual({ rowsIn: 2706, rowsOut: 2655, duplicatesDropped: 51, balanced: true });
    expect(c!.report.files.map((f) => [basename(f.key), f.rowsIn, f.rowsAdded, f.duplicatesDropped])).toEqual([
      // Key order: examples/batch/… before examples/flux/….
      ['US-Ha1_2019_v2.tsv', 48, 48, 0],
      ['DE-Tha_2019.tsv', 1330, 1328, 2],
      ['US-Ha1_2019.tsv', 1328, 1279, 49],
    ]);
    const success = JSON.parse(await readFile(join(c!.resultsDir, '_SUCCESS'), 'utf8')) as { parts: { key: string }[] };
    const rows = (await Promise.all(success.parts.map((p) => readFile(join(out, p.key), 'utf8')))).join('').trim().split('\n').map((l) => JSON.parse(l) as { SITE_ID: string; TIMESTAMP_START: string; NEE: number | null });
    expect(rows).toHaveLength(2655);
    // Sorted by site and time, one row each.
    for (let i = 1; i < rows.length; i++) expect(`${rows[i - 1]!.SITE_ID} ${rows[i - 1]!.TIMESTAMP_START}` < `${rows[i]!.SITE_ID} ${rows[i]!.TIMESTAMP_START}`).toBe(true);
    // The re-export's rows (NEE_QC 0) stay: its NEE, read from its text with a plain split.
    const reexport = (await readFile(files[1]!, 'utf8')).trim().split('\n').slice(1).map((l) => l.split('\t'));
    const byStart = new Map(rows.filter((r) => r.SITE_ID === 'US-Ha1').map((r) => [r.TIMESTAMP_START, r.NEE]));
    for (const f of reexport) {
      const t = f[1]!;
      const iso = `${t.slice(0, 4)}-${t.slice(4, 6)}-${t.slice(6, 8)}T${t.slice(8, 10)}:${t.slice(10, 12)}:00.000Z`;
      expect(byStart.get(iso)).toBe(Number(f[3]));
    }
    expect(byStart.get('2019-07-28T23:30:00.000Z')).toBe(7.218);
  });
});
