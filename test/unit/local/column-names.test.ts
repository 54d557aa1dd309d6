import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parquetMetadata, parquetRead } from 'hyparquet';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../../shared/config/load.js';
import { runLocal } from '../../../shared/local/runner.js';
import type { JobReport } from '../../../shared/report/job-report.js';
import { tempDir } from '../../helpers.js';

let dir: string;
let cleanup: () => Promise<void>;
beforeAll(async () => ({ dir, cleanup } = await tempDir()));
afterAll(() => cleanup());

// Names of Object.prototype members: a plain object answers for them even when it has no such key.
const HEADER = 'constructor,__proto__,toString,valueOf,hasOwnProperty';
const ROWS = 300;
const csv = () => {
  const lines = [HEADER];
  for (let i = 1; i <= ROWS; i++) lines.push(`${i},name-${i % 7},${(i / 4).toFixed(2)},${i % 2 === 0},2019-01-${String((i % 28) + 1).padStart(2, '0')}`);
  return `${lines.join('\n')}\n`;
};

// JSON, as a document parsed from YAML or JSON holds "__proto__" as an own key (a literal would set the prototype).
const config = (format: string) =>
  parseConfig(
    JSON.parse(`{
      "pipelines": [{
        "name": "names",
        "format": { "type": "csv" },
        "chunking": { "targetSize": "2KB" },
        "schema": { "columns": {
          "constructor": { "type": "integer", "required": true },
          "__proto__": { "type": "string" },
          "toString": { "type": "number", "min": 0 },
          "valueOf": { "type": "boolean" },
          "hasOwnProperty": { "type": "date" }
        } },
        "rules": { "row": [{ "name": "positive", "expr": "constructor > 0 && toString >= 0.0" }] },
        "transform": {
          "derive": { "isPrototypeOf": "constructor * 2", "toLocaleString": "string(constructor)" },
          "cast": { "isPrototypeOf": "string" },
          "rename": { "valueOf": "flag" }
        },
        "output": { "format": "${format}" }
      }]
    }`),
  );

const OUTPUT_NAMES = ['constructor', '__proto__', 'toString', 'flag', 'hasOwnProperty', 'isPrototypeOf', 'toLocaleString'];

// Distinct counts are HyperLogLog estimates (299 of 300). A renamed or derived column is typed "derived" in the report.
const COLUMNS = [
  { name: 'constructor', type: 'integer', count: 300, nulls: 0, min: '1', max: '300', distinct: 299 },
  { name: '__proto__', type: 'string', count: 300, nulls: 0, min: 'name-0', max: 'name-6', distinct: 7 },
  { name: 'toString', type: 'number', count: 300, nulls: 0, min: '0.25', max: '75', distinct: 300 },
  { name: 'flag', type: 'derived', count: 300, nulls: 0, min: null, max: null, distinct: 2 },
  { name: 'hasOwnProperty', type: 'date', count: 300, nulls: 0, min: '2019-01-01T00:00:00.000Z', max: '2019-01-28T00:00:00.000Z', distinct: 28 },
  { name: 'isPrototypeOf', type: 'derived', count: 300, nulls: 0, min: '10', max: '98', distinct: 300 },
  { name: 'toLocaleString', type: 'derived', count: 300, nulls: 0, min: '1', max: '99', distinct: 300 },
];

async function partsOf(out: string, jobId: string): Promise<string[]> {
  const folder = join(out, 'results/names', jobId);
  return (await readdir(folder)).filter((f) => f.startsWith('part-')).sort().map((f) => join(folder, f));
}

describe('columns named like Object.prototype members', () => {
  it('work as schema, derived, cast and renamed columns, in JSONL, the stats merge and the report, on a rerun too', async () => {
    const file = join(dir, 'names.csv');
    await writeFile(file, csv());
    const out = join(dir, 'out-jsonl');
    const [first] = await runLocal({ config: config('jsonl'), files: [file], out, workers: 2 });
    expect(first!.status).toBe('SUCCEEDED');
    expect(first!.report!.plan.chunks).toBeGreaterThan(3);
    expect(first!.report!.columns).toEqual(COLUMNS);

    // The rerun takes every chunk from its checkpoint and merges their stats again.
    const events: string[] = [];
    const [again] = await runLocal({ config: config('jsonl'), files: [file], out, workers: 2, onEvent: (e) => e.type === 'chunk' && events.push(e.skipped ? 'skipped' : 'ran') });
    expect(again!.jobId).toBe(first!.jobId);
    expect(again!.status).toBe('SUCCEEDED');
    expect(new Set(events)).toEqual(new Set(['skipped']));
    expect(again!.report!.columns).toEqual(COLUMNS);
    expect(again!.report!.accounting).toEqual({ rowsIn: 300, rowsOut: 300, rowsRejected: 0, rowsFiltered: 0, balanced: true, blankLines: 0, skippedLines: 0 });

    const lines = (await Promise.all((await partsOf(out, first!.jobId)).map((p) => readFile(p, 'utf8')))).join('').trim().split('\n');
    expect(lines).toHaveLength(300);
    expect(lines[0]).toBe('{"constructor":1,"__proto__":"name-1","toString":0.25,"flag":false,"hasOwnProperty":"2019-01-02","isPrototypeOf":"2","toLocaleString":"1"}');
    expect(lines[299]).toBe('{"constructor":300,"__proto__":"name-6","toString":75.00,"flag":true,"hasOwnProperty":"2019-01-21","isPrototypeOf":"600","toLocaleString":"300"}');
    const parsed = JSON.parse(lines[1]!) as Record<string, unknown>;
    expect(Object.keys(parsed)).toEqual(OUTPUT_NAMES);
    expect(Object.hasOwn(parsed, '__proto__')).toBe(true);

    const report = JSON.parse(await readFile(join(out, 'reports/names', first!.jobId, 'report.json'), 'utf8')) as JobReport;
    expect(Object.keys(report.stats.columns)).toEqual(OUTPUT_NAMES);
    expect(report.stats.columns['__proto__']).toMatchObject({ count: 300, nulls: 0, min: 'name-0', max: 'name-6' });
    expect(report.stats.columns['constructor']).toMatchObject({ count: 300, nulls: 0, min: 1, max: 300 });
    const html = await readFile(join(out, 'reports/names', first!.jobId, 'report.html'), 'utf8');
    for (const name of OUTPUT_NAMES) expect(html).toContain(`<td>${name}</td>`);
  });

  it('name Parquet columns and carry their values', async () => {
    const file = join(dir, 'names-pq.csv');
    await writeFile(file, csv());
    const out = join(dir, 'out-parquet');
    const [job] = await runLocal({ config: config('parquet'), files: [file], out, workers: 2 });
    expect(job!.status).toBe('SUCCEEDED');
    const [part] = await partsOf(out, job!.jobId);
    const body = await readFile(part!);
    const buffer = body.buffer.slice(body.byteOffset, body.byteOffset + body.byteLength) as ArrayBuffer;
    expect(parquetMetadata(buffer).schema.slice(1).map((e) => [e.name, e.type])).toEqual([
      ['constructor', 'INT64'],
      ['__proto__', 'BYTE_ARRAY'],
      ['toString', 'DOUBLE'],
      ['flag', 'BOOLEAN'],
      ['hasOwnProperty', 'INT32'],
      ['isPrototypeOf', 'BYTE_ARRAY'],
      ['toLocaleString', 'BYTE_ARRAY'],
    ]);
    // Rows as arrays: an object reader would itself trip over a "__proto__" key.
    let rows: unknown[][] = [];
    await parquetRead({ file: buffer, onComplete: (data) => (rows = data as unknown[][]) });
    expect(rows[0]).toEqual([1n, 'name-1', 0.25, false, new Date(Date.UTC(2019, 0, 2)), '2', '1']);
  });
});

describe('rules named like Object.prototype members', () => {
  it('are tallied in the report like any other rule', async () => {
    const file = join(dir, 'rules.csv');
    await writeFile(file, 'a\n1\n-2\n3\n-4\n');
    const pipeline = JSON.parse(`{
      "name": "rules", "qualityGate": { "maxRejectRatio": 1 },
      "schema": { "columns": { "a": { "type": "integer", "required": true } } },
      "rules": { "row": [
        { "name": "constructor", "expr": "a > 0" },
        { "name": "__proto__", "expr": "a < 3", "severity": "warn" }
      ] }
    }`);
    const [outcome] = await runLocal({ config: parseConfig({ pipelines: [pipeline] }), files: [file], out: join(dir, 'rules-out'), workers: 1 });
    const stats = outcome!.report!.stats;
    expect(outcome!.report!.accounting).toMatchObject({ rowsIn: 4, rowsOut: 2, rowsRejected: 2 });
    expect(Object.getOwnPropertyDescriptor(stats.rules, 'constructor')?.value).toMatchObject({ count: 2 });
    expect(JSON.parse(JSON.stringify(stats.warnings))).toEqual(JSON.parse('{"__proto__":1}'));
  });
});
