import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { loadConfig, parseConfig } from '../../../shared/config/load.js';
import { FileStateStore } from '../../../shared/local/file-state-store.js';
import { FsObjectStore } from '../../../shared/local/fs-object-store.js';
import runTask from '../../../shared/local/worker.js';
import { planChunks } from '../../../shared/plan/plan.js';
import { runLocal } from '../../../shared/local/runner.js';
import type { SuccessManifest } from '../../../shared/report/finalize.js';
import type { JobReport } from '../../../shared/report/job-report.js';
import { FLUX_CONFIG, fluxTsv } from '../../fixtures.js';
import { tempDir } from '../../helpers.js';
import { createHash } from 'node:crypto';

let dir: string;
let cleanup: () => Promise<void>;
beforeAll(async () => ({ dir, cleanup } = await tempDir()));
afterAll(() => cleanup());

describe('runLocal', () => {
  it('writes results, rejects with absolute lines, a balanced report and _SUCCESS with checksums', async () => {
    const { text, bad } = fluxTsv(3000);
    const file = join(dir, 'US-Ha1_2019.tsv');
    await writeFile(file, text);
    const out = join(dir, 'out');
    const [job] = await runLocal({ config: parseConfig(FLUX_CONFIG), files: [file], out, workers: 2 });
    expect(job!.status).toBe('SUCCEEDED');
    const report = JSON.parse(await readFile(join(out, 'reports/flux', job!.jobId, 'report.json'), 'utf8')) as JobReport;
    expect(report.plan.chunks).toBeGreaterThan(4);
    expect(report.accounting).toEqual({ rowsIn: 3000, rowsOut: 3000 - bad, rowsRejected: bad, rowsFiltered: 0, balanced: true, blankLines: 0, skippedLines: 0 });

    const success = JSON.parse(await readFile(join(out, 'results/flux', job!.jobId, '_SUCCESS'), 'utf8')) as SuccessManifest;
    expect(success.parts).toHaveLength(report.plan.chunks);
    let rows = 0;
    for (const part of success.parts) {
      const body = await readFile(join(out, part.key));
      expect(createHash('sha256').update(body).digest('hex')).toBe(part.sha256);
      expect(body.toString().split('\n').filter(Boolean)).toHaveLength(part.rows);
      rows += part.rows;
    }
    expect(rows).toBe(3000 - bad);

    // Every reject points at the right physical line of the input.
    const inputLines = text.split('\n');
    let rejects = 0;
    for (const part of success.rejects) {
      for (const l of (await readFile(join(out, part.key), 'utf8')).split('\n').filter(Boolean)) {
        const r = JSON.parse(l) as { line: number; raw: string; errors: { rule: string }[] };
        expect(inputLines[r.line - 1]).toBe(r.raw);
        expect(r.errors.length).toBeGreaterThan(0);
        rejects++;
      }
    }
    expect(rejects).toBe(bad);
    // The report's samples name lines of the file too, not of their chunk.
    const samples = Object.values(report.stats.rules).flatMap((t) => t.samples);
    expect(samples.length).toBeGreaterThan(3);
    for (const sample of samples) if (sample.column) expect(inputLines[sample.line - 1]!.split('\t')).toContain(sample.value);
    expect(report.datasetRules.map((d) => [d.type, d.passed])).toEqual([
      ['unique', true],
      ['completeness', true],
    ]);
    const html = await readFile(join(out, 'reports/flux', job!.jobId, 'report.html'), 'utf8');
    expect(html).toContain('<svg');
  });

  it('reports each column\'s distinct estimate within HyperLogLog error and never above its non-null count', async () => {
    // The bundled sample: its TIMESTAMP_START estimate comes out above the row count before clamping.
    const [job] = await runLocal({ config: await loadConfig('examples/flux/pipeline.yaml'), files: ['examples/flux/data/US-Ha1_2019.tsv'], out: join(dir, 'sample'), workers: 1, force: true });
    const columns = Object.fromEntries(job!.report!.columns.map((c) => [c.name, c]));
    for (const c of Object.values(columns)) expect(c.distinct, c.name).toBeLessThanOrEqual(c.count - c.nulls);
    expect(columns.TIMESTAMP_START!.distinct).toBeGreaterThan((columns.TIMESTAMP_START!.count - columns.TIMESTAMP_START!.nulls) * 0.97);
    expect(columns.SITE_ID!.distinct).toBe(1);
  });

  it('fails the job on the quality gate and writes no _SUCCESS', async () => {
    const { text } = fluxTsv(500, 5);
    const file = join(dir, 'bad.tsv');
    await writeFile(file, text);
    const out = join(dir, 'out-gate');
    const [job] = await runLocal({ config: parseConfig(FLUX_CONFIG), files: [file], out, workers: 1 });
    expect(job!.status).toBe('FAILED');
    expect(job!.error).toMatch(/quality gate: reject ratio 20\.00% is above 5\.00%/);
    await expect(readFile(join(out, 'results/flux', job!.jobId, '_SUCCESS'))).rejects.toThrow(/ENOENT/);
  });

  it('keeps the job flow\'s records: chunks DONE with their results, a chunk that fails FAILED with its cause, the job FAILED', async () => {
    const file = join(dir, 'records.csv');
    await writeFile(file, 'a,b\n1,x\n2,y\nq,z\n');
    const out = join(dir, 'records');
    const config = parseConfig({ pipelines: [{ name: 'r', format: { type: 'csv' }, schema: { columns: { a: { type: 'integer' }, b: {} } }, onBadRow: 'fail-chunk', retry: { maxAttempts: 2 } }] });
    const [job] = await runLocal({ config, files: [file], out, workers: 1 });
    expect(job!.status).toBe('FAILED');
    expect(job!.error).toMatch(/^1 of 1 chunk\(s\) failed; first: InputError: .*line 4: a: "q" is not an integer/);
    const state = new FileStateStore(join(out, 'state'));
    // An InputError is not retried: one attempt, recorded by the worker as Step Functions would name it.
    expect(await state.getChunk(job!.jobId, 0)).toMatchObject({ status: 'FAILED', attempts: 1, error: { name: 'Sluice.InputError', message: expect.stringContaining('"q" is not an integer') } });
    expect(await state.getJob(job!.jobId)).toMatchObject({ status: 'FAILED', error: { name: 'InputError' } });

    const fixed = join(dir, 'records-fixed.csv');
    await writeFile(fixed, 'a,b\n1,x\n2,y\n');
    const [ok] = await runLocal({ config, files: [fixed], out, workers: 1 });
    expect(await state.getChunk(ok!.jobId, 0)).toMatchObject({ status: 'DONE', attempts: 1, result: { stats: { rowsIn: 2, rowsOut: 2 } } });
    expect(await state.getJob(ok!.jobId)).toMatchObject({ status: 'SUCCEEDED', reportKey: `reports/r/${ok!.jobId}/report.html` });
  });

  it('stops the run, in the worker, when a chunk record cannot be written, a FAILED one included', async () => {
    const file = 'unwritable.csv';
    await writeFile(join(dir, file), 'a,b\n1,x\nq,y\n');
    for (const onBadRow of ['fail-chunk', 'quarantine'] as const) {
      const pipeline = parseConfig({ pipelines: [{ name: 'u', format: { type: 'csv' }, schema: { columns: { a: { type: 'integer' }, b: {} } }, onBadRow }] }).pipelines[0]!;
      const plan = await planChunks(new FsObjectStore(dir), file, pipeline);
      const broken = vi.spyOn(FileStateStore.prototype, 'putChunk').mockRejectedValue(Object.assign(new Error('EIO: i/o error, write'), { code: 'EIO' }));
      try {
        const reply = await runTask({ pipeline, plan, chunk: plan.chunks[0]!, inputRoot: dir, outputRoot: join(dir, `unwritable-${onBadRow}`), stateRoot: join(dir, `unwritable-${onBadRow}`, 'state') });
        // fail-chunk: the chunk fails and its FAILED record cannot be written; quarantine: its DONE record cannot.
        expect(reply, onBadRow).toEqual({ ok: false, fatal: { name: 'Error', message: 'EIO: i/o error, write', code: 'EIO' } });
      } finally {
        broken.mockRestore();
      }
    }
  });

  it('only schedules: planning, chunks, finalize and fail are the job flow\'s (shared/jobs)', async () => {
    const own = (f: string) => readFile(new URL(`../../../shared/local/${f}`, import.meta.url), 'utf8');
    for (const source of [await own('runner.ts'), await own('worker.ts')]) {
      // Types may be named; code from the engine's planner, row, finalize or manifests may not be called.
      const code = source.split('\n').filter((l) => l.startsWith('import {'));
      for (const engine of ['../plan/plan.js', '../process/row.js', '../process/chunk.js', '../report/finalize.js', '../plan/manifest.js']) expect(code.filter((l) => l.endsWith(`from '${engine}';`))).toEqual([]);
      expect(source).not.toMatch(/\b(planChunks|processChunk|finalizeJob|FinishedChunks|writeJobManifest)\b/);
    }
  });

  it('names the missing file', async () => {
    await expect(runLocal({ config: parseConfig(FLUX_CONFIG), files: [join(dir, 'nope.tsv')], out: join(dir, 'o3') })).rejects.toThrow(/nope\.tsv: file not found/);
  });
});
