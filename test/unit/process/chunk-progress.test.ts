import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../../shared/config/load.js';
import { FsObjectStore } from '../../../shared/local/fs-object-store.js';
import { planChunks } from '../../../shared/plan/plan.js';
import { processChunk, type ChunkProgress } from '../../../shared/process/chunk.js';
import { FLUX_CONFIG, fluxTsv } from '../../fixtures.js';
import { tempDir } from '../../helpers.js';

let dir: string;
let cleanup: () => Promise<void>;
beforeAll(async () => ({ dir, cleanup } = await tempDir()));
afterAll(() => cleanup());

// One chunk of several MB: several 1 MiB reads, so several blocks.
const config = parseConfig({ pipelines: [{ ...FLUX_CONFIG.pipelines[0], chunking: { targetSize: '64MB' } }] });
const pipeline = config.pipelines[0]!;
const ROWS = 100_000;

function expectMonotone(seen: readonly ChunkProgress[], size: number) {
  for (let i = 1; i < seen.length; i++) {
    expect(seen[i]!.rows).toBeGreaterThanOrEqual(seen[i - 1]!.rows);
    expect(seen[i]!.bytes).toBeGreaterThanOrEqual(seen[i - 1]!.bytes);
  }
  expect(seen[0]!.rows).toBeGreaterThan(0);
  expect(seen.at(-1)!.bytes).toBeLessThanOrEqual(size);
}

describe('processChunk progress', () => {
  it('reports rows and bytes while the chunk runs, cumulative and within the chunk', async () => {
    await writeFile(join(dir, 'one.tsv'), fluxTsv(ROWS).text);
    const store = new FsObjectStore(dir);
    const plan = await planChunks(store, 'one.tsv', pipeline);
    expect(plan.chunks).toHaveLength(1);
    const chunk = plan.chunks[0]!;
    const size = chunk.end - chunk.start;
    expect(size).toBeGreaterThan(4 << 20);

    const seen: ChunkProgress[] = [];
    const result = await processChunk(pipeline, plan, chunk, { input: store, output: new FsObjectStore(join(dir, 'out')), onProgress: (p) => seen.push(p), progressIntervalMs: 0 });
    expect(seen.length).toBeGreaterThanOrEqual(4);
    expectMonotone(seen, size);
    expect(seen.at(-1)!.rows).toBeLessThanOrEqual(result.stats.rowsIn);
    expect(result.stats.rowsIn).toBe(ROWS);
  });

  it('counts compressed bytes for a gzip file', async () => {
    await writeFile(join(dir, 'one.tsv.gz'), gzipSync(fluxTsv(ROWS).text));
    const store = new FsObjectStore(dir);
    const plan = await planChunks(store, 'one.tsv.gz', pipeline);
    const chunk = plan.chunks[0]!;
    const seen: ChunkProgress[] = [];
    await processChunk(pipeline, plan, chunk, { input: store, output: new FsObjectStore(join(dir, 'out-gz')), onProgress: (p) => seen.push(p), progressIntervalMs: 0 });
    expect(seen.length).toBeGreaterThan(1);
    expectMonotone(seen, chunk.end - chunk.start);
  });

  it('calls back no more often than the interval', async () => {
    const store = new FsObjectStore(dir);
    const plan = await planChunks(store, 'one.tsv', pipeline);
    const seen: ChunkProgress[] = [];
    await processChunk(pipeline, plan, plan.chunks[0]!, { input: store, output: new FsObjectStore(join(dir, 'out-slow')), onProgress: (p) => seen.push(p), progressIntervalMs: 3_600_000 });
    expect(seen).toEqual([]);
  });
});
