import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../../shared/config/load.js';
import { FsObjectStore } from '../../../shared/local/fs-object-store.js';
import { planChunks } from '../../../shared/plan/plan.js';
import { processChunk } from '../../../shared/process/chunk.js';
import { compileColumn, type Failure } from '../../../shared/rules/columns.js';
import { pipelineOf, tempDir } from '../../helpers.js';

let dir: string;
let cleanup: () => Promise<void>;
beforeAll(async () => ({ dir, cleanup } = await tempDir()));
afterAll(() => cleanup());

const column = (c: Record<string, unknown>) => parseConfig({ pipelines: [{ name: 'p', schema: { columns: { c } } }] }).pipelines[0]!.schema.columns.c!;
function read(c: Record<string, unknown>, raw: string): { value: unknown; failures: Failure[] } {
  const failures: Failure[] = [];
  const value = compileColumn('c', column(c), new Set(['']), 'c')(raw, failures);
  return { value, failures };
}

describe('number formats, case by case', () => {
  it('reads currency, thousands and decimal marks as the column says', () => {
    const cases: [Record<string, unknown>, string, number][] = [
      [{ type: 'number', currency: true, thousands: ',', trim: true }, '"$962,498.36 "'.slice(1, -1), 962498.36],
      [{ type: 'integer', thousands: ',' }, '1,137', 1137],
      [{ type: 'integer', thousands: ',' }, '1137', 1137],
      [{ type: 'number', currency: true }, '-$5', -5],
      [{ type: 'number', currency: true }, '$-5.25', -5.25],
      [{ type: 'number', currency: true }, '12 €', 12],
      [{ type: 'number', currency: true, thousands: '.', decimal: ',' }, '1.234,5 €', 1234.5],
      [{ type: 'number', decimal: ',' }, '-0,25', -0.25],
      [{ type: 'number', thousands: "'" }, "1'234'567.25", 1234567.25],
      [{ type: 'number', thousands: ' ', decimal: ',' }, '1 234,5', 1234.5],
      [{ type: 'number', currency: true }, '¥100', 100],
      [{ type: 'number', currency: true }, '£ 7.5', 7.5],
      [{ type: 'number', trim: true }, '\t 42 ', 42],
      // Spaces around the symbol belong to it.
      [{ type: 'number', currency: true }, ' $5', 5],
      [{ type: 'number', currency: true }, '5 $ ', 5],
    ];
    for (const [c, raw, want] of cases) expect(read(c, raw), `${JSON.stringify(c)} ${raw}`).toEqual({ value: want, failures: [] });
  });

  it('rejects what the format does not allow, and says which format', () => {
    const cases: [Record<string, unknown>, string, string][] = [
      [{ type: 'integer', thousands: ',' }, '1,13', '"1,13" is not an integer (thousands ",")'],
      [{ type: 'number', thousands: ',' }, '1,5', '"1,5" is not a number (thousands ",")'],
      [{ type: 'number', decimal: ',' }, '1.5', '"1.5" is not a number (decimal ",")'],
      [{ type: 'number', currency: true }, '$5$', '"$5$" is not a number (currency)'],
      [{ type: 'number', currency: true }, '$', '"$" is not a number (currency)'],
      [{ type: 'number' }, '$5', '"$5" is not a number'],
      [{ type: 'number' }, ' 5', '" 5" is not a number'],
      [{ type: 'integer', thousands: ',' }, '12abc', '"12abc" is not an integer (thousands ",")'],
      // A number in a format of its own has no exponent, whatever its marks.
      [{ type: 'number', thousands: ',' }, '1.0e5', '"1.0e5" is not a number (thousands ",")'],
      [{ type: 'number', thousands: ',' }, '1e5', '"1e5" is not a number (thousands ",")'],
      [{ type: 'number', decimal: ',' }, '1,5e3', '"1,5e3" is not a number (decimal ",")'],
    ];
    for (const [c, raw, message] of cases) {
      const r = read(c, raw);
      expect(r.value, raw).toBeNull();
      expect(r.failures.map((f) => f.message), raw).toEqual([message]);
    }
  });

  it('takes per-column null markers instead of the format ones, after trim when asked', () => {
    expect(read({ type: 'number', nullValues: ['n/a'] }, 'n/a')).toEqual({ value: null, failures: [] });
    // The column's list replaces the format's: "" is a value here, and not a number.
    expect(read({ type: 'number', nullValues: ['n/a'] }, '').failures.map((f) => f.rule)).toEqual(['type']);
    expect(read({ type: 'string', nullValues: ['-'], trim: true }, ' - ')).toEqual({ value: null, failures: [] });
    expect(read({ type: 'string', trim: true }, '  Main St ')).toEqual({ value: 'Main St', failures: [] });
    expect(read({ type: 'number', nullValues: ['n/a'], required: true }, 'n/a').failures.map((f) => f.rule)).toEqual(['required']);
  });

  it('refuses formats on columns that are not numbers, and one mark for both jobs', () => {
    expect(() => column({ type: 'string', thousands: ',' })).toThrow(/thousands applies to number and integer columns/);
    expect(() => column({ type: 'date', currency: true })).toThrow(/currency applies to number and integer columns/);
    expect(() => column({ type: 'number', thousands: ',', decimal: ',' })).toThrow(/cannot also be the decimal mark/);
  });
});

/** A messy export: currency amounts with thousands separators, European decimals, per-column nulls, padded cells. */
const MESSY = [
  'id,amount,eur,visits,city',
  '1,"$962,498.36 ","1.234,50",12,Springfield',
  '2,$5.00,"0,75",n/a, Shelbyville ',
  '3,"-$1,000",-,"1,137",-',
  '4,"$12,34",1,7,Ogdenville',
  '5,,"2,5",,North Haverbrook',
].join('\n');

const messyPipeline = (fastPath: boolean) => ({
  fastPath,
  partial: {
    format: { type: 'csv', nullValues: [''] },
    schema: {
      columns: {
        id: { type: 'integer', required: true },
        amount: { type: 'number', currency: true, thousands: ',', trim: true },
        eur: { type: 'number', thousands: '.', decimal: ',', nullValues: ['-'] },
        visits: { type: 'integer', thousands: ',', nullValues: ['n/a', ''] },
        city: { type: 'string', trim: true, nullValues: ['-'] },
      },
    },
    qualityGate: { maxRejectRatio: 1 },
  },
});

async function runMessy(fastPath: boolean) {
  const name = `messy-${fastPath}.csv`;
  await writeFile(join(dir, name), `${MESSY}\n`);
  const input = new FsObjectStore(dir);
  const { partial } = messyPipeline(fastPath);
  const pipeline = pipelineOf(partial);
  const plan = await planChunks(input, name, pipeline);
  const out = join(dir, `out-${fastPath}`);
  const result = await processChunk(pipeline, plan, plan.chunks[0]!, { input, output: new FsObjectStore(out), fastPath });
  const rows = (await readFile(join(out, result.parts[0]!.key), 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
  const rejects = (await readFile(join(out, result.rejects!.key), 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as { line: number; errors: Failure[] });
  return { rows, rejects };
}

describe('a messy CSV, read with the columns’ formats', () => {
  it('gives the values DuckDB computes from the same text with its own string functions, on both paths', async () => {
    const db = await DuckDBInstance.create(':memory:');
    const connection = await db.connect();
    let expected: Record<string, unknown>[];
    try {
      const file = join(dir, 'messy-duck.csv');
      await writeFile(file, `${MESSY}\n`);
      // DuckDB reads every cell as text; the SQL undoes each format without Sluice's code.
      const reader = await connection.runAndReadAll(`
        SELECT id::INTEGER AS id,
          CAST(NULLIF(replace(replace(trim(amount), '$', ''), ',', ''), '') AS DOUBLE) AS amount,
          CASE WHEN eur = '-' THEN NULL ELSE CAST(replace(replace(eur, '.', ''), ',', '.') AS DOUBLE) END AS eur,
          CASE WHEN visits IN ('n/a', '') OR visits IS NULL THEN NULL ELSE CAST(replace(visits, ',', '') AS INTEGER) END AS visits,
          CASE WHEN trim(city) = '-' THEN NULL ELSE trim(city) END AS city
        FROM read_csv('${file}', all_varchar = true, header = true, quote = '"')
        WHERE id <> '4' ORDER BY id`);
      expected = reader.getRowObjectsJS().map((r) => ({ ...r, id: Number(r.id), visits: r.visits === null ? null : Number(r.visits) }));
    } finally {
      connection.closeSync();
      db.closeSync();
    }
    expect(expected).toHaveLength(4);
    for (const fastPath of [true, false]) {
      const { rows, rejects } = await runMessy(fastPath);
      expect(rows, `fastPath ${fastPath}`).toEqual(expected);
      // "$12,34": a comma that does not group three digits is no thousands separator.
      expect(rejects.map((r) => [r.line, r.errors.map((e) => e.message)])).toEqual([[4, ['"$12,34" is not a number (thousands ",", currency)']]]);
    }
    // Literal values, so a shared mistake in both readers would still show.
    expect(expected.map((r) => r.amount)).toEqual([962498.36, 5, -1000, null]);
    expect(expected.map((r) => r.eur)).toEqual([1234.5, 0.75, null, 2.5]);
    expect(expected.map((r) => r.visits)).toEqual([12, null, 1137, null]);
    expect(expected.map((r) => r.city)).toEqual(['Springfield', 'Shelbyville', null, 'North Haverbrook']);
  });
});
