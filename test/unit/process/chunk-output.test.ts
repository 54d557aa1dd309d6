import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { parquetMetadata, parquetReadObjects } from 'hyparquet';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FsObjectStore } from '../../../shared/local/fs-object-store.js';
import { planChunks } from '../../../shared/plan/plan.js';
import { processChunk, type ChunkResult } from '../../../shared/process/chunk.js';
import { pipelineOf, tempDir } from '../../helpers.js';

let dir: string;
let cleanup: () => Promise<void>;
beforeAll(async () => ({ dir, cleanup } = await tempDir()));
afterAll(() => cleanup());

let runs = 0;

/** Runs one CSV through one chunk; returns the result and the output folder. */
async function runCsv(text: string, partial: Record<string, unknown>): Promise<{ result: ChunkResult; out: string }> {
  const name = `in-${++runs}.csv`;
  await writeFile(join(dir, name), text);
  const input = new FsObjectStore(dir);
  const pipeline = pipelineOf({ format: { type: 'csv' }, ...partial });
  const plan = await planChunks(input, name, pipeline);
  expect(plan.chunks).toHaveLength(1);
  const out = join(dir, `out-${runs}`);
  const result = await processChunk(pipeline, plan, plan.chunks[0]!, { input, output: new FsObjectStore(out) });
  return { result, out };
}

const parquetRows = async (file: string) => {
  const body = await readFile(file);
  const buffer = body.buffer.slice(body.byteOffset, body.byteOffset + body.byteLength) as ArrayBuffer;
  return { rows: (await parquetReadObjects({ file: buffer })) as Record<string, unknown>[], metadata: parquetMetadata(buffer) };
};

describe('typed derived columns', () => {
  const partial = (format: string) => ({
    schema: { columns: { n: { type: 'integer', required: true }, x: { type: 'number', required: true }, t: { type: 'timestamp', required: true } } },
    transform: { derive: { twice: 'n * 2', half: 'x / 2.0', big: 'n > 1', later: 't + duration("30m")', label: 'string(n)' }, select: ['twice', 'half', 'big', 'later', 'label'] },
    output: { format },
  });
  const text = 'n,x,t\n1,3,2019-01-01T00:00:00Z\n20,0.5,2019-06-30T12:00:00Z\n';

  it('reach JSONL as numbers, booleans and ISO timestamps', async () => {
    const { result, out } = await runCsv(text, partial('jsonl'));
    expect(await readFile(join(out, result.parts[0]!.key), 'utf8')).toBe(
      '{"twice":2,"half":1.5,"big":false,"later":"2019-01-01T00:30:00.000Z","label":"1"}\n' +
        '{"twice":40,"half":0.25,"big":true,"later":"2019-06-30T12:30:00.000Z","label":"20"}\n',
    );
  });

  it('reach CSV as plain numbers and ISO timestamps', async () => {
    const { result, out } = await runCsv(text, partial('csv'));
    expect(await readFile(join(out, result.parts[0]!.key), 'utf8')).toBe(
      'twice,half,big,later,label\n2,1.5,false,2019-01-01T00:30:00.000Z,1\n40,0.25,true,2019-06-30T12:30:00.000Z,20\n',
    );
  });

  it('reach Parquet as INT64, DOUBLE, BOOLEAN and TIMESTAMP columns that DuckDB sums', async () => {
    const { result, out } = await runCsv(text, partial('parquet'));
    const file = join(out, result.parts[0]!.key);
    const { rows, metadata } = await parquetRows(file);
    expect(metadata.schema.slice(1).map((e) => [e.name, e.type, e.converted_type])).toEqual([
      ['twice', 'INT64', undefined],
      ['half', 'DOUBLE', undefined],
      ['big', 'BOOLEAN', undefined],
      ['later', 'INT64', 'TIMESTAMP_MILLIS'],
      ['label', 'BYTE_ARRAY', 'UTF8'],
    ]);
    expect(rows).toEqual([
      { twice: 2n, half: 1.5, big: false, later: new Date('2019-01-01T00:30:00.000Z'), label: '1' },
      { twice: 40n, half: 0.25, big: true, later: new Date('2019-06-30T12:30:00.000Z'), label: '20' },
    ]);
    const db = await DuckDBInstance.create(':memory:');
    const connection = await db.connect();
    try {
      const reader = await connection.runAndReadAll(`SELECT sum(twice)::BIGINT AS twice, sum(half) AS half, count(*) FILTER (WHERE big) AS big, max(later)::VARCHAR AS later FROM read_parquet('${file}')`);
      expect(reader.getRowObjectsJS()).toEqual([{ twice: 42n, half: 1.75, big: 1n, later: '2019-06-30 12:30:00' }]);
    } finally {
      connection.closeSync();
      db.closeSync();
    }
  });
});

describe('partition folders', () => {
  it('name dates and timestamps in ISO, numbers and booleans as before', async () => {
    const { result, out } = await runCsv('day,ts,n,ok\n2019-01-01,2019-01-01T00:30:00Z,1.5,true\n2019-01-01,2019-01-01T00:30:00Z,1.5,true\n2019-01-02,,-2,false\n', {
      schema: { columns: { day: { type: 'date' }, ts: { type: 'timestamp' }, n: { type: 'number' }, ok: { type: 'boolean' } } },
      output: { partitionBy: ['day', 'ts', 'n', 'ok'] },
    });
    const resultsPrefix = result.parts[0]!.key.slice(0, result.parts[0]!.key.indexOf('day='));
    expect(result.parts.map((p) => p.key.slice(resultsPrefix.length))).toEqual([
      'day=2019-01-01/ts=2019-01-01T00%3A30%3A00.000Z/n=1.5/ok=true/part-00000.jsonl',
      'day=2019-01-02/ts=__null__/n=-2/ok=false/part-00000.jsonl',
    ]);
    expect(await readdir(join(out, resultsPrefix))).toEqual(['day=2019-01-01', 'day=2019-01-02']);
  });
});

describe('string columns', () => {
  // "code" is a string column, "extra" a header column kept as text, "asText" an integer cast to string,
  // "same" a string cast to string, "echo" a derive over a nullable (dyn) string.
  const partial = (format: string) => ({
    schema: { columns: { code: { type: 'string' }, n: { type: 'integer' } }, unknownColumns: 'keep' },
    transform: { derive: { echo: 'code' }, cast: { n: 'string', code: 'string' } },
    output: { format },
  });
  const text = 'code,n,extra\n007,007,1e5\n1e5,12,007\n[1],3,"{""a"":1}"\n"{""a"":1}",-4,true\n';

  it('are JSON strings in JSONL, whatever they look like', async () => {
    const { result, out } = await runCsv(text, partial('jsonl'));
    const lines = (await readFile(join(out, result.parts[0]!.key), 'utf8')).trim().split('\n');
    expect(lines).toEqual([
      '{"code":"007","n":"7","extra":"1e5","echo":"007"}',
      '{"code":"1e5","n":"12","extra":"007","echo":"1e5"}',
      '{"code":"[1]","n":"3","extra":"{\\"a\\":1}","echo":"[1]"}',
      '{"code":"{\\"a\\":1}","n":"-4","extra":"true","echo":"{\\"a\\":1}"}',
    ]);
  });

  it('keep their exact text in CSV', async () => {
    const { result, out } = await runCsv(text, partial('csv'));
    expect(await readFile(join(out, result.parts[0]!.key), 'utf8')).toBe('code,n,extra,echo\n007,7,1e5,007\n1e5,12,007,1e5\n[1],3,"{""a"":1}",[1]\n"{""a"":1}",-4,true,"{""a"":1}"\n');
  });

  it('are UTF8 text in Parquet', async () => {
    const { result, out } = await runCsv(text, partial('parquet'));
    const { rows, metadata } = await parquetRows(join(out, result.parts[0]!.key));
    expect(metadata.schema.slice(1).map((e) => [e.name, e.type, e.converted_type])).toEqual([
      ['code', 'BYTE_ARRAY', 'UTF8'],
      ['n', 'BYTE_ARRAY', 'UTF8'],
      ['extra', 'BYTE_ARRAY', 'UTF8'],
      ['echo', 'BYTE_ARRAY', 'UTF8'],
    ]);
    expect(rows).toEqual([
      { code: '007', n: '7', extra: '1e5', echo: '007' },
      { code: '1e5', n: '12', extra: '007', echo: '1e5' },
      { code: '[1]', n: '3', extra: '{"a":1}', echo: '[1]' },
      { code: '{"a":1}', n: '-4', extra: 'true', echo: '{"a":1}' },
    ]);
  });

  it('leave a derived list as JSON in JSONL', async () => {
    const { result, out } = await runCsv('n\n2\n', { schema: { columns: { n: { type: 'integer', required: true } } }, transform: { derive: { pair: '[n, n * 2]', dict: '{"k": n}' } } });
    expect(await readFile(join(out, result.parts[0]!.key), 'utf8')).toBe('{"n":2,"pair":[2,4],"dict":{"k":2}}\n');
  });
});

describe('cast failures', () => {
  it('reach the rejects with their reason and the rule tallies', async () => {
    const { result, out } = await runCsv('id,v\n1,12\n2,12abc\n', { schema: { columns: { id: { type: 'integer' }, v: { type: 'string' } } }, transform: { cast: { v: 'integer' } } });
    expect(result.stats.rowsOut).toBe(1);
    expect(result.stats.rowsRejected).toBe(1);
    expect(result.stats.rules).toEqual({ cast: { count: 1, samples: [{ line: 2, column: 'v', value: '12abc', message: '"12abc" cannot be cast to integer' }] } });
    const rejects = JSON.parse(await readFile(join(out, result.rejects!.key), 'utf8')) as { errors: unknown[]; raw: string };
    expect(rejects.errors).toEqual([{ column: 'v', rule: 'cast', value: '12abc', message: '"12abc" cannot be cast to integer' }]);
    expect(rejects.raw).toBe('2,12abc');
    expect(await readFile(join(out, result.parts[0]!.key), 'utf8')).toBe('{"id":1,"v":12}\n');
  });
});

describe('staged rejects', () => {
  const partial = { schema: { columns: { n: { type: 'integer', required: true } } } };

  it('are an object only when the chunk has rejects, so a clean chunk leaves finalize nothing to copy or delete', async () => {
    const clean = await runCsv('n\n1\n2\n', partial);
    expect(clean.result.rejects).toBeUndefined();
    expect(clean.result.stats.rowsRejected).toBe(0);
    await expect(readdir(join(clean.out, 'rejects'))).rejects.toMatchObject({ code: 'ENOENT' });
    const bad = await runCsv('n\n1\nx\n', partial);
    expect(bad.result.rejects).toMatchObject({ rows: 1 });
    const staged = await readFile(join(bad.out, bad.result.rejects!.key), 'utf8');
    expect(JSON.parse(staged)).toMatchObject({ line: 2, raw: 'x' });
  });
});
