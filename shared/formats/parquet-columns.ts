import { ByteWriter, type SchemaElement } from 'hyparquet-writer';
import { writePageHeader } from 'hyparquet-writer/src/datapage.js';
import { writeRleBitPackedHybrid } from 'hyparquet-writer/src/encoding.js';
import type { ColumnChunk, Encoding } from 'hyparquet';
import type { OutputColumn } from '../process/row.js';
import type { Value } from '../rules/columns.js';
import { snappyCompress } from './snappy.js';

// Column buffers of the Parquet row group being filled, and their encoding: from the typed
// arrays straight to pages, with no JS value per cell. Each column chunk is one data page (v2),
// after a dictionary page for enums; values are snappy-compressed, levels are not. The thrift
// of page headers and of the footer is hyparquet-writer's.

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
  /** Rows 0…rows-1 as one column chunk at the writer's end. */
  encode(out: ByteWriter, rows: number, element: SchemaElement): ColumnChunk;
}

interface Statistics {
  null_count: bigint;
  nan_count?: bigint;
  min_value?: number | boolean | Uint8Array;
  max_value?: number | boolean | Uint8Array;
}

/** The definition levels of rows 0…rows-1 (1 present, 0 null), as the RLE/bit-packed hybrid. */
function levelBytes(isNull: (i: number) => boolean, rows: number, nulls: number): Uint8Array {
  if (nulls === 0 && rows >= 8) {
    // One RLE run of 1s, as the hybrid writes it: the run length, shifted, then the value.
    const w = new ByteWriter();
    w.appendVarInt(rows << 1);
    w.appendUint8(1);
    return w.getBytes();
  }
  const levels = new Uint8Array(rows);
  if (nulls === 0) levels.fill(1);
  else for (let i = 0; i < rows; i++) levels[i] = isNull(i) ? 0 : 1;
  const w = new ByteWriter();
  writeRleBitPackedHybrid(w, levels as unknown as number[], 1);
  return w.getBytes();
}

/**
 * Writes one column chunk: an optional dictionary page, then one data page v2 with the levels
 * (uncompressed, as v2 has them) and the values (snappy).
 */
function writeChunk(
  out: ByteWriter,
  element: SchemaElement,
  rows: number,
  levels: Uint8Array,
  nulls: number,
  values: Uint8Array,
  statistics: Statistics,
  dictionary?: { bytes: Uint8Array; count: number },
): ColumnChunk {
  const start = out.offset;
  let uncompressed = 0;
  let dictionaryAt: bigint | undefined;
  if (dictionary) {
    dictionaryAt = BigInt(out.offset);
    const packed = snappyCompress(dictionary.bytes);
    writePageHeader(out, { type: 'DICTIONARY_PAGE', uncompressed_page_size: dictionary.bytes.length, compressed_page_size: packed.length, dictionary_page_header: { num_values: dictionary.count, encoding: 'PLAIN' } });
    uncompressed += out.offset - Number(dictionaryAt) + dictionary.bytes.length;
    out.appendBytes(packed);
  }
  const encoding: Encoding = dictionary ? 'RLE_DICTIONARY' : 'PLAIN';
  const dataAt = out.offset;
  const packed = snappyCompress(values);
  writePageHeader(out, {
    type: 'DATA_PAGE_V2',
    uncompressed_page_size: levels.length + values.length,
    compressed_page_size: levels.length + packed.length,
    data_page_header_v2: { num_values: rows, num_nulls: nulls, num_rows: rows, encoding, definition_levels_byte_length: levels.length, repetition_levels_byte_length: 0, is_compressed: true },
  });
  uncompressed += out.offset - dataAt + levels.length + values.length;
  out.appendBytes(levels);
  out.appendBytes(packed);
  return {
    file_offset: BigInt(start),
    meta_data: {
      type: element.type!,
      encodings: dictionary ? ['PLAIN', 'RLE_DICTIONARY'] : ['PLAIN'],
      path_in_schema: [element.name],
      codec: 'SNAPPY',
      num_values: BigInt(rows),
      total_uncompressed_size: BigInt(uncompressed),
      total_compressed_size: BigInt(out.offset - start),
      data_page_offset: BigInt(dataAt),
      ...(dictionaryAt === undefined ? {} : { dictionary_page_offset: dictionaryAt }),
      // hyparquet's types want its decoded forms; the footer writer takes these as they are.
      statistics: statistics as never,
      encoding_stats: [...(dictionary ? [{ page_type: 'DICTIONARY_PAGE' as const, encoding: 'PLAIN' as const, count: 1 }] : []), { page_type: 'DATA_PAGE_V2' as const, encoding, count: 1 }],
    },
  };
}

/** Unsigned byte order, as Parquet orders UTF8 statistics. */
function compareBytes(a: Uint8Array, a0: number, a1: number, b: Uint8Array, b0: number, b1: number): number {
  const n = Math.min(a1 - a0, b1 - b0);
  for (let i = 0; i < n; i++) {
    const d = a[a0 + i]! - b[b0 + i]!;
    if (d !== 0) return d;
  }
  return a1 - a0 - (b1 - b0);
}

/** A part's buffers start this small, so a partition with few rows costs little. */
const START_ROWS = 256;

function grown<T extends Float64Array | Uint8Array | Int32Array>(a: T, make: (n: number) => T): T {
  const b = make(a.length * 2);
  b.set(a);
  return b;
}

/** How a number column is stored: DOUBLE, INT64 (integers, timestamps as ms) or INT32 (dates as days). */
type Physical = 'double' | 'int64' | 'days';

/** Numbers, integers, timestamps (ms) and dates (ms) as float64, with a null flag per row. */
class NumberColumn implements ColumnBuffer {
  private data = new Float64Array(START_ROWS);
  private nulls = new Uint8Array(START_ROWS);
  constructor(
    private readonly column: OutputColumn,
    private readonly account: Account,
    private readonly physical: Physical,
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
  encode(out: ByteWriter, rows: number, element: SchemaElement): ColumnChunk {
    const { data, nulls } = this;
    let nullCount = 0;
    for (let i = 0; i < rows; i++) nullCount += nulls[i]!;
    const n = rows - nullCount;
    let min = Infinity;
    let max = -Infinity;
    let nan = 0;
    let values: Uint8Array;
    if (this.physical === 'double') {
      const v = new Float64Array(n);
      for (let i = 0, j = 0; i < rows; i++) {
        if (nulls[i]) continue;
        const x = data[i]!;
        v[j++] = x;
        if (x !== x) nan++;
        else {
          if (x < min) min = x;
          if (x > max) max = x;
        }
      }
      values = new Uint8Array(v.buffer);
    } else if (this.physical === 'int64') {
      // Little-endian words: the low 32 bits, then the high (two's complement for negatives).
      const v = new Int32Array(n * 2);
      for (let i = 0, j = 0; i < rows; i++) {
        if (nulls[i]) continue;
        const x = Math.floor(data[i]!);
        const hi = Math.floor(x / 4294967296);
        v[j++] = x - hi * 4294967296;
        v[j++] = hi;
        if (x < min) min = x;
        if (x > max) max = x;
      }
      values = new Uint8Array(v.buffer);
    } else {
      const v = new Int32Array(n);
      for (let i = 0, j = 0; i < rows; i++) {
        if (nulls[i]) continue;
        const x = Math.floor(data[i]! / DAY_MS);
        v[j++] = x;
        if (x < min) min = x;
        if (x > max) max = x;
      }
      values = new Uint8Array(v.buffer);
    }
    const statistics: Statistics = { null_count: BigInt(nullCount) };
    if (this.physical === 'double') statistics.nan_count = BigInt(nan);
    if (min <= max) {
      // The spec's signed zeros: a zero minimum is -0, a zero maximum +0.
      statistics.min_value = min === 0 && this.physical === 'double' ? -0 : min;
      statistics.max_value = max === 0 ? 0 : max;
    }
    return writeChunk(out, element, rows, levelBytes((i) => nulls[i] === 1, rows, nullCount), nullCount, values, statistics);
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
  encode(out: ByteWriter, rows: number, element: SchemaElement): ColumnChunk {
    const data = this.data;
    let nullCount = 0;
    for (let i = 0; i < rows; i++) if (data[i] === 2) nullCount++;
    // PLAIN booleans: one bit each, the first value in the lowest bit.
    const values = new Uint8Array(Math.ceil((rows - nullCount) / 8));
    let trues = 0;
    for (let i = 0, j = 0; i < rows; i++) {
      const b = data[i]!;
      if (b === 2) continue;
      if (b === 1) {
        values[j >> 3]! |= 1 << (j & 7);
        trues++;
      }
      j++;
    }
    const n = rows - nullCount;
    const statistics: Statistics = { null_count: BigInt(nullCount), ...(n > 0 ? { min_value: trues === n, max_value: trues > 0 } : {}) };
    return writeChunk(out, element, rows, levelBytes((i) => data[i] === 2, rows, nullCount), nullCount, values, statistics);
  }
}

const SHORT_TEXT = 64;

/** Writes ASCII `s` at `at`; -1 (with some bytes written) if `s` has a character past U+007F. */
function putAscii(b: Buffer, at: number, s: string): number {
  for (let q = 0; q < s.length; q++) {
    const c = s.charCodeAt(q);
    if (c > 127) return -1;
    b[at + q] = c;
  }
  return s.length;
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
    const start = this.used;
    // Short ASCII text by hand: a call into Buffer.write costs more than the copy.
    const n = s.length <= SHORT_TEXT ? putAscii(this.bytes, start, s) : -1;
    this.used = start + (n >= 0 ? n : this.bytes.write(s, start, 'utf8'));
    this.ends[i] = this.used;
    return this.used - start + 4;
  }
  encode(out: ByteWriter, rows: number, element: SchemaElement): ColumnChunk {
    const { ends, bytes } = this;
    let nullCount = 0;
    for (let i = 0; i < rows; i++) if (ends[i]! < 0) nullCount++;
    // PLAIN byte arrays: each value's length (4 bytes, little-endian), then its bytes.
    const values = new Uint8Array(this.used + 4 * (rows - nullCount));
    const view = new DataView(values.buffer);
    let p = 0;
    let start = 0;
    let min0 = -1;
    let min1 = -1;
    let max0 = -1;
    let max1 = -1;
    for (let i = 0; i < rows; i++) {
      const end = ends[i]!;
      if (end < 0) continue;
      view.setUint32(p, end - start, true);
      // Short values by hand: Buffer.copy's call costs more than the bytes.
      if (end - start <= SHORT_TEXT) for (let q = start, o = p + 4; q < end; q++, o++) values[o] = bytes[q]!;
      else bytes.copy(values, p + 4, start, end);
      p += 4 + end - start;
      if (min0 < 0 || compareBytes(bytes, start, end, bytes, min0, min1) < 0) {
        min0 = start;
        min1 = end;
      }
      if (max0 < 0 || compareBytes(bytes, start, end, bytes, max0, max1) > 0) {
        max0 = start;
        max1 = end;
      }
      start = end;
    }
    // Copies: the footer is written at the part's end, after the buffer has held other groups.
    const statistics: Statistics = { null_count: BigInt(nullCount), ...(min0 >= 0 ? { min_value: Uint8Array.from(bytes.subarray(min0, min1)), max_value: Uint8Array.from(bytes.subarray(max0, max1)) } : {}) };
    return writeChunk(out, element, rows, levelBytes((i) => ends[i]! < 0, rows, nullCount), nullCount, values, statistics);
  }
}

/** Enum values as codes into the row group's dictionary (values in order of first use). */
class EnumColumn implements ColumnBuffer {
  private codes = new Int32Array(START_ROWS);
  private dictionary = new Map<string, number>();
  constructor(private readonly account: Account) {}
  get allocated(): number {
    return this.codes.length * 4;
  }
  push(v: Value, i: number): number {
    if (i === 0) this.dictionary.clear();
    if (i === this.codes.length) {
      this.account(this.allocated);
      this.codes = grown(this.codes, (n) => new Int32Array(n));
    }
    if (v === null) {
      this.codes[i] = -1;
      return 4;
    }
    const s = typeof v === 'string' ? v : String(v);
    let code = this.dictionary.get(s);
    if (code === undefined) this.dictionary.set(s, (code = this.dictionary.size));
    this.codes[i] = code;
    return 4;
  }
  encode(out: ByteWriter, rows: number, element: SchemaElement): ColumnChunk {
    const codes = this.codes;
    let nullCount = 0;
    for (let i = 0; i < rows; i++) if (codes[i]! < 0) nullCount++;
    const present = new Int32Array(rows - nullCount);
    for (let i = 0, j = 0; i < rows; i++) if (codes[i]! >= 0) present[j++] = codes[i]!;
    const words = [...this.dictionary.keys()].map((k) => Buffer.from(k, 'utf8'));
    // The dictionary page: PLAIN byte arrays. The data page: the code width, then the codes as the hybrid.
    const dictionary = new Uint8Array(words.reduce((n, w) => n + 4 + w.length, 0));
    const view = new DataView(dictionary.buffer);
    let p = 0;
    for (const w of words) {
      view.setUint32(p, w.length, true);
      dictionary.set(w, p + 4);
      p += 4 + w.length;
    }
    const width = words.length <= 1 ? 0 : 32 - Math.clz32(words.length - 1);
    const data = new ByteWriter();
    data.appendUint8(width);
    writeRleBitPackedHybrid(data, present as unknown as number[], width);
    let min: Buffer | undefined;
    let max: Buffer | undefined;
    const used = new Uint8Array(words.length);
    for (const c of present) used[c] = 1;
    words.forEach((w, c) => {
      if (!used[c]) return;
      if (!min || Buffer.compare(w, min) < 0) min = w;
      if (!max || Buffer.compare(w, max) > 0) max = w;
    });
    const statistics: Statistics = { null_count: BigInt(nullCount), ...(min && max ? { min_value: new Uint8Array(min), max_value: new Uint8Array(max) } : {}) };
    return writeChunk(out, element, rows, levelBytes((i) => codes[i]! < 0, rows, nullCount), nullCount, data.getBytes(), statistics, { bytes: dictionary, count: words.length });
  }
}

const DAY_MS = 86_400_000;

export function columnBuffer(c: OutputColumn, account: Account): ColumnBuffer {
  switch (c.type) {
    case 'integer':
    case 'timestamp':
      return new NumberColumn(c, account, 'int64');
    case 'date':
      return new NumberColumn(c, account, 'days');
    case 'number':
      return new NumberColumn(c, account, 'double');
    case 'boolean':
      return new BooleanColumn(c, account);
    case 'enum':
      return new EnumColumn(account);
    default:
      return new TextColumn(account);
  }
}
