// `npm run test:soak`: 200 files of mixed sizes through the local runner at once, with memory
// bounded. Prints throughput and peak RSS; every job must verify. Not part of `npm test`.
import { writeFile, mkdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../shared/config/load.js';
import { FsObjectStore } from '../../shared/local/fs-object-store.js';
import { runLocal } from '../../shared/local/runner.js';
import { verifyJob } from '../../shared/verify/verify.js';
import { FLUX_CONFIG, fluxTsv } from '../fixtures.js';
import { tempDir } from '../helpers.js';

let dir: string;
let cleanup: () => Promise<void>;
beforeAll(async () => ({ dir, cleanup } = await tempDir('sluice-soak-')));
afterAll(() => cleanup());

describe.skipIf(!process.env.SLUICE_SOAK)('soak', () => {
  it('processes 200 files of mixed sizes together with bounded memory, and every job verifies', async () => {
    const files: string[] = [];
    await mkdir(join(dir, 'in'));
    let bytes = 0;
    for (let i = 0; i < 200; i++) {
      // Sizes from a few rows to ~60k rows (~3 MB), skewed small like real drops.
      const rows = i % 50 === 0 ? 60_000 : i % 10 === 0 ? 15_000 : 200 + ((i * 7919) % 3000);
      const file = join(dir, 'in', `site-${i}.tsv`);
      await writeFile(file, fluxTsv(rows).text);
      bytes += (await stat(file)).size;
      files.push(file);
    }
    const config = parseConfig({ pipelines: [{ ...FLUX_CONFIG.pipelines[0], chunking: { targetSize: '1MB' } }] });
    const out = join(dir, 'out');
    const started = performance.now();
    let peak = 0;
    const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage.rss())), 100);
    const outcomes = await runLocal({ config, files, out, workers: 2 });
    clearInterval(sampler);
    const seconds = (performance.now() - started) / 1000;
    peak = Math.max(peak, process.memoryUsage.rss(), process.resourceUsage().maxRSS * 1024);
    const rows = outcomes.reduce((n, o) => n + (o.report?.accounting.rowsIn ?? 0), 0);
    console.log(`soak: ${files.length} files, ${(bytes / 1e6).toFixed(1)} MB, ${rows} rows in ${seconds.toFixed(1)} s = ${(bytes / 1e6 / seconds).toFixed(1)} MB/s; peak RSS ${(peak / 2 ** 20).toFixed(0)} MiB`);
    expect(outcomes.every((o) => o.status === 'SUCCEEDED')).toBe(true);
    let lost = 0;
    let duplicated = 0;
    for (const o of outcomes) {
      const v = await verifyJob(o.jobId, { input: new FsObjectStore(join(dir, 'in')), output: new FsObjectStore(out) });
      expect(v.checks.filter((c) => !c.ok)).toEqual([]);
      lost += v.lost!;
      duplicated += v.duplicated!;
    }
    console.log(`soak: verified ${outcomes.length} jobs: ${lost} lost, ${duplicated} duplicated`);
    expect(peak / 2 ** 20).toBeLessThan(1024);
  }, 1_800_000);
});
