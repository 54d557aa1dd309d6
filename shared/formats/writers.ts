import { createHash, type Hash } from 'node:crypto';
import { ByteWriter, ParquetWriter } from 'hyparquet-writer';
import type { ObjectWriter } from '../store/object-store.js';
import type { Value } from '../rules/columns.js';
import type { OutputColumn } from '../process/row.js';

/** A finished output part, as `_SUCCESS` lists it. */
export interface PartInfo {
  readonly key: string;
  readonly rows: number;
  readonly bytes: number;
  readonly sha256: string;
}

/** Buffers rows and streams them to an object writer; `write` is sync, `flush` applies backpressure. */
export interface RowWriter {
  write(values: Value[]): void;
  flush(): Promise<void>;
  close(): Promise<PartInfo>;
  abort(): Promise<void>;
}

const FLUSH_BYTES = 1 << 20;

/** Counts bytes and hashes what goes to the object. */
class HashingSink {
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
}

const iso = (ms: number) => new Date(ms).toISOString();

/** Formats a value for text outputs: times as ISO 8601, dates as YYYY-MM-DD. */
export function formatValue(v: Value, type: OutputColumn['type']): string | number | boolean | null {
  if (v === null) return null;
  if (type === 'timestamp' && typeof v === 'number') return iso(v);
  if (type === 'date' && typeof v === 'number') return iso(v).slice(0, 10);
  return v;
}

/** Text writers share buffering; subclasses only format a row. */
abstract class TextWriter implements RowWriter {
  protected buffer = '';
  protected rows = 0;
  constructor(protected readonly sink: HashingSink) {}
  abstract write(values: Value[]): void;
  async flush(): Promise<void> {
    if (this.buffer.length < FLUSH_BYTES) return;
    const text = this.buffer;
    this.buffer = '';
    await this.sink.write(text);
  }
  async close(): Promise<PartInfo> {
    await this.sink.write(this.buffer);
    this.buffer = '';
    return this.sink.commit(this.rows);
  }
  abort(): Promise<void> {
    return this.sink.target.abort();
  }
}

class JsonlWriter extends TextWriter {
  private readonly prefixes: string[];
  constructor(
    sink: HashingSink,
    private readonly columns: readonly OutputColumn[],
  ) {
    super(sink);
    this.prefixes = columns.map((c, i) => `${i === 0 ? '{' : ','}${JSON.stringify(c.name)}:`);
  }
  write(values: Value[]): void {
    let line = '';
    for (let i = 0; i < values.length; i++) {
      const v = values[i]!;
      const type = this.columns[i]!.type;
      let text: string;
      if (v === null) text = 'null';
      else if (typeof v === 'string') text = type === 'json' && isJsonish(v) ? v : JSON.stringify(v);
      else if (typeof v === 'number') text = type === 'timestamp' || type === 'date' ? `"${formatValue(v, type) as string}"` : Number.isFinite(v) ? String(v) : 'null';
      else text = v ? 'true' : 'false';
      line += this.prefixes[i] + text;
    }
    this.buffer += values.length === 0 ? '{}\n' : `${line}}\n`;
    this.rows++;
  }
}

/** Derived values that CEL returned as lists or maps are already JSON text. */
function isJsonish(s: string): boolean {
  const c = s.charCodeAt(0);
  return (c === 123 || c === 91) && (() => {
    try {
      JSON.parse(s);
      return true;
    } catch {
      return false;
    }
  })();
}

class CsvWriter extends TextWriter {
  constructor(
    sink: HashingSink,
    private readonly columns: readonly OutputColumn[],
  ) {
    super(sink);
    this.buffer = `${columns.map((c) => csvField(c.name)).join(',')}\n`;
  }
  write(values: Value[]): void {
    let line = '';
    for (let i = 0; i < values.length; i++) {
      const f = formatValue(values[i]!, this.columns[i]!.type);
      line += (i ? ',' : '') + (f === null ? '' : csvField(String(f)));
    }
    this.buffer += `${line}\n`;
    this.rows++;
  }
}

function csvField(s: string): string {
  return /[",\n\r]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
}

const PARQUET_ROW_GROUP = 100_000;

/** Parquet through hyparquet-writer: rows buffer per column and leave as row groups. */
class ParquetRowWriter implements RowWriter {
  private readonly bytes = new ByteWriter(1 << 20);
  private readonly writer: ParquetWriter;
  private columnsData: Value[][];
  private rows = 0;
  constructor(
    private readonly sink: HashingSink,
    private readonly columns: readonly OutputColumn[],
  ) {
    this.columnsData = columns.map(() => []);
    this.writer = new ParquetWriter({
      writer: this.bytes,
      schema: [{ name: 'root', num_children: columns.length }, ...columns.map((c) => parquetElement(c))],
      createdBy: 'sluice',
    });
  }
  write(values: Value[]): void {
    for (let i = 0; i < values.length; i++) this.columnsData[i]!.push(values[i]!);
    this.rows++;
  }
  async flush(force = false): Promise<void> {
    const pending = this.columnsData[0]?.length ?? 0;
    if (pending === 0 || (!force && pending < PARQUET_ROW_GROUP)) return;
    const columnData = this.columns.map((c, i) => ({ name: c.name, data: parquetData(this.columnsData[i]!, c.type) }));
    this.columnsData = this.columns.map(() => []);
    await this.writer.write({ columnData, rowGroupSize: pending });
    await this.drain();
  }
  private async drain(): Promise<void> {
    if (this.bytes.index === 0) return;
    const out = Buffer.from(this.bytes.getBytes());
    this.bytes.index = 0;
    await this.sink.write(out);
  }
  async close(): Promise<PartInfo> {
    await this.flush(true);
    await this.writer.finish();
    await this.drain();
    return this.sink.commit(this.rows);
  }
  abort(): Promise<void> {
    return this.sink.target.abort();
  }
}

function parquetElement(c: OutputColumn) {
  const base = { name: c.name, repetition_type: 'OPTIONAL' as const };
  switch (c.type) {
    case 'integer':
      return { ...base, type: 'INT64' as const };
    case 'number':
      return { ...base, type: 'DOUBLE' as const };
    case 'boolean':
      return { ...base, type: 'BOOLEAN' as const };
    case 'timestamp':
      return { ...base, type: 'INT64' as const, converted_type: 'TIMESTAMP_MILLIS' as const };
    case 'date':
      return { ...base, type: 'INT32' as const, converted_type: 'DATE' as const };
    default:
      return { ...base, type: 'BYTE_ARRAY' as const, converted_type: 'UTF8' as const };
  }
}

function parquetData(values: Value[], type: OutputColumn['type']): unknown[] {
  if (type === 'date') return values.map((v) => (v === null ? null : Math.floor((v as number) / 86_400_000)));
  if (type === 'integer') return values.map((v) => (v === null ? null : BigInt(v as number)));
  if (type === 'json') return values.map((v) => (v === null ? null : String(v)));
  return values;
}

/** Opens a writer for one output part. */
export function createRowWriter(format: 'jsonl' | 'csv' | 'parquet', key: string, target: ObjectWriter, columns: readonly OutputColumn[]): RowWriter {
  const sink = new HashingSink(key, target);
  if (format === 'csv') return new CsvWriter(sink, columns);
  if (format === 'parquet') return new ParquetRowWriter(sink, columns);
  return new JsonlWriter(sink, columns);
}
