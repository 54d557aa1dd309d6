import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { reduceJob, reducePartitionsOf } from '../../../shared/jobs/steps.js';
import { FsObjectStore } from '../../../shared/local/fs-object-store.js';
import { planChunks, type JobPlan } from '../../../shared/plan/plan.js';
import { processChunk, type ChunkResult } from '../../../shared/process/chunk.js';
import { layout } from '../../../shared/process/layout.js';
import { finalizeJob } from '../../../shared/report/finalize.js';
import type { JobReport } from '../../../shared/report/job-report.js';
import { pipelineOf, tempDir } from '../../helpers.js';

let dir: string;
let cleanup: () => Promise<void>;
beforeAll(async () => ({ dir, cleanup } = await tempDir()));
afterAll(() => cleanup());

const quiet = { info: () => undefined, warn: () => undefined, error: () => undefined };

// 2,000 ids in 20 chunks, with `id` repeated 37 times and `(id, site)` 11 times, chunks far apart.
const lines = ['id,site'];
// Rows i < 37 repeat the id of row 1999 - i; only the first 11 of those pairs share the site too.
for (let i = 0; i < 2_000; i++) lines.push(`${i < 37 ? 1_999 - i : i},${i < 11 || i >= 1_989 ? 'b' : i >= 1_963 ? 'c' : 'a'}`);
const TEXT = `${lines.join('\n')}\n`;

/** Runs every chunk of the file, with its plan's input size set to `inputBytes` (which sets the partitions); returns what it needs to reduce. */
async function chunksOf(name: string, inputBytes: number) {
  await writeFile(join(dir, `${name}.csv`), TEXT);
  const input = new FsObjectStore(dir);
  const store = new FsObjectStore(join(dir, `out-${name}`));
  const pipeline = pipelineOf({
    format: { type: 'csv' },
    chunking: { targetSize: Math.ceil(TEXT.length / 20) },
    schema: { columns: { id: { type: 'integer', required: true }, site: { type: 'string' } } },
    rules: { dataset: [{ type: 'unique', name: 'by_id', columns: ['id'], severity: 'warn' }, { type: 'rowCount', min: 1 }, { type: 'unique', name: 'by_id_site', columns: ['id', 'site'], severity: 'warn' }] },
  });
  const planned = await planChunks(input, `${name}.csv`, pipeline);
  const plan: JobPlan = { ...planned, input: { ...planned.input, size: inputBytes } };
  const results: ChunkResult[] = [];
  for (const chunk of plan.chunks) results.push(await processChunk(pipeline, plan, chunk, { input, output: store }));
  return { pipeline, plan, results, store };
}

const rule = (report: JobReport, name: string) => report.datasetRules.find((r) => r.name === name)!.detail;

describe('the reduce of unique keys by hash partition', () => {
  it('finds the same duplicates in 7 partitions, reduced one by one in any order, as in one', async () => {
    const many = await chunksOf('many', 3.5 * 2 ** 30);
    expect(many.plan.chunks.length).toBeGreaterThanOrEqual(19);
    const partitions = reducePartitionsOf(many.pipeline, many.plan);
    expect(partitions).toBe(7);
    const found = [];
    for (const p of [6, 0, 3, 1, 5, 2, 4]) found.push(...(await reduceJob(many.pipeline, many.plan, p, { objects: many.store, log: quiet })).rules);
    // Every key lands in exactly one partition: 2,000 keys a rule in all.
    for (const r of [0, 2]) expect(found.filter((x) => x.rule === r).reduce((n, x) => n + x.keys, 0)).toBe(2_000);
    expect(found.filter((x) => x.rule === 0).reduce((n, x) => n + x.duplicates, 0)).toBe(37);
    expect(found.filter((x) => x.rule === 2).reduce((n, x) => n + x.duplicates, 0)).toBe(11);
    // Finalize only sums what the partitions stored.
    const stored = await many.store.get(layout.reduced(many.plan.jobId, 0, 3, 7));
    expect(JSON.parse(stored!.toString())).toMatchObject({ rule: 0, partition: 3, partitions: 7 });
    await finalizeJob(many.pipeline, many.plan, many.results, many.store, '2024-01-01T00:00:00.000Z');
    const report = JSON.parse((await many.store.get(`reports/test/${many.plan.jobId}/report.json`))!.toString()) as JobReport;
    expect(rule(report, 'by_id')).toBe('37 duplicate key(s) over id');
    expect(rule(report, 'by_id_site')).toBe('11 duplicate key(s) over id, site');

    const one = await chunksOf('one', TEXT.length);
    expect(reducePartitionsOf(one.pipeline, one.plan)).toBe(1);
    // No reduce stage ran: finalize reduces the one partition itself.
    await finalizeJob(one.pipeline, one.plan, one.results, one.store, '2024-01-01T00:00:00.000Z');
    const alone = JSON.parse((await one.store.get(`reports/test/${one.plan.jobId}/report.json`))!.toString()) as JobReport;
    expect([rule(alone, 'by_id'), rule(alone, 'by_id_site')]).toEqual([rule(report, 'by_id'), rule(report, 'by_id_site')]);
  });

  it('refuses a partition the job does not have, and a pipeline without unique rules has none', async () => {
    const many = await chunksOf('bounds', 3.5 * 2 ** 30);
    await expect(reduceJob(many.pipeline, many.plan, 7, { objects: many.store, log: quiet })).rejects.toThrow('no reduce partition 7 in a job of 3758096384 bytes (7 partition(s))');
    await expect(reduceJob(many.pipeline, many.plan, -1, { objects: many.store, log: quiet })).rejects.toThrow(/no reduce partition -1/);
    expect(reducePartitionsOf({ ...many.pipeline, rules: { ...many.pipeline.rules, dataset: [] } }, many.plan)).toBe(0);
  });
});
