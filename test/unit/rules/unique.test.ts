import { describe, expect, it } from 'vitest';
import { countDuplicates, KeyHashes, type SortedRun } from '../../../shared/rules/unique.js';

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
    expect(await countDuplicates([run(a.sortedBytes()), run(b.sortedBytes())])).toBe(5_001);
  });

  it('reads smaller windows when there are many runs, so their buffers stay within a fixed budget, and still counts right', async () => {
    const largest: number[] = [];
    const runs = Array.from({ length: 1_000 }, (_, r) => {
      const k = new KeyHashes([0]);
      for (let i = 0; i < 3_000; i++) k.add([r * 2_000 + i]); // each run overlaps the next by 1,000 keys
      const inner = run(k.sortedBytes());
      return { size: inner.size, read: (start: number, end: number) => (largest.push(end - start), inner.read(start, end)) };
    });
    expect(await countDuplicates(runs)).toBe(999 * 1_000);
    // 16 MiB / 2 windows / 1,000 runs = 8,388 bytes, cut to a multiple of 8.
    expect(Math.max(...largest)).toBe(8384);
  });

  it('tells ("ab","c") from ("a","bc") and finds none among distinct keys', async () => {
    const k = new KeyHashes([0, 1]);
    k.add(['ab', 'c']);
    k.add(['a', 'bc']);
    k.add([null, 'c']);
    k.add(['', 'c']);
    expect(await countDuplicates([run(k.sortedBytes())])).toBe(0);
  });
});
