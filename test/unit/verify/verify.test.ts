import { cp, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../../shared/config/load.js';
import { FsObjectStore } from '../../../shared/local/fs-object-store.js';
import { runLocal } from '../../../shared/local/runner.js';
import type { SuccessManifest } from '../../../shared/report/finalize.js';
import { verifyJob } from '../../../shared/verify/verify.js';
import { FLUX_CONFIG, fluxTsv } from '../../fixtures.js';
import { tempDir } from '../../helpers.js';

// The checker must fail when a job is unsound: each case damages a copy of one sound job.
let dir: string;
let cleanup: () => Promise<void>;
let jobId: string;
let success: SuccessManifest;
let base: string;

/** One sound job's output folder, to be copied and damaged. */
async function soundJob(name: string, pipeline: Record<string, unknown>) {
  const out = join(dir, name);
  const [job] = await runLocal({ config: parseConfig({ pipelines: [pipeline] }), files: [join(dir, 'flux.tsv')], out, workers: 1 });
  const manifest = JSON.parse(await readFile(join(out, 'results/flux', job!.jobId, '_SUCCESS'), 'utf8')) as SuccessManifest;
  return { jobId: job!.jobId, success: manifest, base: out };
}

beforeAll(async () => {
  ({ dir, cleanup } = await tempDir());
  await writeFile(join(dir, 'flux.tsv'), fluxTsv(3000).text);
  ({ jobId, success, base } = await soundJob('base', FLUX_CONFIG.pipelines[0]!));
});
afterAll(() => cleanup());

let copies = 0;
async function damaged(damage: (out: string) => Promise<void>, job = { jobId, base }) {
  const out = join(dir, `copy-${copies++}`);
  await cp(job.base, out, { recursive: true });
  await damage(out);
  const v = await verifyJob(job.jobId, { input: new FsObjectStore(dir), output: new FsObjectStore(out) });
  return { ...v, failed: v.checks.filter((c) => !c.ok).map((c) => c.name) };
}

const lines = async (file: string) => (await readFile(file, 'utf8')).split('\n').filter(Boolean);

describe('sluice verify catches an unsound job', () => {
  it('passes the sound job', async () => {
    const v = await damaged(async () => undefined);
    expect(success.parts.length).toBeGreaterThan(1);
    expect([v.ok, v.lost, v.duplicated, v.failed]).toEqual([true, 0, 0, []]);
  });

  it('counts a result record that went missing', async () => {
    const v = await damaged(async (out) => {
      const part = join(out, success.parts[1]!.key);
      await writeFile(part, `${(await lines(part)).slice(1).join('\n')}\n`);
    });
    expect([v.ok, v.lost, v.duplicated]).toEqual([false, 1, 0]);
    expect(v.failed).toEqual(['checksums', 'results by content']);
  });

  it('counts a reject that went missing', async () => {
    const v = await damaged(async (out) => {
      const part = join(out, success.rejects[0]!.key);
      await writeFile(part, `${(await lines(part)).slice(0, -1).join('\n')}\n`);
    });
    expect([v.ok, v.lost, v.duplicated]).toEqual([false, 1, 0]);
    expect(v.failed).toEqual(['checksums', 'rejects by content']);
  });

  it('counts a part written twice under another key and listed in _SUCCESS', async () => {
    const twin = success.parts[0]!;
    const v = await damaged(async (out) => {
      const key = twin.key.replace('part-00000', 'part-99999');
      await cp(join(out, twin.key), join(out, key));
      const file = join(out, 'results/flux', jobId, '_SUCCESS');
      await writeFile(file, JSON.stringify({ ...success, parts: [...success.parts, { ...twin, key }] }));
    });
    expect([v.ok, v.lost, v.duplicated]).toEqual([false, 0, twin.rows]);
    expect(v.failed).toEqual(['results by count', 'results by content']);
  });

  it('flags a part that exists but is not listed, and one listed that does not exist', async () => {
    const v = await damaged(async (out) => {
      await cp(join(out, success.parts[0]!.key), join(out, success.parts[0]!.key.replace('part-00000', 'part-99999')));
      await rm(join(out, success.rejects[0]!.key));
    });
    expect(v.failed).toEqual(['parts match _SUCCESS', 'rejects by content']);
    expect(v.checks.find((c) => c.name === 'parts match _SUCCESS')!.detail).toMatch(/unlisted: .*part-99999\.jsonl; missing: .*rejects\/flux\/.*part-\d+\.jsonl;/);
    expect(v.lost).toBe(success.rejects[0]!.rows);
  });

  it('counts the rows of a missing CSV part as lost (CSV counts come from the parts that exist)', async () => {
    const csv = await soundJob('csv', { ...FLUX_CONFIG.pipelines[0]!, output: { format: 'csv' } });
    const gone = csv.success.parts[1]!;
    const v = await damaged((out) => rm(join(out, gone.key)), csv);
    expect([v.ok, v.lost, v.duplicated]).toEqual([false, gone.rows, 0]);
    expect(v.failed).toEqual(['parts match _SUCCESS', 'results by content']);
  });

  it('catches a record changed in place, with the counts intact', async () => {
    const v = await damaged(async (out) => {
      const part = join(out, success.parts[0]!.key);
      await writeFile(part, (await readFile(part, 'utf8')).replace('"TA":', '"TA":1'));
    });
    expect([v.ok, v.lost, v.duplicated]).toEqual([false, 0, 0]);
    expect(v.failed).toEqual(['checksums', 'results by content']);
  });

  it('does not claim 0 lost for a job it could not compare (no _SUCCESS)', async () => {
    const v = await damaged((out) => rm(join(out, 'results/flux', jobId, '_SUCCESS')));
    expect([v.ok, v.lost, v.duplicated, v.failed]).toEqual([false, null, null, ['committed']]);
  });
});
