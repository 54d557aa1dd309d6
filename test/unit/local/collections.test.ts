import { readFile, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../../shared/config/load.js';
import { collectStep } from '../../../shared/jobs/collect.js';
import { FsObjectStore } from '../../../shared/local/fs-object-store.js';
import { runLocalBatch } from '../../../shared/local/runner.js';
import { generateSiteFiles } from '../../../examples/generate.js';
import { tempDir } from '../../helpers.js';

let dir: string;
let cleanup: () => Promise<void>;
beforeAll(async () => {
  ({ dir, cleanup } = await tempDir('sluice-collections-'));
});
afterAll(() => cleanup());

const quiet = { info: () => undefined, warn: () => undefined, error: () => undefined };

/** The rows of a collection's parts, in order. */
async function collected(out: string, parts: readonly { key: string }[]): Promise<Record<string, unknown>[]> {
  const rows: Record<string, unknown>[] = [];
  for (const p of parts) rows.push(...(await readFile(join(out, p.key), 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>));
  return rows;
}

async function duck<T>(sql: string): Promise<T[]> {
  const db = await DuckDBInstance.create(':memory:');
  const c = await db.connect();
  try {
    return (await c.runAndReadAll(sql)).getRowObjectsJS() as T[];
  } finally {
    c.closeSync();
    db.closeSync();
  }
}

describe('a collection of 200 files with 10% duplicate keys across files (examples/generate.ts generateSiteFiles)', () => {
  const FILES = 200;
  const ROWS = 50;
  let paths: string[];
  let out: string;
  let run: Awaited<ReturnType<typeof runLocalBatch>>;
  const config = parseConfig({
    pipelines: [
      {
        name: 'sites',
        schema: { columns: { site: { type: 'string', required: true }, t: { type: 'timestamp', required: true }, v: { type: 'number' }, n: { type: 'integer' } } },
        collect: { dedupe: { key: ['site', 't'], keep: { max: 'v' } }, sort: ['site', 't'] },
      },
    ],
  });

  beforeAll(async () => {
    out = join(dir, 'out-200');
    paths = await generateSiteFiles(join(dir, 'sites'), FILES, ROWS);
    run = await runLocalBatch({ config, files: paths, out, workers: 2 });
  }, 120_000);

  /** DuckDB reads the same CSV files itself: the file order is the file name's. */
  const duckRows = (order: string) =>
    duck<{ site: string; t: number; v: number | null; n: number }>(`
      SELECT site, epoch_ms(t)::DOUBLE AS t, v, n FROM read_csv([${paths.map((p) => `'${p}'`).join(',')}], filename = true,
        columns = {'site': 'VARCHAR', 't': 'TIMESTAMPTZ', 'v': 'DOUBLE', 'n': 'INTEGER'}, header = true)
      QUALIFY row_number() OVER (PARTITION BY site, t ORDER BY ${order}) = 1
      ORDER BY site, t`);
  const ours = (rows: Record<string, unknown>[]) => rows.map((r) => ({ site: r.site, t: Date.parse(r.t as string), v: r.v, n: r.n }));

  it('keeps the rows DuckDB keeps with QUALIFY row_number(), in the same order', async () => {
    expect(run.jobs.every((j) => j.status === 'SUCCEEDED')).toBe(true);
    expect(run.collections).toHaveLength(1);
    const c = run.collections[0]!;
    expect(c.status).toBe('SUCCEEDED');
    const expected = await duckRows('v DESC NULLS LAST, filename, n');
    expect(expected.length).toBe(9000);
    expect(ours(await collected(out, JSON.parse(await readFile(join(c.resultsDir, '_SUCCESS'), 'utf8')).parts))).toEqual(expected);
    expect(c.report.accounting).toEqual({ rowsIn: 10_000, rowsOut: 9000, duplicatesDropped: 1000, balanced: true });
    expect(c.report.schema).toEqual({ agreed: true, differences: [] });
    expect(c.report.files.map((f) => basename(f.key))).toEqual(paths.map((p) => basename(p)));
    expect(c.report.files.reduce((n, f) => n + f.rowsAdded, 0)).toBe(9000);
  });

  it.each([
    ['first', 'filename, n'],
    ['last', 'filename DESC, n DESC'],
    [{ min: 'v' }, 'v ASC NULLS LAST, filename, n'],
  ] as const)('with keep %j as DuckDB with ORDER BY %s', async (keep, order) => {
    const pipeline = { ...config.pipelines[0]!, collect: { ...config.pipelines[0]!.collect!, dedupe: { key: ['site', 't'], keep } } };
    const members = run.jobs.map((j) => ({ jobId: j.jobId, key: j.report!.input.key, status: j.status }));
    // Small partitions, so the merge of many runs is what is checked.
    const { report } = await collectStep(pipeline, members, { objects: new FsObjectStore(out), log: quiet }, { partitionBytes: 16 << 10 });
    expect(report.status).toBe('SUCCEEDED');
    expect(report.outputs.partitions).toBeGreaterThan(20);
    const parts = JSON.parse(await readFile(join(out, report.outputs.successKey!), 'utf8')).parts as { key: string }[];
    expect(ours(await collected(out, parts))).toEqual(await duckRows(order));
  });

  it('is not combined again by a second run of the same files', async () => {
    const again = await runLocalBatch({ config, files: paths.slice(0, 3), out, workers: 1 });
    expect(again.collections[0]!.collectionId).not.toBe(run.collections[0]!.collectionId);
    const same = await runLocalBatch({ config, files: paths, out, workers: 2 });
    expect(same.collections[0]!.collectionId).toBe(run.collections[0]!.collectionId);
    expect(same.collections[0]!.skipped).toBe(true);
  }, 120_000);
});

describe('a collection whose files disagree', () => {
  const columns = { id: { type: 'integer' }, note: { type: 'string', allowMissing: true } };
  async function runWith(files: Record<string, string>, extra: Record<string, unknown>) {
    const sub = join(dir, `drift-${Object.keys(files).join('-')}-${JSON.stringify(extra).length}`);
    const paths: string[] = [];
    for (const [name, text] of Object.entries(files)) {
      const p = join(dir, name);
      await writeFile(p, text);
      paths.push(p);
    }
    const config = parseConfig({ pipelines: [{ name: 'drift', schema: { columns, unknownColumns: 'keep' }, ...extra }] });
    return runLocalBatch({ config, files: paths, out: sub, workers: 1 });
  }

  it('fails, naming the file that lacks a column and the one with a column the others lack', async () => {
    const r = await runWith({ 'd1.csv': 'id,note\n1,a\n', 'd2.csv': 'id,note\n2,b\n', 'd3.csv': 'id\n3\n', 'd4.csv': 'id,note,extra\n4,d,x\n' }, { collect: {} });
    const c = r.collections[0]!;
    expect(r.jobs.map((j) => j.status)).toEqual(['SUCCEEDED', 'SUCCEEDED', 'SUCCEEDED', 'SUCCEEDED']);
    expect(c.status).toBe('FAILED');
    const key = (n: string) => c.report.files.find((f) => f.key.endsWith(n))!.key;
    expect(c.report.schema.differences).toEqual([`${key('d3.csv')} lacks note`, `${key('d4.csv')} has extra that 2 other file(s) lack`]);
    expect(c.error).toContain('the files disagree on their columns (collect.schemaDrift: fail)');
    expect(c.report.files.map((f) => [f.missingColumns, f.extraColumns])).toEqual([[[], []], [[], []], [['note'], []], [[], ['extra']]]);
    expect(c.report.outputs.successKey).toBeUndefined();
    await expect(readFile(join(c.resultsDir, '_SUCCESS'))).rejects.toThrow();
  });

  it('names a column whose values change kind between files; union combines them anyway', async () => {
    const files = { 'k1.jsonl': '{"id":1,"tag":5}\n', 'k2.jsonl': '{"id":2,"tag":"five"}\n{"id":3,"tag":null}\n' };
    const failed = await runWith(files, { format: { type: 'jsonl' }, collect: {} });
    const key = (n: string) => failed.collections[0]!.report.files.find((f) => f.key.endsWith(n))!.key;
    expect(failed.collections[0]!.report.schema.differences).toEqual([`column tag holds number in ${key('k1.jsonl')}; string in ${key('k2.jsonl')}`]);
    expect(failed.collections[0]!.report.files.map((f) => f.types)).toEqual([{ tag: ['number'] }, { tag: ['string'] }]);
    expect(failed.collections[0]!.status).toBe('FAILED');
    const union = await runWith(files, { format: { type: 'jsonl' }, collect: { schemaDrift: 'union', sort: ['id'] } });
    const c = union.collections[0]!;
    expect(c.status).toBe('SUCCEEDED');
    expect(c.report.schema.agreed).toBe(false);
    expect(await collected(join(c.resultsDir, '..', '..', '..', '..'), JSON.parse(await readFile(join(c.resultsDir, '_SUCCESS'), 'utf8')).parts)).toEqual([
      { id: 1, note: null, tag: 5 },
      { id: 2, note: null, tag: 'five' },
      { id: 3, note: null, tag: null },
    ]);
  });

  it('names a column called __proto__ whose kind changes, as any other', async () => {
    const r = await runWith({ 'p1.jsonl': '{"id":1,"__proto__":1}\n', 'p2.jsonl': '{"id":2,"__proto__":"a"}\n' }, { format: { type: 'jsonl' }, collect: {} });
    const files = r.collections[0]!.report.files;
    expect(files.map((f) => Object.entries(f.types))).toEqual([[['__proto__', ['number']]], [['__proto__', ['string']]]]);
    expect(JSON.parse(JSON.stringify(files[0]!.types))).toEqual(JSON.parse('{"__proto__":["number"]}'));
  });

  it('takes files in the byte order of their UTF-8 keys, as a bucket lists them', async () => {
    // U+FF21 is one UTF-16 unit above the surrogates of 😀, but its UTF-8 bytes come first.
    const r = await runWith({ 'Ａ.csv': 'id\n1\n', '😀.csv': 'id\n1\n' }, { collect: { dedupe: { key: ['id'], keep: 'first' } } });
    const c = r.collections[0]!;
    expect(c.report.files.map((f) => basename(f.key))).toEqual(['Ａ.csv', '😀.csv']);
    expect(c.report.files.map((f) => f.rowsAdded)).toEqual([1, 0]);
  });

  it('fails when one of its files failed, and writes no results', async () => {
    const r = await runWith({ 'e1.csv': 'id\n1\n', 'e2.csv': 'id\nx\ny\n' }, { collect: {} });
    const c = r.collections[0]!;
    expect(r.jobs.map((j) => j.status)).toEqual(['SUCCEEDED', 'FAILED']);
    expect(c.status).toBe('FAILED');
    expect(c.error).toMatch(/^1 file\(s\) did not succeed, so their rows are not all in their results: e2\.csv \(quality gate/);
    expect(c.report.outputs.successKey).toBeUndefined();
  });
});
