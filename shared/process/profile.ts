import type { Value } from '../rules/columns.js';
import { hashString, hllAdd, hllNew } from '../report/hll.js';
import type { ChunkStats, ColumnProfile } from '../report/stats.js';
import type { OutputColumn } from './row.js';

const f64 = new Float64Array(1);
const u32 = new Uint32Array(f64.buffer);

function hashNumber(n: number): number {
  f64[0] = n;
  let h = Math.imul(u32[0]! ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(u32[1]! ^ 0xc2b2ae35, 0x27d4eb2f);
  h ^= h >>> 15;
  h = Math.imul(h, 0x2c1b3c6d);
  h ^= h >>> 12;
  return h >>> 0;
}

// Hashed like any value: the raw 1 and 2 fell in one register, so true and false counted as one distinct value.
const TRUE_HASH = hashString('true');
const FALSE_HASH = hashString('false');

/** Collects the per-column profile of output rows: count, nulls, min, max and a distinct sketch. */
export class ColumnProfiler {
  private readonly count: number[];
  private readonly nulls: number[];
  private readonly min: (number | string | null)[];
  private readonly max: (number | string | null)[];
  private readonly sketches: Uint8Array[];
  /** The column's previous non-null value: a repeat (Object.is, so -0 is not 0) changes neither min, max nor the sketch. */
  private readonly last: Value[];

  constructor(private readonly columns: readonly OutputColumn[]) {
    const n = columns.length;
    this.last = new Array<Value>(n).fill(null);
    this.count = new Array<number>(n).fill(0);
    this.nulls = new Array<number>(n).fill(0);
    this.min = new Array<number | string | null>(n).fill(null);
    this.max = new Array<number | string | null>(n).fill(null);
    this.sketches = columns.map(() => hllNew());
  }

  add(values: readonly Value[]): void {
    for (let i = 0; i < values.length; i++) {
      const v = values[i]!;
      this.count[i]!++;
      if (v === null) {
        this.nulls[i]!++;
        continue;
      }
      if (Object.is(v, this.last[i])) continue;
      this.last[i] = v;
      if (typeof v === 'boolean') {
        hllAdd(this.sketches[i]!, v ? TRUE_HASH : FALSE_HASH);
        continue;
      }
      const lo = this.min[i]!;
      if (lo === null || v < lo) this.min[i] = v;
      const hi = this.max[i]!;
      if (hi === null || v > hi) this.max[i] = v;
      hllAdd(this.sketches[i]!, typeof v === 'number' ? hashNumber(v) : hashString(v));
    }
  }

  /** Writes the profile into stats.columns. */
  into(stats: ChunkStats): void {
    this.columns.forEach((c, i) => {
      const p: ColumnProfile = {
        count: this.count[i]!,
        nulls: this.nulls[i]!,
        min: this.min[i]!,
        max: this.max[i]!,
        hll: Buffer.from(this.sketches[i]!).toString('base64'),
      };
      // Defined, not assigned: a column named "__proto__" is an entry, not the object's prototype.
      Object.defineProperty(stats.columns, c.name, { value: p, enumerable: true, writable: true, configurable: true });
    });
  }
}
