import { createHash } from 'node:crypto';
import { parquetMetadata, parquetReadObjects } from 'hyparquet';
import { DuckDBInstance } from '@duckdb/node-api';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHUNK_PARQUET_BYTES, ParquetRowWriter, ROW_GROUP_BYTES, ROW_GROUP_ROWS, RowGroupBudget } from '../../../shared/formats/parquet.js';
import { createRowWriter, type RowWriterOptions } from '../../../shared/formats/writers.js';
import { FsObjectStore } from '../../../shared/local/fs-object-store.js';
import type { OutputColumn } from '../../../shared/process/row.js';
import type { Value } from '../../../shared/rules/columns.js';
import { tempDir } from '../../helpers.js';

let dir: string;
let cleanup: () => Promise<void>;
beforeAll(async () => ({ dir, cleanup } = await tempDir()));
afterAll(() => cleanup());

const columns: OutputColumn[] = [
  { name: 'id', type: 'integer' },
  { name: 'name', type: 'string' },
  { name: 'amount', type: 'number' },
  { name: 'ok', type: 'boolean' },
  { name: 'at', type: 'timestamp' },
  { name: 'day', type: 'date' },
  { name: 'country', type: 'enum' },
];
const T0 = Date.UTC(2024, 0, 1);
const NAMES = ['plain', 'a "quoted", name', 'multi\nline é', 'Bitte bei Müller klingeln → 2. OG', '', '日本語のメモ'];

/** Row i of a deterministic table: every column has nulls, strings repeat and vary in length. */
function row(i: number): Value[] {
  return [
    i % 97 === 0 ? null : i * 1_000_003 - 7,
    i % 89 === 0 ? null : `${NAMES[i % NAMES.length]}#${i}`,
    i % 83 === 0 ? null : (i % 2 ? -1 : 1) * i * 0.25,
    i % 79 === 0 ? null : i % 3 === 0,
    i % 73 === 0 ? null : T0 + i * 1_800_000,
    i % 71 === 0 ? null : T0 + (i % 400) * 86_400_000,
    ['US', 'DE', 'JP'][i % 3]!,
  ];
}

/** Row i as hyparquet reads it back: INT64 as bigint, TIMESTAMP and DATE as Date. */
function readBack(i: number): Record<string, unknown> {
  const [id, name, amount, ok, at, day, country] = row(i);
  return {
    id: id === null ? null : BigInt(id as number),
    name,
    amount,
    ok,
    at: at === null ? null : new Date(at as number),
    day: day === null ? null : new Date(day as number),
    country,
  };
}

async function writePart(key: string, rows: number, options: RowWriterOptions = {}, flushEvery = 1000) {
  const store = new FsObjectStore(dir);
  const w = createRowWriter('parquet', key, store.writer(key), columns, options);
  expect(w).toBeInstanceOf(ParquetRowWriter);
  const p = w as ParquetRowWriter;
  const most = { bufferedRows: 0, bufferedBytes: 0, heldBytes: 0, pendingBytes: 0 };
  for (let i = 0; i < rows; i++) {
    p.write(row(i));
    most.bufferedRows = Math.max(most.bufferedRows, p.bufferedRows);
    most.bufferedBytes = Math.max(most.bufferedBytes, p.bufferedBytes);
    most.heldBytes = Math.max(most.heldBytes, p.heldBytes);
    most.pendingBytes = Math.max(most.pendingBytes, p.pendingBytes);
    // The chunk processor flushes after every input block of about 1 MiB.
    if (i % flushEvery === flushEvery - 1) await p.flush();
  }
  const part = await p.close();
  const body = (await store.get(key))!;
  const file = body.buffer.slice(body.byteOffset, body.byteOffset + body.byteLength) as ArrayBuffer;
  return { part, body, file, most, rowGroups: p.rowGroups };
}

describe('streamed Parquet parts', () => {
  it('read back with hyparquet to the literal values, row count and column types across several row groups', async () => {
    const { part, file, rowGroups } = await writePart('groups.parquet', 3_500, { parquet: { rowGroupRows: 1_000 } });
    expect(part.rows).toBe(3_500);
    expect(rowGroups).toBe(4);
    const meta = parquetMetadata(file);
    expect(meta.num_rows).toBe(3_500n);
    expect(meta.row_groups.map((g) => g.num_rows)).toEqual([1_000n, 1_000n, 1_000n, 500n]);
    expect(meta.schema.slice(1).map((e) => [e.name, e.type, e.converted_type])).toEqual([
      ['id', 'INT64', undefined],
      ['name', 'BYTE_ARRAY', 'UTF8'],
      ['amount', 'DOUBLE', undefined],
      ['ok', 'BOOLEAN', undefined],
      ['at', 'INT64', 'TIMESTAMP_MILLIS'],
      ['day', 'INT32', 'DATE'],
      ['country', 'BYTE_ARRAY', 'UTF8'],
    ]);
    const back = (await parquetReadObjects({ file })) as Record<string, unknown>[];
    expect(back).toHaveLength(3_500);
    expect(back[0]).toEqual({ id: null, name: null, amount: null, ok: null, at: null, day: null, country: 'US' });
    expect(back[2]).toEqual({ id: 1_999_999n, name: 'multi\nline é#2', amount: 0.5, ok: false, at: new Date('2024-01-01T01:00:00.000Z'), day: new Date('2024-01-03T00:00:00.000Z'), country: 'JP' });
    expect(back[4]!.name).toBe('#4'); // an empty string stays a string, not a null
    expect(back[1_005]!.name).toBe('Bitte bei Müller klingeln → 2. OG#1005');
    for (let i = 0; i < 3_500; i++) expect(back[i], `row ${i}`).toEqual(readBack(i));
  });

  it('give each row group statistics that bound its values exactly, so a reader may prune by them', async () => {
    const { file } = await writePart('stats.parquet', 3_500, { parquet: { rowGroupRows: 1_000 } });
    const meta = parquetMetadata(file);
    const plain = (v: unknown) => (v instanceof Date ? v.getTime() : typeof v === 'bigint' ? Number(v) : v instanceof Uint8Array ? Buffer.from(v).toString() : v);
    // Text in UTF-8 byte order, as Parquet orders it; numbers as numbers.
    const order = (a: Value, b: Value) => (typeof a === 'string' ? Buffer.compare(Buffer.from(a), Buffer.from(b as string)) : Number(a) - Number(b));
    meta.row_groups.forEach((g, r) => {
      const rows = Array.from({ length: Number(g.num_rows) }, (_, k) => row(r * 1_000 + k));
      g.columns.forEach((c, j) => {
        const values = rows.map((x) => x[j]!).filter((v) => v !== null);
        const sorted = [...values].sort(order);
        const stats = c.meta_data!.statistics!;
        const at = `group ${r}, column ${columns[j]!.name}`;
        expect(stats.null_count, at).toBe(BigInt(rows.length - values.length));
        const min = plain(stats.min_value);
        const max = plain(stats.max_value);
        const [lo, hi] = [sorted[0]!, sorted.at(-1)!];
        if (typeof lo === 'string' && typeof hi === 'string' && (Buffer.byteLength(lo) > 16 || Buffer.byteLength(hi) > 16)) {
          // Text bounds are cut to 16 bytes (the max then raised): still bounds, flagged inexact.
          expect(order(min as string, lo), at).toBeLessThanOrEqual(0);
          expect(order(max as string, hi), at).toBeGreaterThanOrEqual(0);
          expect(Buffer.from(lo).subarray(0, Buffer.byteLength(min as string)).toString(), at).toBe(min);
        } else {
          expect([min, max], at).toEqual([lo, hi]);
        }
      });
    });
  });

  it('answer DuckDB point and range queries exactly, with its pruning by statistics on', async () => {
    await writePart('duck.parquet', 5_000, { parquet: { rowGroupRows: 700 } });
    const db = await DuckDBInstance.create(':memory:');
    const c = await db.connect();
    const count = async (where: string) => Number((await c.runAndReadAll(`select count(*) from read_parquet('${join(dir, 'duck.parquet')}') where ${where}`)).getRows()[0]![0]);
    // Literal answers from row(i): the ids are i * 1,000,003 - 7 (null when i % 97 = 0), the names end in #i.
    expect(await count('id = 4999014990')).toBe(1);
    expect(await count('id = 97000291 - 7')).toBe(0);
    expect(await count(`name = 'plain#4200'`)).toBe(1);
    expect(await count(`name = '日本語のメモ#4997'`)).toBe(1);
    expect(await count(`country = 'DE'`)).toBe(1_667);
    expect(await count(`"at" >= TIMESTAMP '2024-01-01 00:00:00' + INTERVAL 2000 HOUR`)).toBe(5_000 - 4_000 - 14);
    expect(await count('amount < -1000')).toBe(500 - 6); // odd i over 4,000, less the 6 odd multiples of 83 there
    expect(await count(`day = DATE '2024-01-01' + 399`)).toBe(12);
    c.closeSync();
  });

  it('cut a row group once its rows hold the byte limit', async () => {
    const { file } = await writePart('bytes.parquet', 3_000, { parquet: { rowGroupBytes: 32 << 10 } });
    const groups = parquetMetadata(file).row_groups.map((g) => Number(g.num_rows));
    expect(groups.length).toBeGreaterThan(4);
    expect(groups.reduce((a, b) => a + b, 0)).toBe(3_000);
    // A row here takes 50 to 90 bytes in the buffers: 32 KiB is a few hundred rows.
    expect(Math.max(...groups)).toBeLessThan(1_000);
  });

  it('hold a bounded number of rows and bytes while writing 500,000 rows', async () => {
    const { part, file, most, rowGroups } = await writePart('many.parquet', 500_000, {}, 10_000);
    expect(part.rows).toBe(500_000);
    expect(most.bufferedRows).toBeLessThanOrEqual(ROW_GROUP_ROWS);
    expect(most.bufferedBytes).toBeLessThanOrEqual(ROW_GROUP_BYTES + 1_000);
    // Buffers double as they grow: never past twice what one group's rows take.
    expect(most.heldBytes).toBeLessThanOrEqual(2 * ROW_GROUP_BYTES);
    expect(most.heldBytes).toBeLessThanOrEqual(CHUNK_PARQUET_BYTES);
    // Between two flushes at most one encoded group waits, smaller than its rows were in the buffers.
    expect(most.pendingBytes).toBeLessThanOrEqual(ROW_GROUP_BYTES);
    expect(most.pendingBytes).toBeLessThan(part.bytes / 4);
    expect(rowGroups).toBeGreaterThanOrEqual(Math.ceil(500_000 / ROW_GROUP_ROWS));
    const meta = parquetMetadata(file);
    expect(meta.row_groups.length).toBe(rowGroups);
    expect(meta.num_rows).toBe(500_000n);
    const tail = (await parquetReadObjects({ file, rowStart: 499_990, rowEnd: 500_000 })) as Record<string, unknown>[];
    expect(tail).toEqual(Array.from({ length: 10 }, (_, k) => readBack(499_990 + k)));
  });

  it('write the same bytes for the same rows, however often they are flushed', async () => {
    const a = await writePart('same-a.parquet', 20_000, { parquet: { rowGroupRows: 3_000 } }, 7);
    const b = await writePart('same-b.parquet', 20_000, { parquet: { rowGroupRows: 3_000 } }, 20_000);
    expect(a.body.equals(b.body)).toBe(true);
    expect(a.part.sha256).toBe(createHash('sha256').update(b.body).digest('hex'));
  });

  it('keep the parts of one chunk within one budget, the fullest part giving way', async () => {
    const store = new FsObjectStore(dir);
    const budget = new RowGroupBudget(256 << 10);
    // Five partitions with skewed shares, as partitionBy gives them.
    const writers = [0, 1, 2, 3, 4].map((p) => createRowWriter('parquet', `budget/p=${p}.parquet`, store.writer(`budget/p=${p}.parquet`), columns, { rowGroups: budget }) as ParquetRowWriter);
    const share = (i: number) => [0, 0, 0, 0, 1, 1, 2, 3][i % 8] ?? 4;
    const expected: number[][] = writers.map(() => []);
    let most = 0;
    for (let i = 0; i < 30_000; i++) {
      const p = i % 61 === 0 ? 4 : share(i);
      writers[p]!.write(row(i));
      expected[p]!.push(i);
      most = Math.max(most, budget.heldBytes);
    }
    expect(most).toBeLessThanOrEqual(256 << 10);
    for (const w of writers) await w.close();
    expect(budget.heldBytes).toBe(0);
    const groups: number[] = [];
    for (const [p, ids] of expected.entries()) {
      const body = (await store.get(`budget/p=${p}.parquet`))!;
      const file = body.buffer.slice(body.byteOffset, body.byteOffset + body.byteLength) as ArrayBuffer;
      const back = (await parquetReadObjects({ file, columns: ['id', 'name'] })) as Record<string, unknown>[];
      expect(back.map((r) => r.name)).toEqual(ids.map((i) => readBack(i).name));
      groups.push(parquetMetadata(file).row_groups.length);
    }
    // The biggest partition gave way many times; the smallest (about 500 rows) never had to.
    expect(groups[0]).toBeGreaterThan(5);
    expect(groups[4]).toBe(1);
  });

  it('refuse a value of the wrong kind, naming the column, and then refuse to close', async () => {
    const store = new FsObjectStore(dir);
    const w = createRowWriter('parquet', 'wrong.parquet', store.writer('wrong.parquet'), columns);
    expect(() => w.write([1, 'a', 'not a number', true, null, null, 'US'])).toThrow('parquet column "amount" (number) got a string: not a number');
    // Half the row is in the buffers: the part is not closed as if nothing happened.
    expect(() => w.write(row(1))).toThrow('parquet column "amount"');
    await expect(w.close()).rejects.toThrow('parquet column "amount"');
    await w.abort();
    expect(await store.get('wrong.parquet')).toBeUndefined();
  });
});
