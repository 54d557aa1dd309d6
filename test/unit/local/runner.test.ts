import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig, parseConfig } from '../../../shared/config/load.js';
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

  it('names the missing file', async () => {
    await expect(runLocal({ config: parseConfig(FLUX_CONFIG), files: [join(dir, 'nope.tsv')], out: join(dir, 'o3') })).rejects.toThrow(/nope\.tsv: file not found/);
  });
});
