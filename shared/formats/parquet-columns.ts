import type { OutputColumn } from '../process/row.js';
import type { Value } from '../rules/columns.js';

// Column buffers of the Parquet row group being filled.

/** Told how many bytes a buffer's allocation grew by. */
export type Account = (bytes: number) => void;

/**
 * One column of the row group being filled, held as typed arrays and UTF-8 bytes, not JS values.
 * A buffer is reused from group to group; it grows by doubling and tells its account.
 */
export interface ColumnBuffer {
  /** Bytes allocated to this buffer. */
  readonly allocated: number;
  /** Appends the value of row `i`; returns the bytes it takes. */
  push(v: Value, i: number): number;
  /** Rows 0…rows-1 as hyparquet-writer takes them. */
  values(rows: number): unknown[];
}

/** A part's buffers start this small, so a partition with few rows costs little. */
const START_ROWS = 256;

function grown<T extends Float64Array | Uint8Array | Int32Array>(a: T, make: (n: number) => T): T {
  const b = make(a.length * 2);
  b.set(a);
  return b;
}

/** Numbers, integers, timestamps (ms) and dates (ms) as float64, with a null flag per row. */
class NumberColumn implements ColumnBuffer {
  private data = new Float64Array(START_ROWS);
  private nulls = new Uint8Array(START_ROWS);
  constructor(
    private readonly column: OutputColumn,
    private readonly account: Account,
    private readonly convert: (x: number) => unknown,
  ) {}
  get allocated(): number {
    return this.data.length * 9;
  }
  push(v: Value, i: number): number {
    if (i === this.data.length) {
      this.account(this.allocated);
      this.data = grown(this.data, (n) => new Float64Array(n));
      this.nulls = grown(this.nulls, (n) => new Uint8Array(n));
    }
    if (v === null) this.nulls[i] = 1;
    else if (typeof v === 'number') {
      this.data[i] = v;
      this.nulls[i] = 0;
    } else throw new TypeError(`parquet column "${this.column.name}" (${this.column.type}) got a ${typeof v}: ${String(v)}`);
    return 9;
  }
  values(rows: number): unknown[] {
    const out = new Array<unknown>(rows);
    for (let i = 0; i < rows; i++) out[i] = this.nulls[i] ? null : this.convert(this.data[i]!);
    return out;
  }
}

/** Booleans: 0 false, 1 true, 2 null. */
class BooleanColumn implements ColumnBuffer {
  private data = new Uint8Array(START_ROWS);
  constructor(
    private readonly column: OutputColumn,
    private readonly account: Account,
  ) {}
  get allocated(): number {
    return this.data.length;
  }
  push(v: Value, i: number): number {
    if (i === this.data.length) {
      this.account(this.allocated);
      this.data = grown(this.data, (n) => new Uint8Array(n));
    }
    if (v !== null && typeof v !== 'boolean') throw new TypeError(`parquet column "${this.column.name}" (boolean) got a ${typeof v}: ${String(v)}`);
    this.data[i] = v === null ? 2 : v ? 1 : 0;
    return 1;
  }
  values(rows: number): unknown[] {
    const out = new Array<unknown>(rows);
    for (let i = 0; i < rows; i++) out[i] = this.data[i] === 2 ? null : this.data[i] === 1;
    return out;
  }
}

/**
 * Text as UTF-8 bytes: a JS string field may be a slice that keeps its whole input block alive,
 * so a buffered row group would otherwise hold every block its rows came from.
 */
class TextColumn implements ColumnBuffer {
  private bytes = Buffer.allocUnsafeSlow(START_ROWS * 16);
  /** Bytes used by rows 0…i-1 after `push(…, i - 1)`. */
  private used = 0;
  /** Where each row's text ends; -1 for null. */
  private ends = new Int32Array(START_ROWS);
  constructor(private readonly account: Account) {}
  get allocated(): number {
    return this.bytes.length + this.ends.length * 4;
  }
  push(v: Value, i: number): number {
    if (i === 0) this.used = 0;
    if (i === this.ends.length) {
      this.account(this.ends.length * 4);
      this.ends = grown(this.ends, (n) => new Int32Array(n));
    }
    if (v === null) {
      this.ends[i] = -1;
      return 4;
    }
    const s = typeof v === 'string' ? v : String(v);
    // UTF-8 takes at most 3 bytes per UTF-16 unit; lone surrogates become U+FFFD, as TextEncoder writes them.
    if (this.used + s.length * 3 > this.bytes.length) {
      const b = Buffer.allocUnsafeSlow(Math.max(this.bytes.length * 2, this.used + s.length * 3));
      this.account(b.length - this.bytes.length);
      this.bytes.copy(b, 0, 0, this.used);
      this.bytes = b;
    }
    const n = this.bytes.write(s, this.used, 'utf8');
    this.used += n;
    this.ends[i] = this.used;
    return n + 4;
  }
  values(rows: number): unknown[] {
    const out = new Array<unknown>(rows);
    let start = 0;
    for (let i = 0; i < rows; i++) {
      const end = this.ends[i]!;
      if (end < 0) out[i] = null;
      else {
        out[i] = this.bytes.toString('utf8', start, end);
        start = end;
      }
    }
    return out;
  }
}

const DAY_MS = 86_400_000;

export function columnBuffer(c: OutputColumn, account: Account): ColumnBuffer {
  switch (c.type) {
    case 'integer':
      return new NumberColumn(c, account, (x) => BigInt(x));
    case 'date':
      return new NumberColumn(c, account, (x) => Math.floor(x / DAY_MS));
    case 'number':
    case 'timestamp':
      // Timestamps go as ms numbers: hyparquet-writer turns them into INT64 itself.
      return new NumberColumn(c, account, (x) => x);
    case 'boolean':
      return new BooleanColumn(c, account);
    default:
      return new TextColumn(account);
  }
}
