import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../../shared/config/load.js';
import { planStep, workStep } from '../../../shared/jobs/steps.js';
import { FileStateStore } from '../../../shared/local/file-state-store.js';
import { FsObjectStore } from '../../../shared/local/fs-object-store.js';
import { jobIdFor } from '../../../shared/plan/plan.js';
import { JobStatus } from '../../../shared/state/models.js';
import { tempDir } from '../../helpers.js';

const config = parseConfig({ pipelines: [{ name: 'w', format: { type: 'csv' }, chunking: { targetSize: 20 }, schema: { columns: { id: { type: 'integer' } } } }] });
const log = { info: () => undefined, warn: () => undefined, error: () => undefined };

let dir: string;
let cleanup: () => Promise<void>;
beforeAll(async () => ({ dir, cleanup } = await tempDir()));
afterAll(() => cleanup());

async function planned(name: string, text: string) {
  await writeFile(join(dir, name), text);
  const objects = new FsObjectStore(dir);
  const state = new FileStateStore(join(dir, `state-${name}`));
  const info = (await objects.head(name))!;
  const jobId = jobIdFor(config.pipelines[0]!, info);
  const now = new Date().toISOString();
  await state.createJob({ jobId, pipeline: 'w', input: { key: name, size: info.size, etag: info.etag }, status: JobStatus.PLANNED, createdAt: now, updatedAt: now, chunks: 0, attempts: 1 });
  const deps = { config, objects, state, log };
  const out = await planStep({ jobId, pipeline: 'w', key: name }, deps);
  if (!('manifestKey' in out)) throw new Error('expected a plan');
  const items = JSON.parse((await objects.get(out.manifestKey))!.toString()) as { index: number; start: number; end: number }[];
  return { deps, jobId, items };
}

describe('work step', () => {
  it('runs a chunk from the range in its Map item, and refuses a range the plan could not have made', async () => {
    const { deps, jobId, items } = await planned('ids.csv', `id\n${Array.from({ length: 40 }, (_, i) => i).join('\n')}\n`);
    expect(items.length).toBeGreaterThan(3);
    const task = (over: Partial<{ index: number; start: number; end: number }>) => ({ jobId, pipeline: 'w', compute: 'lambda' as const, ...items[1]!, ...over });
    expect(await workStep(task({}), deps)).toMatchObject({ index: 1, skipped: false, rowsIn: expect.any(Number) });
    const size = items.at(-1)!.end;
    for (const bad of [{ start: -1 }, { start: 0 }, { end: size + 1 }, { start: 30, end: 29 }, { index: items.length }, { index: -1 }, { start: 3.5 }]) {
      await expect(workStep(task(bad), deps), JSON.stringify(bad)).rejects.toMatchObject({ name: 'InputError', message: expect.stringContaining('is not a range of the plan') });
    }
  });

  it('runs the one empty chunk of a header-only file', async () => {
    const { deps, jobId, items } = await planned('header.csv', 'id\n');
    expect(items).toEqual([expect.objectContaining({ index: 0, start: 3, end: 3 })]);
    expect(await workStep({ jobId, pipeline: 'w', compute: 'lambda', ...items[0]! }, deps)).toMatchObject({ rowsIn: 0 });
  });
});
