import type { Value } from '../rules/columns.js';
import { hashString, hllAdd, HLL_BITS, HLL_REGISTERS } from '../report/hll.js';
import type { ChunkStats, ColumnProfile } from '../report/stats.js';
import type { OutputColumn } from './row.js';

/**
 * Statements that fold number `x` into numeric column `j`'s profile: min, max and the sketch,
 * every row (a test for a repeat of the last value costs more than it saves). The one
 * definition: `ColumnProfiler.addNumber` and the row kernel are both generated from it, over the
 * names PMIN, PMAX, PR (the profiler's arrays) and PF64/PU32 (scratch).
 */
export function profileNumberCode(j: string, x: string): string {
  return `{
if (${x} < PMIN[${j}]) PMIN[${j}] = ${x};
if (${x} > PMAX[${j}]) PMAX[${j}] = ${x};
let hw = 0; ${hllCode(`${j} * ${HLL_REGISTERS}`, `${hashNumberCode(x)}`)} }`;
}

/** An expression hashing number `x` (32 bits, unsigned) with the scratch arrays PF64/PU32, as hashWords does. */
function hashNumberCode(x: string): string {
  return `(PF64[0] = ${x}, hw = Math.imul(PU32[0] ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(PU32[1] ^ 0xc2b2ae35, 0x27d4eb2f), hw ^= hw >>> 15, hw = Math.imul(hw, 0x2c1b3c6d), hw ^= hw >>> 12, hw >>> 0)`;
}

function hashWords(lo: number, hi: number): number {
  let h = Math.imul(lo ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(hi ^ 0xc2b2ae35, 0x27d4eb2f);
  h ^= h >>> 15;
  h = Math.imul(h, 0x2c1b3c6d);
  h ^= h >>> 12;
  return h >>> 0;
}

/** HLL add of `hash` into the sketch at `base` of PR, as hllAdd does it. */
function hllCode(base: string, hash: string): string {
  return `{ const h = ${hash}; const ri = ${base} + (h >>> ${32 - HLL_BITS}); const rank = Math.clz32((h << ${HLL_BITS}) | ${1 << (HLL_BITS - 1)}) + 1; if (rank > PR[ri]) PR[ri] = rank; }`;
}

/** The names profile code uses, bound to `p`'s arrays. */
function profileHelpers(p: ColumnProfiler): Record<string, unknown> {
  const PF64 = new Float64Array(1);
  return { PMIN: p.minN, PMAX: p.maxN, PR: p.registers, PF64, PU32: new Uint32Array(PF64.buffer) };
}

const f64 = new Float64Array(1);
const u32 = new Uint32Array(f64.buffer);

function hashNumber(n: number): number {
  f64[0] = n;
  return hashWords(u32[0]!, u32[1]!);
}

// Hashed like any value: the raw 1 and 2 fell in one register, so true and false counted as one distinct value.
const TRUE_HASH = hashString('true');
const FALSE_HASH = hashString('false');

/** Output types whose cells are always a number or null: their profile lives in typed arrays. */
export const isNumericOutput = (type: OutputColumn['type']): boolean => type === 'number' || type === 'integer' || type === 'timestamp' || type === 'date';

/**
 * Collects the per-column profile of output rows: count, nulls, min, max and a distinct sketch.
 * Numeric columns keep min and max in typed arrays, which the row kernel
 * updates in place with the same rules as `add` (see `profileCode` in the kernel).
 */
export class ColumnProfiler {
  /** Rows added: every column's count. */
  rows = 0;
  readonly nulls: Float64Array;
  /** Numeric columns: min and max so far (±Infinity before the first value). */
  readonly minN: Float64Array;
  readonly maxN: Float64Array;
  /** Other columns: min, max and the last non-null value. */
  readonly min: (number | string | null)[];
  readonly max: (number | string | null)[];
  readonly last: Value[];
  /** All sketches, column after column (HLL_REGISTERS bytes each). */
  readonly registers: Uint8Array;
  private readonly sketches: Uint8Array[];
  private readonly numeric: boolean[];
  /** A number of numeric column `i` (see profileNumberCode). */
  readonly addNumber: (i: number, v: number) => void;

  constructor(private readonly columns: readonly OutputColumn[]) {
    const n = columns.length;
    this.numeric = columns.map((c) => isNumericOutput(c.type));
    this.nulls = new Float64Array(n);
    this.minN = new Float64Array(n).fill(Infinity);
    this.maxN = new Float64Array(n).fill(-Infinity);
    this.last = new Array<Value>(n).fill(null);
    this.min = new Array<number | string | null>(n).fill(null);
    this.max = new Array<number | string | null>(n).fill(null);
    this.registers = new Uint8Array(n * HLL_REGISTERS);
    this.sketches = columns.map((_, i) => this.registers.subarray(i * HLL_REGISTERS, (i + 1) * HLL_REGISTERS));
    const helpers = profileHelpers(this);
    const names = Object.keys(helpers);
    this.addNumber = new Function(...names, `"use strict"; return function addNumber(i, v) { ${profileNumberCode('i', 'v')} };`)(...names.map((n) => helpers[n])) as (i: number, v: number) => void;
  }

  add(values: readonly Value[]): void {
    this.rows++;
    for (let i = 0; i < values.length; i++) {
      const v = values[i]!;
      if (v === null) {
        this.nulls[i]!++;
        continue;
      }
      if (this.numeric[i] && typeof v === 'number') {
        this.addNumber(i, v);
        continue;
      }
      this.addOther(i, v);
    }
  }

  /** A non-null value of column `i` that is not numeric; a repeat (Object.is) changes neither min, max nor the sketch. */
  addOther(i: number, v: string | number | boolean): void {
    if (Object.is(v, this.last[i])) return;
    this.last[i] = v;
    if (typeof v === 'boolean') {
      hllAdd(this.sketches[i]!, v ? TRUE_HASH : FALSE_HASH);
      return;
    }
    const lo = this.min[i]!;
    if (lo === null || v < lo) this.min[i] = v;
    const hi = this.max[i]!;
    if (hi === null || v > hi) this.max[i] = v;
    hllAdd(this.sketches[i]!, typeof v === 'number' ? hashNumber(v) : hashString(v));
  }


  /** Writes the profile into stats.columns. */
  into(stats: ChunkStats): void {
    this.columns.forEach((c, i) => {
      const nulls = this.nulls[i]!;
      const some = this.rows > nulls;
      const p: ColumnProfile = {
        count: this.rows,
        nulls,
        min: this.numeric[i] ? (some ? this.minN[i]! : null) : this.min[i]!,
        max: this.numeric[i] ? (some ? this.maxN[i]! : null) : this.max[i]!,
        hll: Buffer.from(this.sketches[i]!).toString('base64'),
      };
      // Defined, not assigned: a column named "__proto__" is an entry, not the object's prototype.
      Object.defineProperty(stats.columns, c.name, { value: p, enumerable: true, writable: true, configurable: true });
    });
  }
}
