import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { countDuplicates, KeyHashes, partitionOf, partitionOfRun, reducePartitions, runHeaderBytes, type SortedRun } from '../../../shared/rules/unique.js';

/** A key run's header for one partition, which these tests cut off to merge the bare hashes. */
const HEADER = runHeaderBytes(1);

/** A sorted run of the given u64 keys, read back in pieces of 1001 bytes; `reads` records each range asked for. */
function runOf(keys: readonly bigint[], reads: [number, number][] = []): SortedRun {
  const bytes = Buffer.from(new BigUint64Array(keys).buffer);
  return {
    size: bytes.length,
    async *read(start, end) {
      reads.push([start, end]);
      for (let i = start; i < end; i += 1001) yield bytes.subarray(i, Math.min(end, i + 1001));
    },
  };
}

const range = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => BigInt(from + i));
const HI = 1n << 32n;

describe('countDuplicates on sorted runs', () => {
  it('counts repeats within one run and across runs', async () => {
    expect(await countDuplicates([])).toBe(0);
    expect(await countDuplicates([runOf([])])).toBe(0);
    expect(await countDuplicates([runOf([5n])])).toBe(0);
    expect(await countDuplicates([runOf([7n, 7n, 7n])])).toBe(2);
    expect(await countDuplicates([runOf([1n, 2n]), runOf([2n, 3n])])).toBe(1);
    expect(await countDuplicates([runOf([0n]), runOf([0n])])).toBe(1);
  });

  it('orders keys by their high half, then their low half', async () => {
    const runs = [
      runOf([1n, 3n, 5n, HI + 1n, 2n * HI]),
      runOf([2n, 3n, HI, HI + 1n]),
      runOf([3n, HI + 2n, 2n * HI]),
    ];
    // 1 2 3 3 3 5 HI HI+1 HI+1 HI+2 2HI 2HI: 12 keys, 8 distinct.
    expect(await countDuplicates(runs)).toBe(4);
    expect(await countDuplicates([runOf([HI - 1n, HI]), runOf([HI - 1n, HI + 1n]), runOf([1n, HI])])).toBe(2);
    // A smaller low half with a larger high half must still come later.
    expect(await countDuplicates([runOf([5n, HI]), runOf([HI])])).toBe(1);
    expect(await countDuplicates([runOf([5n, HI + 5n])])).toBe(0);
    expect(await countDuplicates([runOf([5n]), runOf([HI + 5n])])).toBe(0);
  });

  it('merges many interleaved runs through its heap', async () => {
    // Run r holds r, r+9, r+18, … below 90, and 1000: 90 distinct keys and 1000 nine times.
    const runs = Array.from({ length: 9 }, (_, r) => runOf([...range(0, 90).filter((k) => Number(k) % 9 === r), 1000n]));
    expect(await countDuplicates(runs)).toBe(8);
    const reversed = Array.from({ length: 9 }, (_, r) => runOf([...range(0, 90).filter((k) => Number(k) % 9 === 8 - r), 1000n]));
    expect(await countDuplicates(reversed)).toBe(8);
    // Nine runs of the same 20 keys: every key eight times over, whatever the heap's shape.
    expect(await countDuplicates(Array.from({ length: 9 }, () => runOf(range(0, 20))))).toBe(160);
    // Runs of 0..19, 1..20, …, 5..24: 120 keys, 25 distinct.
    expect(await countDuplicates(Array.from({ length: 6 }, (_, r) => runOf(range(r, 20 + r))))).toBe(95);
  });

  it('reads one run 256 KiB at a time, the next window while the last is merged, and carries a key across a refill', async () => {
    const reads: [number, number][] = [];
    // 40,000 keys, one twice at the refill boundary's side: 32,768 fit in the first window.
    expect(await countDuplicates([runOf([...range(0, 32768), 32767n, ...range(32768, 40000)], reads)])).toBe(1);
    expect(reads).toEqual([[0, 262144], [262144, 320008]]);
  });

  it('keeps every window of a long run the same size, and refuses a read that comes back short', async () => {
    const reads: [number, number][] = [];
    expect(await countDuplicates([runOf(range(0, 100_000), reads)])).toBe(0);
    expect(reads).toEqual([[0, 262144], [262144, 524288], [524288, 786432], [786432, 800000]]);
    const short: SortedRun = { size: 64, async *read() { yield Buffer.alloc(56); } };
    await expect(countDuplicates([short])).rejects.toThrow('a sorted run read 56 bytes for 64');
  });

  it('counts the duplicates of many interleaved runs as a set of all their keys does', async () => {
    // Seeded: 200 sorted runs of 100 keys drawn from 1,500, so keys repeat within and across runs.
    let seed = 7;
    const next = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) % 5000;
    const runs = Array.from({ length: 200 }, () => Array.from({ length: 100 }, () => BigInt(next() % 500) * HI + BigInt(next() % 3)).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)));
    const all = runs.flat();
    expect(await countDuplicates(runs.map((keys) => runOf(keys)))).toBe(all.length - new Set(all).size);
  });

  it('shares a 16 MiB budget among runs, two windows each, a multiple of 8 bytes and never under 4 KiB', async () => {
    const reads: [number, number][] = [];
    const big = runOf(range(0, 12000), reads);
    // 16 MiB / 2 / 100 runs = 83,886 bytes, cut to 83,880.
    expect(await countDuplicates([big, ...Array.from({ length: 99 }, () => runOf([5n]))])).toBe(99);
    expect(reads).toEqual([[0, 83880], [83880, 96000]]);
    reads.length = 0;
    expect(await countDuplicates([runOf(range(0, 1100), reads), ...Array.from({ length: 999 }, (_, i) => runOf([BigInt(2000 + i)]))])).toBe(0);
    expect(reads).toEqual([[0, 8384], [8384, 8800]]);
    reads.length = 0;
    expect(await countDuplicates([runOf(range(0, 600), reads), ...Array.from({ length: 2999 }, (_, i) => runOf([BigInt(2000 + i)]))])).toBe(0);
    expect(reads).toEqual([[0, 4096], [4096, 4800]]);
  });

  it('ignores a trailing piece shorter than a key', async () => {
    const bytes = Buffer.concat([Buffer.from(new BigUint64Array([4n, 4n]).buffer), Buffer.from([1, 2, 3])]);
    const run: SortedRun = { size: bytes.length, async *read(start, end) { yield bytes.subarray(start, end); } };
    expect(await countDuplicates([run])).toBe(1);
    const short: SortedRun = { size: 7, async *read() { yield Buffer.alloc(7); } };
    expect(await countDuplicates([short, runOf([0n])])).toBe(0);
  });
});

describe('KeyHashes', () => {
  /** Duplicates among rows hashed on the given column indexes, as a chunk writes and finalize counts them. */
  async function duplicates(indexes: number[], rows: (string | number | boolean | null)[][]): Promise<number> {
    const k = new KeyHashes(indexes);
    for (const row of rows) k.add(row);
    return countDuplicates([runOf([...new BigUint64Array(new Uint8Array(k.sortedBytes(1).subarray(HEADER)).buffer)])]);
  }

  it('writes 8 bytes per row, sorted ascending', () => {
    const k = new KeyHashes([0]);
    for (const v of ['c', 'a', 'b', 'a', 7, null, true]) k.add([v]);
    const bytes = k.sortedBytes(1).subarray(HEADER);
    expect(bytes.length).toBe(56);
    const keys = [...new BigUint64Array(new Uint8Array(bytes).buffer)];
    expect(keys.filter((key, i) => i > 0 && key < keys[i - 1]!)).toEqual([]);
    expect(new Set(keys).size).toBe(6);
    expect(new KeyHashes([0]).sortedBytes(1).subarray(HEADER).length).toBe(0);
  });

  it('hashes equal values alike and different values, types and column splits apart', async () => {
    expect(await duplicates([0], [['a'], ['a'], ['b'], ['ab'], ['ba']])).toBe(1);
    expect(await duplicates([0], [[1], [1], [2], [1.5], ['1'], [-1]])).toBe(1);
    expect(await duplicates([0], [[true], [true], [false], [null], [null], [''], ['true'], ['null'], [1], [0]])).toBe(2);
    expect(await duplicates([0, 1], [['ab', 'c'], ['a', 'bc'], ['abc', ''], ['', 'abc'], [null, 'c'], ['', 'c']])).toBe(0);
    expect(await duplicates([0, 1], [[1, 2], [2, 1], [1, 2], [1, null], [null, 1]])).toBe(1);
  });

  it('hashes only the key columns, in their order', async () => {
    expect(await duplicates([1], [['x', 1], ['y', 1], ['x', 2]])).toBe(1);
    expect(await duplicates([2, 0], [['a', 'p', 1], ['a', 'q', 1], ['b', 'p', 1], [1, 'p', 'a']])).toBe(1);
  });

  it('keeps every row past its first 1024', async () => {
    const rows = [...Array.from({ length: 3000 }, (_, i) => [i]), ...Array.from({ length: 1000 }, (_, i) => [i * 3])];
    expect(await duplicates([0], rows)).toBe(1000);
    const k = new KeyHashes([0]);
    for (const row of rows) k.add(row);
    expect(k.sortedBytes(1).subarray(HEADER).length).toBe(32000);
  });
});

describe('hash partitions of key runs', () => {
  /** A stored run read back in pieces of 1001 bytes, as the object stores stream it. */
  const stored = (bytes: Buffer) => ({
    async *read(start: number, end: number) {
      for (let i = start; i < Math.min(end, bytes.length); i += 1001) yield bytes.subarray(i, Math.min(end, bytes.length, i + 1001));
    },
  });

  it('puts each hash in the stretch of its partition, in order, and the stretches together are the whole run', async () => {
    const k = new KeyHashes([0]);
    for (let i = 0; i < 5_000; i++) k.add([i % 4_000]);
    const whole = [...new BigUint64Array(new Uint8Array(k.sortedBytes(1).subarray(HEADER)).buffer)];
    const bytes = k.sortedBytes(7);
    const seen: bigint[] = [];
    for (let p = 0; p < 7; p++) {
      const slice = await partitionOfRun(stored(bytes), p, 7, 'run');
      const parts: Buffer[] = [];
      for await (const c of slice.read(0, slice.size)) parts.push(Buffer.from(c));
      const keys = [...new BigUint64Array(new Uint8Array(Buffer.concat(parts)).buffer)];
      expect(keys.every((key) => partitionOf(Number(key >> 32n), 7) === p)).toBe(true);
      seen.push(...keys);
    }
    expect(seen).toEqual(whole);
    expect(seen.length).toBe(5_000);
  });

  it('finds the same duplicates partition by partition as a plain count of the key tuples', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.array(fc.tuple(fc.integer({ min: 0, max: 60 }), fc.constantFrom('a', 'b', '__proto__')), { maxLength: 80 }), { minLength: 1, maxLength: 6 }), fc.integer({ min: 1, max: 9 }), async (chunks, partitions) => {
        const runs = chunks.map((rows) => {
          const k = new KeyHashes([0, 1]);
          for (const row of rows) k.add(row);
          return k.sortedBytes(partitions);
        });
        let found = 0;
        for (let p = 0; p < partitions; p++) found += await countDuplicates(await Promise.all(runs.map((r) => partitionOfRun(stored(r), p, partitions, 'run'))));
        const all = chunks.flat().map((row) => JSON.stringify(row));
        expect(found).toBe(all.length - new Set(all).size);
      }),
      { numRuns: 200 },
    );
  });

  it('refuses a run without the header or of another partition count, naming it', async () => {
    const k = new KeyHashes([0]);
    k.add([1]);
    await expect(partitionOfRun(stored(k.sortedBytes(3)), 0, 4, 'manifests/j/unique/0/part-00002.bin')).rejects.toThrow('manifests/j/unique/0/part-00002.bin: not a key run of 4 partition(s) (3 partition(s)); rerun the job with --force');
    await expect(partitionOfRun(stored(k.sortedBytes(1).subarray(HEADER)), 0, 1, 'old.bin')).rejects.toThrow('old.bin: not a key run of 1 partition(s) (8 bytes); rerun the job with --force');
    await expect(partitionOfRun(stored(Buffer.alloc(16, 7)), 0, 1, 'junk.bin')).rejects.toThrow('junk.bin: not a key run of 1 partition(s) (no key run header)');
  });

  it('has one partition per 512 MiB of input, at least one and at most 256', () => {
    const MiB = 2 ** 20;
    expect([0, 1, 512 * MiB, 512 * MiB + 1, 1e9, 1e10, 128 * 1024 * MiB, 1e12].map(reducePartitions)).toEqual([1, 1, 1, 2, 2, 19, 256, 256]);
  });
});
