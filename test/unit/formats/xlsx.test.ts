import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import ExcelJS from 'exceljs';
import readXlsxFile from 'read-excel-file/node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../../shared/config/load.js';
import { runLocal } from '../../../shared/local/runner.js';
import type { JobReport } from '../../../shared/report/job-report.js';
import { columnLetters } from '../../../shared/formats/xlsx.js';
import { tempDir } from '../../helpers.js';

let dir: string;
let cleanup: () => Promise<void>;
beforeAll(async () => ({ dir, cleanup } = await tempDir()));
afterAll(() => cleanup());

/** A workbook as spreadsheets hold one: a title row above the header, typed cells, a formula, an error, an empty row. */
async function workbook(file: string) {
  const wb = new ExcelJS.Workbook();
  wb.addWorksheet('Notes').addRow(['not this sheet']);
  const ws = wb.addWorksheet('Readings');
  ws.addRow(['Harvard Forest, exported 2019-02-01']);
  ws.addRow(['site', 'when', 'ta', 'ok', 'twice', 'note']);
  ws.addRow(['US-Ha1', new Date(Date.UTC(2019, 0, 1, 0, 30)), -5.46, true, { formula: 'C3*2', result: -10.92 }, 'plain']);
  ws.addRow(['US-Ha1', new Date(Date.UTC(2019, 0, 1, 1, 0)), 'n/a', false, { error: '#N/A' }, { richText: [{ text: 'ri' }, { text: 'ch' }] }]);
  ws.addRow([]);
  ws.addRow(['US-Ha1', new Date(Date.UTC(2019, 0, 1, 2, 0)), 0.1, false, 0.2]);
  ws.addRow(['US-Ha1', new Date(Date.UTC(2019, 0, 1, 2, 30)), 0.2, true, { formula: 'C7*2' }]);
  await wb.xlsx.writeFile(file);
}

describe('format.type: xlsx', () => {
  it('reads one sheet of a workbook with typed cells, as a second xlsx reader reads it, and names the cell of a reject', async () => {
    const file = join(dir, 'readings.xlsx');
    await workbook(file);
    const out = join(dir, 'out');
    const config = parseConfig({
      pipelines: [
        {
          name: 'sheet',
          format: { type: 'xlsx', sheet: 'Readings', skipRows: 1 },
          schema: { columns: { site: { required: true }, when: { type: 'timestamp', required: true }, ta: { type: 'number' }, ok: { type: 'boolean' }, twice: { type: 'number' }, note: {} } },
          qualityGate: { maxRejectRatio: 1 },
        },
      ],
    });
    const [job] = await runLocal({ config, files: [file], out, workers: 1 });
    const report = JSON.parse(await readFile(join(out, 'reports/sheet', job!.jobId, 'report.json'), 'utf8')) as JobReport;
    const success = JSON.parse(await readFile(join(out, 'results/sheet', job!.jobId, '_SUCCESS'), 'utf8')) as { parts: { key: string }[]; rejects: { key: string }[] };
    const rows = (await readFile(join(out, success.parts[0]!.key), 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    const rejects = (await readFile(join(out, success.rejects[0]!.key), 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as { line: number; errors: { column?: string; cell?: string; message: string }[] });

    // The second reader: read-excel-file, which shares no code with exceljs.
    const other = (await readXlsxFile(file, { sheet: 'Readings' })) as unknown[][];
    const [header, ...data] = other.slice(1);
    expect(header).toEqual(['site', 'when', 'ta', 'ok', 'twice', 'note']);
    const good = data.filter((r) => r.length && typeof r[2] === 'number' && typeof r[4] === 'number');
    expect(rows).toEqual(
      good.map((r) => ({ site: r[0], when: (r[1] as Date).toISOString(), ta: r[2], ok: r[3], twice: r[4], note: r[5] ?? null })),
    );
    // Literal values too, so a mistake both readers share would still show.
    expect(rows).toEqual([
      { site: 'US-Ha1', when: '2019-01-01T00:30:00.000Z', ta: -5.46, ok: true, twice: -10.92, note: 'plain' },
      { site: 'US-Ha1', when: '2019-01-01T02:00:00.000Z', ta: 0.1, ok: false, twice: 0.2, note: null },
    ]);
    expect(rejects.map((r) => r.line)).toEqual([4, 7]);
    expect(rejects[0]!.errors.map((e) => [e.cell, e.message])).toEqual([
      ['Readings!C4', '"n/a" is not a number'],
      ['Readings!E4', '"#N/A" is not a number'],
    ]);
    // A formula the file holds no value for: the whole row, with the reason.
    expect(rejects[1]!.errors.map((e) => e.message)).toEqual(['cell Readings!E7 is a formula with no cached value that can be read (none was saved, or it is an error such as #VALUE!, which exceljs\'s streaming reader does not give; save the workbook from a spreadsheet program to compute it)']);
    expect(report.plan.method).toBe('whole-file: a workbook is one chunk');
    // Row 1 skipped, row 2 the header, row 5 empty.
    expect(report.accounting).toMatchObject({ rowsIn: 4, rowsOut: 2, rowsRejected: 2, skippedLines: 1, blankLines: 1, balanced: true });
  });

  it('takes a sheet by its position, columns by position without a header, and a list of rows to skip', async () => {
    const file = join(dir, 'readings-3.xlsx');
    await workbook(file);
    const out = join(dir, 'out-3');
    const config = parseConfig({
      pipelines: [
        {
          name: 'byindex',
          // Sheet 2 is Readings; rows 1 (the title) and 2 (the header) skipped; no header: schema order.
          format: { type: 'xlsx', sheet: 2, header: false, skipRows: [1, 2] },
          schema: { columns: { site: { required: true }, when: { type: 'timestamp', required: true }, ta: { type: 'number' }, ok: { type: 'boolean' }, twice: {}, note: {} } },
          qualityGate: { maxRejectRatio: 1 },
        },
      ],
    });
    const [job] = await runLocal({ config, files: [file], out, workers: 1 });
    const report = JSON.parse(await readFile(join(out, 'reports/byindex', job!.jobId, 'report.json'), 'utf8')) as JobReport;
    const success = JSON.parse(await readFile(join(out, 'results/byindex', job!.jobId, '_SUCCESS'), 'utf8')) as { parts: { key: string }[] };
    const rows = (await readFile(join(out, success.parts[0]!.key), 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    const other = (await readXlsxFile(file, { sheet: 2 })) as unknown[][];
    // The second reader's rows 3.. with numbers in columns C and E (the others are rejects), first four cells.
    const good = other.slice(2).filter((r) => r.length && typeof r[2] === 'number' && typeof r[4] === 'number');
    expect(rows.map((r) => [r.site, r.when, r.ta, r.ok])).toEqual(good.map((r) => [r[0], (r[1] as Date).toISOString(), r[2], r[3]]));
    expect(rows.map((r) => r.ta)).toEqual([-5.46, 0.1]);
    expect(report.accounting).toMatchObject({ rowsIn: 4, rowsOut: 2, rowsRejected: 2, skippedLines: 2, blankLines: 1, balanced: true });
  });

  it('says which sheets a workbook has when the one asked for is not there', async () => {
    const file = join(dir, 'readings-2.xlsx');
    await workbook(file);
    const config = parseConfig({ pipelines: [{ name: 'sheet', format: { type: 'xlsx', sheet: 'Data' }, schema: { columns: { site: {} } } }] });
    await expect(runLocal({ config, files: [file], out: join(dir, 'out-2'), workers: 1 })).rejects.toThrow(/no sheet "Data" \(its sheets: Notes, Readings\)/);
  });

  it('refuses the options of text formats, which a workbook would ignore', () => {
    expect(() => parseConfig({ pipelines: [{ name: 'p', format: { type: 'xlsx', comment: '#' }, schema: { columns: { a: {} } } }] })).toThrow(/format\.comment.*applies to text formats, not xlsx/s);
    expect(() => parseConfig({ pipelines: [{ name: 'p', format: { type: 'xlsx', delimiter: ';' }, schema: { columns: { a: {} } } }] })).toThrow(/applies to text formats, not xlsx/);
  });

  it('names columns as spreadsheets do', () => {
    expect([0, 1, 25, 26, 27, 51, 52, 701, 702, 16383].map(columnLetters)).toEqual(['A', 'B', 'Z', 'AA', 'AB', 'AZ', 'BA', 'ZZ', 'AAA', 'XFD']);
  });
});
