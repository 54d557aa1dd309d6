import type { Value } from './columns.js';

function fnv(s: string, seed: number): number {
  let h = seed;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  return h >>> 0;
}

/**
 * Collects 64-bit hashes of a key tuple per row. A chunk writes them sorted (8 bytes per row),
 * and finalize merges the sorted runs, so a `unique` check over any file size needs no more
 * memory than one chunk's keys.
 */
export class KeyHashes {
  private data = new BigUint64Array(1024);
  private size = 0;
  constructor(private readonly indexes: readonly number[]) {}

  add(values: readonly Value[]): void {
    let key = '';
    for (const i of this.indexes) key += `${String(values[i])}\u0000`;
    if (this.size === this.data.length) {
      const grown = new BigUint64Array(this.data.length * 2);
      grown.set(this.data);
      this.data = grown;
    }
    this.data[this.size++] = (BigInt(fnv(key, 0x811c9dc5)) << 32n) | BigInt(fnv(key, 0x01234567));
  }

  /** Sorted hashes, little-endian bytes. */
  sortedBytes(): Buffer {
    const sorted = this.data.slice(0, this.size).sort();
    return Buffer.from(sorted.buffer, sorted.byteOffset, sorted.byteLength);
  }
}

/** Counts duplicate keys across sorted runs (each a Buffer of little-endian u64), merging k ways. */
export function countDuplicates(runs: readonly Buffer[]): number {
  const views = runs.map((b) => new BigUint64Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength)));
  const pos = views.map(() => 0);
  let duplicates = 0;
  let last: bigint | undefined;
  for (;;) {
    let best = -1;
    for (let r = 0; r < views.length; r++) {
      if (pos[r]! < views[r]!.length && (best === -1 || views[r]![pos[r]!]! < views[best]![pos[best]!]!)) best = r;
    }
    if (best === -1) return duplicates;
    const v = views[best]![pos[best]!++]!;
    if (v === last) duplicates++;
    last = v;
  }
}
