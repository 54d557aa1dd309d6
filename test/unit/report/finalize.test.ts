import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FsObjectStore } from '../../../shared/local/fs-object-store.js';
import { planChunks } from '../../../shared/plan/plan.js';
import { processChunk, type ChunkResult } from '../../../shared/process/chunk.js';
import { finalizeJob, FinishedChunks, type SuccessManifest } from '../../../shared/report/finalize.js';
import type { JobReport } from '../../../shared/report/job-report.js';
import { pipelineOf, tempDir } from '../../helpers.js';

let dir: string;
let cleanup: () => Promise<void>;
beforeAll(async () => ({ dir, cleanup } = await tempDir()));
afterAll(() => cleanup());

let runs = 0;
const NOW = () => new Date('2024-01-01T00:00:00Z');

/** Plans and runs every chunk of a CSV in this thread, then finalizes the job; returns what finalize wrote. */
async function job(text: string, partial: Record<string, unknown>) {
  const name = `in-${++runs}.csv`;
  await writeFile(join(dir, name), text);
  const input = new FsObjectStore(dir);
  const store = new FsObjectStore(join(dir, `out-${runs}`));
  const pipeline = pipelineOf({ format: { type: 'csv' }, qualityGate: { maxRejectRatio: 0.5 }, ...partial });
  const plan = await planChunks(input, name, pipeline);
  const results: ChunkResult[] = [];
  for (const chunk of plan.chunks) results.push(await processChunk(pipeline, plan, chunk, { input, output: store }));
  const finalize = () => finalizeJob(pipeline, plan, [...results].reverse(), store, '2023-12-31T23:59:00.000Z', { now: NOW });
  const result = await finalize();
  const json = async (key: string) => JSON.parse((await store.get(key))!.toString()) as unknown;
  const text_ = async (key: string) => (await store.get(key))?.toString();
  return { pipeline, plan, results, store, result, finalize, json, text: text_, report: (await json(`reports/test/${plan.jobId}/report.json`)) as JobReport };
}

const columns = { id: { type: 'integer', required: true }, v: { type: 'string' } };

describe('finalizeJob', () => {
  it('reports a passing job, lists its parts in _SUCCESS and publishes rejects at their file lines', async () => {
    const { result, report, plan, json, text } = await job('id,v\n1,a\n2,b\nx,c\n', { schema: { columns } });
    const jobId = plan.jobId;
    expect(result.successKey).toBe(`results/test/${jobId}/_SUCCESS`);
    expect(result.reportKey).toBe(`reports/test/${jobId}/report.html`);
    expect(report).toMatchObject({
      jobId,
      pipeline: 'test',
      status: 'SUCCEEDED',
      startedAt: '2023-12-31T23:59:00.000Z',
      finishedAt: '2024-01-01T00:00:00.000Z',
      plan: { chunks: 1 },
      accounting: { rowsIn: 3, rowsOut: 2, rowsRejected: 1, rowsFiltered: 0, balanced: true },
      rejectRatio: 1 / 3,
      qualityGate: { maxRejectRatio: 0.5, requireOutput: true, passed: true },
      datasetRules: [],
      columns: [
        { name: 'id', type: 'integer', count: 2, nulls: 0, min: '1', max: '2', distinct: 2 },
        { name: 'v', type: 'string', count: 2, nulls: 0, min: 'a', max: 'b', distinct: 2 },
      ],
      outputs: { results: 1, rejects: 1, successKey: `results/test/${jobId}/_SUCCESS` },
    });
    expect(report.failure).toBeUndefined();
    expect(report.stats.rules.type!.samples).toEqual([{ line: 4, column: 'id', value: 'x', message: '"x" is not an integer' }]);
    const manifest = (await json(`results/test/${jobId}/_SUCCESS`)) as SuccessManifest;
    expect(manifest).toMatchObject({ jobId, pipeline: 'test', rows: { in: 3, out: 2, rejected: 1, filtered: 0 }, report: `reports/test/${jobId}/report.json` });
    expect(manifest.parts.map((p) => p.rows)).toEqual([2]);
    expect(manifest.rejects).toEqual([{ key: `rejects/test/${jobId}/part-00000.jsonl`, rows: 1, bytes: expect.any(Number), sha256: expect.stringMatching(/^[0-9a-f]{64}$/) }]);
    const rejects = (await text(`rejects/test/${jobId}/part-00000.jsonl`))!;
    expect(rejects.startsWith('{"line":4,')).toBe(true);
    expect(rejects.endsWith('\n')).toBe(true);
    expect(Buffer.byteLength(rejects)).toBe(manifest.rejects[0]!.bytes);
    expect(await text(`reports/test/${jobId}/report.html`)).toContain('<html');
  });

  it('fails the quality gate above the reject ratio and writes no _SUCCESS', async () => {
    const { result, report, plan, text } = await job('id,v\n1,a\n2,b\nx,c\n', { schema: { columns }, qualityGate: { maxRejectRatio: 0.1 } });
    expect(result.successKey).toBeUndefined();
    expect(report).toMatchObject({ status: 'FAILED', failure: 'quality gate: reject ratio 33.33% is above 10.00%', qualityGate: { maxRejectRatio: 0.1, passed: false }, outputs: { results: 1, rejects: 1 } });
    expect(report.outputs.successKey).toBeUndefined();
    expect(await text(`results/test/${plan.jobId}/_SUCCESS`)).toBeUndefined();
  });

  it('passes at exactly the reject ratio allowed', async () => {
    const { report } = await job('id,v\n1,a\nx,c\n', { schema: { columns }, qualityGate: { maxRejectRatio: 0.5 } });
    expect(report).toMatchObject({ status: 'SUCCEEDED', rejectRatio: 0.5, qualityGate: { passed: true } });
  });

  it('fails a job with rows in and none out, whatever the ratio allows', async () => {
    const rejected = await job('id,v\nx,a\ny,b\n', { schema: { columns }, qualityGate: { maxRejectRatio: 1 } });
    expect(rejected.report).toMatchObject({ status: 'FAILED', failure: 'quality gate: 2 rows in and none out (2 rejected, 0 filtered)', qualityGate: { passed: false } });
    const filtered = await job('id,v\n1,a\n', { schema: { columns }, transform: { filter: 'id > 5' }, qualityGate: { maxRejectRatio: 1 } });
    expect(filtered.report.failure).toBe('quality gate: 1 rows in and none out (0 rejected, 1 filtered)');
    const empty = await job('id,v\n', { schema: { columns } });
    expect(empty.report).toMatchObject({ status: 'SUCCEEDED', rejectRatio: 0, accounting: { rowsIn: 0, rowsOut: 0 }, outputs: { rejects: 0 } });
  });

  it('evaluates unique, rowCount and completeness rules, and fails the job only on error severity', async () => {
    const text = 'id,v,t\n1,a,2019-01-01T00:00:00Z\n1,b,2019-01-01T00:30:00Z\n2,c,2019-01-01T01:30:00Z\n';
    const cols = { ...columns, t: { type: 'timestamp' } };
    const dataset = [
      { type: 'unique', columns: ['id'] },
      { type: 'rowCount', name: 'enough', min: 5, severity: 'warn' },
      { type: 'rowCount', max: 3 },
      { type: 'completeness', column: 't', interval: '30m', min: 0.5 },
    ];
    const { report } = await job(text, { schema: { columns: cols }, rules: { dataset } });
    expect(report.datasetRules.map((r) => [r.name, r.type, r.severity, r.passed, r.detail])).toEqual([
      ['unique[0]', 'unique', 'error', false, '1 duplicate key(s) over id'],
      ['enough', 'rowCount', 'warn', false, '3 output rows (allowed 5..∞)'],
      ['rowCount[2]', 'rowCount', 'error', true, '3 output rows (allowed 0..3)'],
      ['completeness[3]', 'completeness', 'error', true, '3 of 4 expected 30m slots (75.00%, min 50%); missing 2019-01-01T01:00:00.000Z (1 slot)'],
    ]);
    expect(report.failure).toBe('dataset rule failed: unique[0] (1 duplicate key(s) over id)');
    const distinct = await job('id,v\n1,a\n2,b\n', { schema: { columns }, rules: { dataset: [{ type: 'unique', columns: ['id', 'v'] }, { type: 'rowCount', min: 2, max: 2 }] } });
    expect(distinct.report.datasetRules.map((r) => [r.passed, r.detail])).toEqual([[true, '0 duplicate key(s) over id, v'], [true, '2 output rows (allowed 2..2)']]);
    expect(distinct.report.status).toBe('SUCCEEDED');
  });

  it('writes report.json indented, with each rule\'s coverage on one line, and reads back as the report, whatever the values hold', async () => {
    // A value that is the mark report.json puts in the coverage's place while it indents the rest.
    const text = 'id,v,t\n1,\u0000coverage\u0000,2019-01-01T00:00:00Z\n2,"""\u0000coverage\u0000""",2019-01-01T01:00:00Z\n3,a,2019-01-01T00:00:00Z\n4,b,2019-01-01T01:00:00Z\n';
    const cols = { ...columns, t: { type: 'timestamp' } };
    const dataset = [{ type: 'completeness', column: 't', interval: '30m', min: 0 }, { type: 'completeness', column: 't', interval: '1h', min: 0 }];
    const { report, result, store, plan } = await job(text, { schema: { columns: cols }, rules: { dataset } });
    expect(report).toEqual(JSON.parse(JSON.stringify(result.report)));
    // Records that hold it are rejected for their NUL bytes, and no sample carries their text.
    expect(report.stats.rules.malformed).toEqual({ count: 2, samples: [{ line: 2, message: 'NUL byte in record' }, { line: 3, message: 'NUL byte in record' }] });
    expect(report.stats.coverage.map((c) => c.ranges)).toEqual([{ '[]': [859056, 859057, 859058, 859059] }, { '[]': [429528, 429530] }]);
    const file = (await store.get(`reports/test/${plan.jobId}/report.json`))!.toString();
    expect(file).toContain('\n  "stats": {\n    "chunks": 1,');
    expect(file).toContain('\n    "coverage": [\n      {"rule":0,"column":"t","groupBy":[],"intervalMs":1800000,"ranges":{"[]":[859056,859057,859058,859059]},"counted":{}},\n      {"rule":1,');
    expect(file).toMatch(/"counted":\{\}\}\n {4}\],\n {4}"rowsPerChunk"/);
    expect(file.endsWith('}\n')).toBe(true);
  });

  it('shows times as ISO in the column summary, and derived columns as derived', async () => {
    const { report } = await job('t,d\n2019-01-01T00:30:00Z,2019-01-02\n2019-01-01T00:00:00Z,\n', {
      schema: { columns: { t: { type: 'timestamp' }, d: { type: 'date' } } },
      transform: { derive: { n: '1 + 1' } },
    });
    expect(report.columns).toEqual([
      { name: 't', type: 'timestamp', count: 2, nulls: 0, min: '2019-01-01T00:00:00.000Z', max: '2019-01-01T00:30:00.000Z', distinct: 2 },
      { name: 'd', type: 'date', count: 2, nulls: 1, min: '2019-01-02T00:00:00.000Z', max: '2019-01-02T00:00:00.000Z', distinct: 1 },
      { name: 'n', type: 'derived', count: 2, nulls: 0, min: '2', max: '2', distinct: 1 },
    ]);
  });

  it('numbers rejects and samples by file line across chunks, and writes the same objects when run again', async () => {
    const rows = Array.from({ length: 40 }, (_, i) => (i % 10 === 3 ? `bad${i},x` : `${i},x`));
    const first = await job(`id,v\n${rows.join('\n')}\n`, { schema: { columns }, chunking: { targetSize: 64 } });
    expect(first.plan.chunks.length).toBeGreaterThan(2);
    expect(first.report.accounting).toEqual({ rowsIn: 40, rowsOut: 36, rowsRejected: 4, rowsFiltered: 0, balanced: true, blankLines: 0, skippedLines: 0 });
    expect(first.report.stats.rules.type!.samples.map((s) => [s.line, s.value])).toEqual([[5, 'bad3'], [15, 'bad13'], [25, 'bad23'], [35, 'bad33']]);
    const manifest = (await first.json(first.result.successKey!)) as SuccessManifest;
    const lines: number[] = [];
    for (const r of manifest.rejects) for (const l of (await first.text(r.key))!.trim().split('\n')) lines.push((JSON.parse(l) as { line: number }).line);
    expect(lines).toEqual([5, 15, 25, 35]);
    // Chunks without rejects publish none.
    expect(manifest.rejects.length).toBeLessThan(first.plan.chunks.length);
    expect(manifest.rejects.map((r) => r.rows).reduce((a, b) => a + b)).toBe(4);
    await first.finalize();
    expect(await first.json(first.result.successKey!)).toEqual(manifest);
  });

  it('gives the same report when chunks are added to FinishedChunks in any order', async () => {
    const rows = Array.from({ length: 30 }, (_, i) => `${i % 7},${i % 3 ? 'x' : ''}`);
    const { pipeline, plan, results, store, report } = await job(`id,v\n${rows.join('\n')}\n`, { schema: { columns }, chunking: { targetSize: 40 } });
    const finished = new FinishedChunks();
    for (const r of [...results].reverse()) finished.add(r);
    expect(results.every((r) => finished.has(r.index))).toBe(true);
    expect(finished.has(results.length)).toBe(false);
    const again = await finished.finalize(pipeline, plan, store, '2023-12-31T23:59:00.000Z');
    // The job's own wall time runs to finalize's clock; the chunks' records are the same.
    expect({ ...again.report, finishedAt: '', resources: undefined }).toEqual({ ...report, finishedAt: '', resources: undefined });
    expect(again.report.resources!.chunks).toEqual(report.resources!.chunks);
  });

  it('reports an accounting that does not balance', async () => {
    const { pipeline, plan, results, store } = await job('id,v\n1,a\n', { schema: { columns } });
    const broken = results.map((r) => ({ ...r, stats: { ...r.stats, rowsIn: r.stats.rowsIn + 1 } }));
    const { report, successKey } = await finalizeJob(pipeline, plan, broken, store, '2023-12-31T23:59:00.000Z', { now: NOW });
    expect(successKey).toBeUndefined();
    expect(report).toMatchObject({ status: 'FAILED', failure: 'accounting does not balance: 2 in ≠ 1 out + 0 rejected + 0 filtered', accounting: { balanced: false } });
  });
});
