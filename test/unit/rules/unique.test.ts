import { describe, expect, it } from 'vitest';
import { countDuplicates, KeyHashes, runHeaderBytes, type SortedRun } from '../../../shared/rules/unique.js';

/** A key run's header for one partition, which these tests cut off to merge the bare hashes. */
const HEADER = runHeaderBytes(1);

const run = (bytes: Buffer): SortedRun => ({
  size: bytes.length,
  async *read(start, end) {
    // Odd piece sizes, so hashes straddle reads.
    for (let i = start; i < end; i += 1001) yield bytes.subarray(i, Math.min(end, i + 1001));
  },
});

describe('countDuplicates', () => {
  it('counts keys repeated across and within sorted runs larger than its read window', async () => {
    const a = new KeyHashes([0, 1]);
    const b = new KeyHashes([0, 1]);
    for (let i = 0; i < 20_000; i++) a.add(['US-Ha1', i]);
    for (let i = 15_000; i < 30_000; i++) b.add(['US-Ha1', i]);
    b.add(['US-Ha1', 29_999]);
    expect(await countDuplicates([run(a.sortedBytes(1).subarray(HEADER)), run(b.sortedBytes(1).subarray(HEADER))])).toBe(5_001);
  });

  it('reads runs from local files into its own buffers, as the stream path reads them, and refuses a short file', async () => {
    const { mkdtemp, rm, writeFile, truncate } = await import('node:fs/promises');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const { FsObjectStore } = await import('../../../shared/local/fs-object-store.js');
    const dir = await mkdtemp(join(tmpdir(), 'sluice-runs-'));
    try {
      const store = new FsObjectStore(dir);
      const runs: SortedRun[] = [];
      const streamed: SortedRun[] = [];
      const reads: number[] = [];
      for (let r = 0; r < 3; r++) {
        const k = new KeyHashes([0]);
        for (let i = 0; i < 40_000; i++) k.add([r * 30_000 + i]); // 10,000 keys shared with the next run
        await writeFile(join(dir, `run-${r}.bin`), k.sortedBytes(1).subarray(HEADER));
        runs.push({ size: k.sortedBytes(1).subarray(HEADER).length, read: (s, e) => store.read(`run-${r}.bin`, { start: s, end: e }), readInto: (p, into) => (reads.push(into.byteLength), store.readInto(`run-${r}.bin`, p, into)) });
        streamed.push(run(k.sortedBytes(1).subarray(HEADER)));
      }
      expect(await countDuplicates(runs)).toBe(20_000);
      expect(await countDuplicates(streamed)).toBe(20_000);
      // 320,000 bytes a run in windows of 256 KiB: two reads each.
      expect(reads.sort((a, b) => a - b)).toEqual([57_856, 57_856, 57_856, 262_144, 262_144, 262_144]);
      await truncate(join(dir, 'run-1.bin'), 100_000);
      await expect(countDuplicates(runs)).rejects.toThrow(/a sorted run read \d+ bytes for \d+/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('reads smaller windows when there are many runs, so their buffers stay within a fixed budget, and still counts right', async () => {
    const largest: number[] = [];
    const runs = Array.from({ length: 1_000 }, (_, r) => {
      const k = new KeyHashes([0]);
      for (let i = 0; i < 3_000; i++) k.add([r * 2_000 + i]); // each run overlaps the next by 1,000 keys
      const inner = run(k.sortedBytes(1).subarray(HEADER));
      return { size: inner.size, read: (start: number, end: number) => (largest.push(end - start), inner.read(start, end)) };
    });
    expect(await countDuplicates(runs)).toBe(999 * 1_000);
    // 16 MiB / 2 windows / 1,000 runs = 8,388 bytes, cut to a multiple of 8.
    expect(Math.max(...largest)).toBe(8384);
    // A budget of 32 MiB (the reduce λ's is larger still): windows twice as large, the same count.
    largest.length = 0;
    expect(await countDuplicates(runs, 32 * 2 ** 20)).toBe(999 * 1_000);
    expect(Math.max(...largest)).toBe(16_776);
  });

  it('tells ("ab","c") from ("a","bc") and finds none among distinct keys', async () => {
    const k = new KeyHashes([0, 1]);
    k.add(['ab', 'c']);
    k.add(['a', 'bc']);
    k.add([null, 'c']);
    k.add(['', 'c']);
    expect(await countDuplicates([run(k.sortedBytes(1).subarray(HEADER))])).toBe(0);
  });
});
