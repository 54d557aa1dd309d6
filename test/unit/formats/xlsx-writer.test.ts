import { createHash } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import ExcelJS from 'exceljs';
import readXlsxFile from 'read-excel-file/node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../../shared/config/load.js';
import { createRowWriter } from '../../../shared/formats/writers.js';
import { loadExcel } from '../../../shared/formats/xlsx.js';
import { XLSX_MAX_ROWS } from '../../../shared/formats/xlsx-writer.js';
import { FsObjectStore } from '../../../shared/local/fs-object-store.js';
import { runLocal } from '../../../shared/local/runner.js';
import type { ObjectWriter } from '../../../shared/store/object-store.js';
import { verifyJob } from '../../../shared/verify/verify.js';
import { tempDir } from '../../helpers.js';

let dir: string;
let cleanup: () => Promise<void>;
beforeAll(async () => ({ dir, cleanup } = await tempDir()));
afterAll(() => cleanup());

const CSV = [
  'id,name,amount,ok,at,day',
  '1,"Müller, ""Jo""",1234.5,true,2024-03-10T01:30:00Z,2024-03-10',
  '2,=1+1,-0.25,false,1899-12-31T23:59:59Z,1899-12-31',
  '3,,,,,',
  '4,日本 😀,1e-7,TRUE,2024-12-31T23:59:59.999Z,2024-02-29',
  'x,bad id,1,true,2024-01-01T00:00:00Z,2024-01-01',
].join('\n');

const pipeline = {
  name: 'sheet',
  format: { type: 'csv' },
  schema: {
    columns: {
      id: { type: 'integer', required: true },
      name: {},
      amount: { type: 'number' },
      ok: { type: 'boolean' },
      at: { type: 'timestamp' },
      day: { type: 'date' },
    },
  },
  transform: { derive: { cents: 'amount == null ? null : dyn(int(amount * 100.0))' } },
  output: { format: 'xlsx' },
  qualityGate: { maxRejectRatio: 1 },
};

async function run(name: string, content: string, partial: Record<string, unknown> = {}) {
  const file = join(dir, `${name}.csv`);
  await writeFile(file, `${content}\n`);
  const out = join(dir, `out-${name}`);
  const [job] = await runLocal({ config: parseConfig({ pipelines: [{ ...pipeline, ...partial }] }), files: [file], out, workers: 1 });
  return { job: job!, out };
}

async function parts(out: string, jobId: string) {
  const success = JSON.parse(await readFile(join(out, 'results/sheet', jobId, '_SUCCESS'), 'utf8')) as { parts: { key: string; rows: number; sha256: string }[] };
  return success.parts;
}

describe('output.format: xlsx', () => {
  it('writes typed cells that a second xlsx reader reads back as the literal values, under a bold, frozen header', async () => {
    const { job, out } = await run('typed', CSV);
    expect(job.status).toBe('SUCCEEDED');
    const [part] = await parts(out, job.jobId);
    expect(part!.key.endsWith('part-00000.xlsx')).toBe(true);
    expect(part!.rows).toBe(4);
    const file = join(out, part!.key);

    // read-excel-file shares no code with exceljs, which wrote the file.
    const rows = (await readXlsxFile(file)) as unknown[][];
    expect(rows[0]).toEqual(['id', 'name', 'amount', 'ok', 'at', 'day', 'cents']);
    expect(rows.slice(1)).toEqual([
      [1, 'Müller, "Jo"', 1234.5, true, new Date('2024-03-10T01:30:00.000Z'), new Date('2024-03-10T00:00:00.000Z'), 123450],
      // Text stays text (no formula), and times Excel cannot show are their ISO text.
      [2, '=1+1', -0.25, false, '1899-12-31T23:59:59.000Z', '1899-12-31', -25],
      [3, null, null, null, null, null, null],
      [4, '日本 😀', 1e-7, true, new Date('2024-12-31T23:59:59.999Z'), new Date('2024-02-29T00:00:00.000Z'), 0],
    ]);

    const wb = new ExcelJS.Workbook();
    await wb.xlsx.readFile(file);
    const ws = wb.worksheets[0]!;
    expect(ws.name).toBe('results');
    expect(ws.views[0]).toMatchObject({ state: 'frozen', ySplit: 1 });
    expect(ws.getRow(1).getCell(1).font?.bold).toBe(true);
    expect(ws.getRow(2).getCell(5).numFmt).toBe('yyyy-mm-dd hh:mm:ss');
    expect(ws.getRow(2).getCell(6).numFmt).toBe('yyyy-mm-dd');
  });

  it('gives the same bytes for the same rows, and verify reads the parts back', async () => {
    const a = await run('same-a', CSV);
    await new Promise((r) => setTimeout(r, 2100)); // zip times have two-second steps: a later run must not differ
    const b = await run('same-b', CSV);
    const [pa] = await parts(a.out, a.job.jobId);
    const [pb] = await parts(b.out, b.job.jobId);
    const sha = async (f: string) => createHash('sha256').update(await readFile(f)).digest('hex');
    expect(await sha(join(a.out, pa!.key))).toBe(await sha(join(b.out, pb!.key)));
    expect(pa!.sha256).toBe(pb!.sha256);

    const report = await verifyJob(a.job.jobId, { input: new FsObjectStore(dir), output: new FsObjectStore(a.out) });
    expect(report.checks.filter((c) => !c.ok)).toEqual([]);
    expect(report.ok).toBe(true);
  });

  it('refuses a character an xlsx cell cannot hold, naming the part, the cell and the column', async () => {
    const { job } = await run('control', 'id,name,amount,ok,at,day\n1,ok,1,true,,\n2,"bell \u0007",1,true,,');
    expect(job.status).toBe('FAILED');
    expect(job.error).toMatch(/part-00000\.xlsx: cell B3 \(column "name"\) holds U\+0007, which an xlsx cell cannot hold; use output\.format jsonl or csv, or remove it with a derive$/);
  });

  it('refuses a text longer than an Excel cell holds', async () => {
    const { job } = await run('long', `id,name,amount,ok,at,day\n1,${'x'.repeat(32_768)},1,true,,`);
    expect(job.status).toBe('FAILED');
    expect(job.error).toMatch(/cell B2 \(column "name"\) holds 32,768 characters; an Excel cell holds at most 32,767$/);
  });

  it('refuses the row after the last one a sheet holds', { timeout: 120_000 }, async () => {
    await loadExcel();
    const sink: ObjectWriter = { write: async () => undefined, commit: async () => undefined, abort: async () => undefined };
    const w = createRowWriter('xlsx', 'results/p/j/part-00007.xlsx', sink, [{ name: 'n', type: 'integer' }]);
    for (let i = 1; i < XLSX_MAX_ROWS; i++) {
      w.write([i]);
      if (i % 65_536 === 0) await w.flush();
    }
    expect(() => w.write([0])).toThrow('results/p/j/part-00007.xlsx: more than 1,048,575 rows do not fit one sheet (Excel\'s limit is 1,048,576 with the header); make chunking.targetSize smaller or use another output.format');
    const part = await w.close();
    expect(part.rows).toBe(XLSX_MAX_ROWS - 1);
  });
});
