import { createReadStream } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { parquetReadObjects } from 'hyparquet';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../shared/config/load.js';
import type { Pipeline } from '../../shared/config/schema.js';
import { FsObjectStore } from '../../shared/local/fs-object-store.js';
import { planChunks } from '../../shared/plan/plan.js';
import { processChunk } from '../../shared/process/chunk.js';
import { independentFormatOf, readIndependent } from '../../shared/verify/independent.js';
import { LineSequence } from '../../shared/verify/line-sequence.js';
import { tempDir } from '../helpers.js';
import { comparableWithDuckDb, generateFile, type GeneratedFile } from './generate.js';

// Differential fuzz: seeded hostile CSV/TSV files through the engine in chunks of a few hundred
// bytes, held against the independent reader (csv-parse strict and a count of line breaks: record
// count, start lines, malformed lines, every line accounted for) and against DuckDB's read_csv
// (the typed values of the good rows). A longer run: SLUICE_FUZZ_FILES=5000 npx vitest run test/differential;
// another sequence: SLUICE_FUZZ_SEED=<n>. A failure names the seed and the file to replay it.
const SEED = Number(process.env.SLUICE_FUZZ_SEED ?? 20261201);
const FILES = Number(process.env.SLUICE_FUZZ_FILES ?? 1200);
const BATCH = 40;

let dir: string;
let cleanup: () => Promise<void>;
let db: DuckDBInstance;
let duck: DuckDBConnection;
const tally = { files: 0, multiChunk: 0, withBadRows: 0, comparedWithDuckDb: 0, records: 0, malformed: 0, parquet: 0 };
/** Every so many files also go to Parquet on both paths. */
const PARQUET_EVERY = 3;
beforeAll(async () => {
  ({ dir, cleanup } = await tempDir('sluice-fuzz-'));
  db = await DuckDBInstance.create(':memory:', { threads: '1' });
  duck = await db.connect();
});
afterAll(async () => {
  duck?.closeSync();
  db?.closeSync();
  await cleanup();
});

interface EngineRun {
  readonly rowsIn: number;
  readonly lines: number;
  readonly blankLines: number;
  readonly headerLines: number;
  readonly starts: LineSequence;
  readonly malformed: number[];
  /** Result rows of every chunk in order, as JSONL text (the parts' bytes, as UTF-8, for other formats). */
  readonly results: string;
  /** Every result part's key and bytes, in chunk order. */
  readonly parts: readonly { readonly key: string; readonly bytes: Buffer }[];
  readonly chunks: number;
}

/** Every planned chunk through processChunk in order; `general` reads every line on the general path and reports record starts. */
async function runEngine(pipeline: Pipeline, folder: string, file: string, general: boolean, inputFolder = folder): Promise<EngineRun> {
  const input = new FsObjectStore(inputFolder);
  const output = new FsObjectStore(join(folder, general ? 'out-general' : 'out-fast'));
  const plan = await planChunks(input, file, pipeline);
  const starts = new LineSequence();
  const malformed: number[] = [];
  let base = plan.headerLines;
  let rowsIn = 0;
  let blankLines = 0;
  let results = '';
  const parts: { key: string; bytes: Buffer }[] = [];
  for (const chunk of plan.chunks) {
    const lineBase = base;
    const r = await processChunk(pipeline, plan, chunk, { input, output, ...(general ? { onRecordStart: (l: number) => starts.add(lineBase + l) } : {}) });
    for (const p of r.parts) {
      const bytes = (await output.get(p.key))!;
      parts.push({ key: p.key, bytes });
      results += bytes.toString('utf8');
    }
    for (const l of ((r.rejects && (await output.get(r.rejects.key))?.toString('utf8')) ?? '').split('\n').filter(Boolean)) {
      const reject = JSON.parse(l) as { line: number; errors: { rule: string }[] };
      if (reject.errors.some((e) => e.rule === 'malformed')) malformed.push(lineBase + reject.line);
    }
    rowsIn += r.stats.rowsIn;
    blankLines += r.stats.blankLines;
    base += r.stats.lines;
  }
  return { rowsIn, lines: base - plan.headerLines, blankLines, headerLines: plan.headerLines, starts, malformed, results, parts, chunks: plan.chunks.length };
}

/** Parquet parts read back by hyparquet, each row as the JSONL writer would print it (ISO times, numbers as numbers). */
async function parquetRows(parts: EngineRun['parts']): Promise<string[]> {
  const rows: string[] = [];
  for (const p of parts) {
    const file = p.bytes.buffer.slice(p.bytes.byteOffset, p.bytes.byteOffset + p.bytes.byteLength) as ArrayBuffer;
    for (const row of (await parquetReadObjects({ file })) as Record<string, unknown>[]) {
      rows.push(JSON.stringify(row, (_k, v: unknown) => (typeof v === 'bigint' ? Number(v) : v instanceof Date ? v.toISOString() : v)));
    }
  }
  return rows;
}

/**
 * The same file to Parquet on both paths, partitioned by a string column when it has one: the
 * parts must be the same bytes, and hyparquet must read back the JSONL rows (as a multiset: a
 * partition's part holds its own rows).
 */
async function checkParquet(pipeline: Pipeline, folder: string, file: string, jsonl: string, columns: GeneratedFile['columns']): Promise<string[]> {
  const partition = columns.find((c) => c.type === 'string')?.name;
  const asParquet: Pipeline = { ...pipeline, output: { ...pipeline.output, format: 'parquet', partitionBy: partition ? [partition] : [] } };
  const general = await runEngine(asParquet, join(folder, 'pq-general'), file, true, folder);
  const fast = await runEngine(asParquet, join(folder, 'pq-fast'), file, false, folder);
  const problems: string[] = [];
  const keysOf = (r: EngineRun) => r.parts.map((p) => p.key.replace(/^.*?\/results\//, ''));
  if (JSON.stringify(keysOf(fast)) !== JSON.stringify(keysOf(general))) problems.push(`parquet: the fast path wrote parts ${keysOf(fast).join(', ')}, the general path ${keysOf(general).join(', ')}`);
  else if (fast.parts.some((p, i) => !p.bytes.equals(general.parts[i]!.bytes))) problems.push('parquet: the fast path and the general path wrote different bytes');
  const ours = (await parquetRows(fast.parts)).sort();
  const jsonRows = engineRows(jsonl).sort();
  if (JSON.stringify(ours) !== JSON.stringify(jsonRows)) problems.push(`parquet: hyparquet reads ${ours.length} rows, the JSONL results have ${jsonRows.length}; first: ${ours.find((r, i) => r !== jsonRows[i]) ?? 'none'}`);
  return problems;
}

const DUCK_TYPES = { integer: 'BIGINT', number: 'DOUBLE', string: 'VARCHAR', boolean: 'BOOLEAN', timestamp: 'TIMESTAMP' } as const;
const sql = (s: string) => `'${s.replaceAll("'", "''")}'`;

/** The good rows as DuckDB types them, normalized as the engine writes JSON (timestamps as ISO text). */
async function duckRows(f: GeneratedFile, path: string): Promise<string[]> {
  const columns = `{${f.columns.map((c) => `${sql(c.name)}: '${DUCK_TYPES[c.type]}'`).join(', ')}}`;
  const options = [
    'header = true',
    'auto_detect = false',
    `delim = ${sql(f.delimiter)}`,
    `quote = ${sql(f.quote)}`,
    `escape = ${sql(f.quote)}`,
    `columns = ${columns}`,
    "nullstr = ['', 'NA']",
    'strict_mode = true',
    `timestampformat = ${sql(f.timeFormat === 'YYYYMMDDHHmm' ? '%Y%m%d%H%M' : '%Y-%m-%d %H:%M:%S')}`,
    // CRLF is found by DuckDB itself: its new_line option does not take '\r\n' in this version.
    ...(f.eol === 'lf' ? ["new_line = '\\n'"] : f.eol === 'cr' ? ["new_line = '\\r'"] : []),
    // Rows whose values do not convert are the engine's rejects; DuckDB drops them the same way.
    ...(f.bad.length ? ['ignore_errors = true'] : []),
  ];
  const reader = await duck.runAndReadAll(`SELECT * FROM read_csv(${sql(path)}, ${options.join(', ')})`);
  return reader.getRowObjectsJS().map((row) => JSON.stringify(row, (_k, v: unknown) => (typeof v === 'bigint' ? Number(v) : v instanceof Date ? v.toISOString() : v)));
}

/** The engine's JSONL results, parsed and written again so number spellings (2.50, 1e3) compare as values. */
const engineRows = (jsonl: string) => jsonl.split('\n').filter(Boolean).map((l) => JSON.stringify(JSON.parse(l)));

async function checkFile(index: number): Promise<string[]> {
  const f = generateFile(SEED, index);
  const folder = join(dir, String(index));
  await mkdir(folder, { recursive: true });
  await writeFile(join(folder, f.name), f.content);
  const pipeline = parseConfig({ pipelines: [f.pipeline] }).pipelines[0]!;
  const problems: string[] = [];
  const general = await runEngine(pipeline, folder, f.name, true);
  const fast = await runEngine(pipeline, folder, f.name, false);
  const own = await readIndependent(createReadStream(join(folder, f.name)), independentFormatOf(pipeline));

  if (general.rowsIn !== own.records) problems.push(`records: the engine read ${general.rowsIn}, csv-parse strict reads ${own.records}`);
  const d = own.starts.firstDifference(general.starts);
  if (d !== undefined) problems.push(`record starts: ${d === 'unlocated' ? 'differ' : `record ${d.index + 1} at line ${d.a} for csv-parse strict, ${d.b} for the engine`}`);
  if (JSON.stringify([...general.malformed].sort((a, b) => a - b)) !== JSON.stringify(own.malformedLines)) problems.push(`malformed lines: engine ${general.malformed.join(',') || 'none'}, csv-parse strict ${own.malformedLines.join(',') || 'none'}`);
  if (general.headerLines + general.lines !== own.physicalLines) problems.push(`lines: the engine accounts for ${general.headerLines} header + ${general.lines}, a count of line breaks finds ${own.physicalLines}`);
  if (general.blankLines !== own.blankLines) problems.push(`blank lines: engine ${general.blankLines}, csv-parse strict ${own.blankLines}`);
  if (own.headerLines + own.recordLines + own.blankLines !== own.physicalLines) problems.push('the independent reader does not account for its own lines');
  if (fast.results !== general.results || fast.rowsIn !== general.rowsIn) problems.push('the fast path and the general path give different results');
  if (index % PARQUET_EVERY === 0) {
    tally.parquet++;
    problems.push(...(await checkParquet(pipeline, folder, f.name, fast.results, f.columns)));
  }
  if (comparableWithDuckDb(f)) {
    tally.comparedWithDuckDb++;
    const theirs = await duckRows(f, join(folder, f.name));
    const ours = engineRows(fast.results);
    if (JSON.stringify(ours) !== JSON.stringify(theirs)) {
      const at = ours.findIndex((row, i) => row !== theirs[i]);
      problems.push(`DuckDB: ${theirs.length} good rows, the engine ${ours.length}; first difference at good row ${at === -1 ? ours.length : at}: engine ${ours[at] ?? 'none'}, DuckDB ${theirs[at === -1 ? ours.length : at] ?? 'none'}`);
    }
  }
  tally.files++;
  if (general.chunks > 1) tally.multiChunk++;
  if (f.bad.length) tally.withBadRows++;
  tally.records += own.records;
  tally.malformed += own.malformedLines.length;
  const what = `${f.type}, ${f.eol}, delimiter ${JSON.stringify(f.delimiter)}, quote ${JSON.stringify(f.quote)}${f.relaxQuotes ? ', relaxQuotes' : ''}, maxLineBytes ${f.maxLineBytes}, bad: ${f.bad.join('/') || 'none'}, chunks of ${f.targetSize} B`;
  return problems.map((p) => `seed ${SEED}, file #${index} (${what}): ${p}\n  content: ${JSON.stringify(f.content)}`);
}

describe(`differential fuzz (seed ${SEED}, ${FILES} files)`, () => {
  for (let from = 0; from < FILES; from += BATCH) {
    const to = Math.min(FILES, from + BATCH);
    it(`agrees with csv-parse strict and DuckDB on files ${from}..${to - 1}`, { timeout: 120_000 }, async () => {
      const problems: string[] = [];
      for (let i = from; i < to; i++) problems.push(...(await checkFile(i)));
      expect(problems).toEqual([]);
    });
  }

  it('generated what it means to test', () => {
    // The comparisons mean something only if chunk boundaries fell inside files, bad rows were
    // there to disagree on, and DuckDB saw most of the good files.
    expect(tally.files).toBe(FILES);
    expect(tally.multiChunk).toBeGreaterThan(FILES * 0.5);
    expect(tally.withBadRows).toBeGreaterThan(FILES * 0.25);
    expect(tally.malformed).toBeGreaterThan(FILES * 0.1);
    expect(tally.comparedWithDuckDb).toBeGreaterThan(FILES * 0.4);
    expect(tally.parquet).toBe(Math.ceil(FILES / PARQUET_EVERY));
  });
});
