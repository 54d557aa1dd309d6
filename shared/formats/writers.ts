import { createHash, type Hash } from 'node:crypto';
import type { OutputFormat } from '../config/schema.js';
import type { ObjectWriter } from '../store/object-store.js';
import type { Value } from '../rules/columns.js';
import type { OutputColumn } from '../process/row.js';
import { formatIso } from '../rules/time.js';
import { ParquetRowWriter, type ParquetLimits, type RowGroupBudget } from './parquet.js';
import { XlsxRowWriter } from './xlsx-writer.js';

/** A finished output part, as `_SUCCESS` lists it. */
export interface PartInfo {
  readonly key: string;
  readonly rows: number;
  readonly bytes: number;
  readonly sha256: string;
}

/** Buffers rows and streams them to an object writer; `write` is sync, `flush` applies backpressure. */
export interface RowWriter {
  /**
   * `texts[i]`, when set, is the value already formatted as JSON: a number column's input text, or
   * a json column's list or map. A json column's value without one is a plain value (a string stays a string).
   * `extra` holds JSON members kept from JSONL input (`unknownColumns: keep`); only the JSONL writer takes them.
   */
  write(values: readonly Value[], texts?: readonly (string | undefined)[], extra?: string): void;
  flush(): Promise<void>;
  close(): Promise<PartInfo>;
  abort(): Promise<void>;
}

const FLUSH_BYTES = 1 << 20;

/** Counts bytes and hashes what goes to an object, so every part can be listed with its sha256. */
export class HashingSink {
  readonly hash: Hash = createHash('sha256');
  bytes = 0;
  constructor(
    readonly key: string,
    readonly target: ObjectWriter,
  ) {}
  async write(chunk: Uint8Array | string): Promise<void> {
    const buf = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    if (buf.length === 0) return;
    this.hash.update(buf);
    this.bytes += buf.length;
    await this.target.write(buf);
  }
  async commit(rows: number): Promise<PartInfo> {
    await this.target.commit();
    return { key: this.key, rows, bytes: this.bytes, sha256: this.hash.digest('hex') };
  }
  abort(): Promise<void> {
    return this.target.abort();
  }
}

const iso = formatIso;

/** Formats a value for text outputs: times as ISO 8601, dates as YYYY-MM-DD. */
export function formatValue(v: Value, type: OutputColumn['type']): string | number | boolean | null {
  if (v === null) return null;
  if (type === 'timestamp' && typeof v === 'number') return iso(v);
  if (type === 'date' && typeof v === 'number') return iso(v).slice(0, 10);
  return v;
}

/**
 * The bytes of a text part not yet handed to its sink, and its row count. The row kernel writes
 * JSON lines straight into `buf` at `pos`; the writers append formatted text the same way.
 */
export class OutputBytes {
  buf: Buffer = Buffer.allocUnsafe(FLUSH_BYTES + (64 << 10));
  /** `buf` as a DataView, for word stores. */
  view = new DataView(this.buf.buffer, this.buf.byteOffset, this.buf.length);
  pos = 0;
  rows = 0;
  /** Makes room for `n` more bytes at `pos` (the buffer may be replaced: read `buf` again). */
  reserve(n: number): void {
    if (this.buf.length - this.pos >= n) return;
    const bigger = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.pos + n));
    this.buf.copy(bigger, 0, 0, this.pos);
    this.setBuffer(bigger);
  }
  append(text: string): void {
    // A UTF-16 unit is at most three bytes of UTF-8.
    this.reserve(text.length * 3);
    this.pos += this.buf.write(text, this.pos, 'utf8');
  }
  /** A buffer whose bytes have been written, to fill again instead of allocating one. */
  private spare: Buffer | undefined;
  /**
   * The bytes so far, handed over; writing goes on in another buffer. Give the returned bytes
   * back with `recycle` once their write has resolved: fresh buffers cost page faults and GC.
   */
  take(): Buffer {
    const out = this.buf.subarray(0, this.pos);
    const next = this.spare !== undefined && this.spare.length >= this.buf.length ? this.spare : Buffer.allocUnsafe(this.buf.length);
    this.spare = undefined;
    this.setBuffer(next);
    this.pos = 0;
    return out;
  }
  recycle(taken: Buffer): void {
    // A buffer of this size has its own ArrayBuffer (Node pools only small ones).
    if (taken.byteOffset === 0 && taken.buffer.byteLength >= FLUSH_BYTES) this.spare = Buffer.from(taken.buffer);
  }
  private setBuffer(b: Buffer): void {
    this.buf = b;
    this.view = new DataView(b.buffer, b.byteOffset, b.length);
  }
}

/** Text writers share buffering; subclasses only format a row. */
abstract class TextWriter implements RowWriter {
  readonly out = new OutputBytes();
  constructor(protected readonly sink: HashingSink) {}
  abstract write(values: readonly Value[], texts?: readonly (string | undefined)[]): void;
  protected append(text: string): void {
    this.out.append(text);
  }
  /** The write of the previous buffer: one is in flight while the next fills. */
  private inFlight: Promise<void> = Promise.resolve();
  async flush(force = false): Promise<void> {
    if (!force && this.out.pos < FLUSH_BYTES) return;
    await this.inFlight;
    const bytes = this.out.take();
    const write = this.sink.write(bytes).then(() => this.out.recycle(bytes));
    // Its failure surfaces at the next flush or close; until then it must not count as unhandled.
    write.catch(() => undefined);
    this.inFlight = write;
    if (force) await write;
  }
  async close(): Promise<PartInfo> {
    await this.flush(true);
    return this.sink.commit(this.out.rows);
  }
  async abort(): Promise<void> {
    await this.inFlight.catch(() => undefined);
    return this.sink.target.abort();
  }
}

type LineSerializer = (values: readonly Value[], texts: readonly (string | undefined)[] | undefined) => string;

/**
 * Builds one JSON line per row. The function is generated once per column list because a single
 * concatenation expression runs about twice as fast as a loop over columns; the generated source
 * holds only JSON-quoted column names and fixed expressions per type.
 */
export function compileJsonLine(columns: readonly OutputColumn[]): LineSerializer {
  const parts = columns.map((c, i) => {
    const key = JSON.stringify(`${i === 0 ? '{' : ','}${JSON.stringify(c.name)}:`);
    const v = `v[${i}]`;
    let expr: string;
    switch (c.type) {
      case 'number':
      case 'integer':
        expr = `(t !== undefined && t[${i}] !== undefined ? t[${i}] : num(${v}))`;
        break;
      case 'boolean':
        expr = `(${v} === null ? 'null' : ${v} ? 'true' : 'false')`;
        break;
      case 'timestamp':
        expr = `(typeof ${v} === 'number' ? '"' + iso(${v}) + '"' : any(${v}))`;
        break;
      case 'date':
        expr = `(typeof ${v} === 'number' ? '"' + iso(${v}).slice(0, 10) + '"' : any(${v}))`;
        break;
      case 'json':
        expr = `(t !== undefined && t[${i}] !== undefined ? t[${i}] : any(${v}))`;
        break;
      default:
        expr = `(${v} === null ? 'null' : typeof ${v} === 'string' ? JSON.stringify(${v}) : any(${v}))`;
    }
    return `${key} + ${expr}`;
  });
  const body = columns.length === 0 ? `'{}\\n'` : `${parts.join(' + ')} + '}\\n'`;
  const num = (x: Value) => (typeof x === 'number' ? (Number.isFinite(x) ? String(x) : 'null') : any(x));
  const any = (x: Value) => (x === null ? 'null' : JSON.stringify(x));
  const make = new Function('num', 'any', 'iso', `return (v, t) => ${body};`) as (...h: unknown[]) => LineSerializer;
  return make(num, any, iso);
}

class JsonlWriter extends TextWriter {
  private readonly line: LineSerializer;
  constructor(sink: HashingSink, columns: readonly OutputColumn[]) {
    super(sink);
    this.line = compileJsonLine(columns);
  }
  write(values: readonly Value[], texts?: readonly (string | undefined)[], extra?: string): void {
    const line = this.line(values, texts);
    // The line ends in "}\n"; kept members go before the brace.
    this.append(extra === undefined ? line : `${line.slice(0, -2)}${line.length > 3 ? ',' : ''}${extra}}\n`);
    this.out.rows++;
  }
}

/** The byte buffer of a JSONL part, for the row kernel; undefined for other writers. */
export function jsonlOutput(w: RowWriter): OutputBytes | undefined {
  return w instanceof JsonlWriter ? w.out : undefined;
}

class CsvWriter extends TextWriter {
  constructor(
    sink: HashingSink,
    private readonly columns: readonly OutputColumn[],
  ) {
    super(sink);
    this.append(`${columns.map((c) => csvField(c.name)).join(',')}\n`);
  }
  write(values: readonly Value[], texts?: readonly (string | undefined)[]): void {
    let line = '';
    for (let i = 0; i < values.length; i++) {
      const given = texts?.[i];
      const f = given ?? formatValue(values[i]!, this.columns[i]!.type);
      line += (i ? ',' : '') + (f === null ? '' : csvField(String(f)));
    }
    this.append(`${line}\n`);
    this.out.rows++;
  }
}

function csvField(s: string): string {
  return /[",\n\r]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
}

/** How a part is written; only Parquet parts take options. */
export interface RowWriterOptions {
  /** Shared by the Parquet parts of one chunk, so many partitions stay within one memory budget; one per part if unset. */
  readonly rowGroups?: RowGroupBudget;
  readonly parquet?: ParquetLimits;
}

/** Opens a writer for one output part. */
export function createRowWriter(format: OutputFormat, key: string, target: ObjectWriter, columns: readonly OutputColumn[], options: RowWriterOptions = {}): RowWriter {
  const sink = new HashingSink(key, target);
  if (format === 'csv') return new CsvWriter(sink, columns);
  if (format === 'parquet') return new ParquetRowWriter(sink, columns, options.rowGroups, options.parquet);
  if (format === 'xlsx') return new XlsxRowWriter(sink, columns);
  return new JsonlWriter(sink, columns);
}
