import { ByteWriter, type SchemaElement } from 'hyparquet-writer';
import { writeMetadata } from 'hyparquet-writer/src/metadata.js';
import type { RowGroup } from 'hyparquet';
import type { OutputColumn } from '../process/row.js';
import type { Value } from '../rules/columns.js';
import { columnBuffer, type Account, type ColumnBuffer } from './parquet-columns.js';
import type { HashingSink, PartInfo, RowWriter } from './writers.js';

/**
 * A row group is cut at this many rows. Encoding a group builds each column's page (its bytes,
 * then their snappy copy) in turn, so the row cap bounds that passing cost.
 */
export const ROW_GROUP_ROWS = 16_384;
/** ...or once its rows hold this many bytes in the column buffers, whichever comes first. */
export const ROW_GROUP_BYTES = 4 << 20;
/** What all the Parquet parts of one chunk may hold in column buffers (one part per partition). */
export const CHUNK_PARQUET_BYTES = 16 << 20;

/** Limits of one Parquet part; resolved once per part. */
export interface ParquetLimits {
  /** Rows per row group at most; ROW_GROUP_ROWS by default. */
  readonly rowGroupRows?: number;
  /** Buffered bytes per row group at most; ROW_GROUP_BYTES by default. */
  readonly rowGroupBytes?: number;
}

/**
 * The memory a chunk's Parquet parts share for their column buffers. When the bytes they hold
 * pass the limit, the part holding the most cuts its row group early and lets its buffers go.
 * Writes arrive in row order, so where groups are cut depends on the rows alone, never on
 * timing: the same rows give the same bytes.
 */
export class RowGroupBudget {
  /** Bytes allocated to the column buffers of all member parts. */
  heldBytes = 0;
  private readonly members: ParquetRowWriter[] = [];
  constructor(readonly limitBytes = CHUNK_PARQUET_BYTES) {}
  join(w: ParquetRowWriter): void {
    this.members.push(w);
  }
  leave(w: ParquetRowWriter): void {
    const i = this.members.indexOf(w);
    if (i >= 0) this.members.splice(i, 1);
  }
  /** Releases parts, the one holding the most first (the first opened on a tie), until the buffers fit. */
  enforce(): void {
    while (this.heldBytes > this.limitBytes) {
      let fullest: ParquetRowWriter | undefined;
      for (const m of this.members) if (m.heldBytes > (fullest?.heldBytes ?? 0)) fullest = m;
      const before = this.heldBytes;
      fullest?.release();
      // A part already at its smallest buffers frees nothing more.
      if (this.heldBytes >= before) return;
    }
  }
}

/** The Parquet type of an output column: INT64, DOUBLE, BOOLEAN, TIMESTAMP_MILLIS, DATE or UTF8. */
export function parquetElement(c: OutputColumn): SchemaElement {
  const base = { name: c.name, repetition_type: 'OPTIONAL' as const };
  switch (c.type) {
    case 'integer':
      return { ...base, type: 'INT64' };
    case 'number':
      return { ...base, type: 'DOUBLE' };
    case 'boolean':
      return { ...base, type: 'BOOLEAN' };
    case 'timestamp':
      return { ...base, type: 'INT64', converted_type: 'TIMESTAMP_MILLIS' };
    case 'date':
      return { ...base, type: 'INT32', converted_type: 'DATE' };
    default:
      return { ...base, type: 'BYTE_ARRAY', converted_type: 'UTF8' };
  }
}

const MAGIC = 0x31524150; // "PAR1"

/** Appends a row's values to the column buffers; returns the bytes they take. */
type PushRow = (buffers: readonly ColumnBuffer[], values: readonly Value[], at: number) => number;
const pushRows = new Map<string, PushRow>();

/**
 * One call site per column: each sees one buffer class and stays monomorphic, where a loop's one
 * site would see them all. Generated once per list of column types.
 */
function pushRowFor(columns: readonly OutputColumn[]): PushRow {
  const types = columns.map((c) => c.type).join(',');
  let f = pushRows.get(types);
  if (!f) {
    const body = columns.map((_, i) => `b[${i}].push(v[${i}], at)`).join(' + ') || '0';
    pushRows.set(types, (f = new Function('b', 'v', 'at', `"use strict"; return ${body};`) as PushRow));
  }
  return f;
}

/** The part's output buffer, handed on after every row group, so a part holds one encoded group at most. */
class GroupBytes extends ByteWriter {
  readonly encoded: Buffer[] = [];
  encodedBytes = 0;
  constructor() {
    super(1 << 16);
  }
  take(): void {
    if (this.index === 0) return;
    this.encoded.push(Buffer.from(this.buffer, 0, this.index));
    this.encodedBytes += this.index;
    this.buffer = new ArrayBuffer(1 << 16);
    this.view = new DataView(this.buffer);
    this.index = 0;
  }
  splice(): Buffer[] {
    this.encodedBytes = 0;
    return this.encoded.splice(0);
  }
}

/**
 * Streams a Parquet part: rows buffer per column as typed arrays and UTF-8 bytes, and a row group
 * is encoded (synchronously, in `write`) once it has `rowGroupRows` rows or `rowGroupBytes` bytes,
 * or when the chunk's budget says so. `flush` hands encoded groups to the sink; the footer is
 * written at `close`. Memory: the budget's bytes, plus one group while it is encoded, plus the
 * encoded groups not yet flushed (the caller flushes after every input block).
 */
export class ParquetRowWriter implements RowWriter {
  private readonly out = new GroupBytes();
  private readonly schema: SchemaElement[];
  private readonly groups: RowGroup[] = [];
  private buffers: ColumnBuffer[] = [];
  private readonly rowGroupRows: number;
  private readonly rowGroupBytes: number;
  private rows = 0;
  private readonly pushRow: PushRow;
  /** Rows in the group being filled. */
  bufferedRows = 0;
  /** Bytes the rows of the group being filled take in the column buffers. */
  bufferedBytes = 0;
  /** Bytes allocated to this part's column buffers (at least `bufferedBytes`). */
  heldBytes = 0;
  /** Row groups encoded so far. */
  rowGroups = 0;
  private failed: Error | undefined;
  private readonly account: Account = (bytes) => {
    this.heldBytes += bytes;
    this.budget.heldBytes += bytes;
  };
  constructor(
    private readonly sink: HashingSink,
    private readonly columns: readonly OutputColumn[],
    private readonly budget: RowGroupBudget = new RowGroupBudget(),
    limits: ParquetLimits = {},
  ) {
    this.rowGroupRows = limits.rowGroupRows ?? ROW_GROUP_ROWS;
    this.rowGroupBytes = limits.rowGroupBytes ?? ROW_GROUP_BYTES;
    this.schema = [{ name: 'root', num_children: columns.length }, ...columns.map(parquetElement)];
    this.pushRow = pushRowFor(columns);
    this.out.appendUint32(MAGIC);
    budget.join(this);
    this.renew();
  }
  /** Encoded bytes waiting for `flush`. */
  get pendingBytes(): number {
    return this.out.encodedBytes;
  }
  write(values: readonly Value[]): void {
    if (this.failed) throw this.failed;
    const at = this.bufferedRows;
    let bytes = 0;
    try {
      bytes = this.pushRow(this.buffers, values, at);
    } catch (e) {
      // Some columns took the row and others did not: the part can only be aborted now.
      this.failed = e as Error;
      throw e;
    }
    this.bufferedRows++;
    this.rows++;
    this.bufferedBytes += bytes;
    if (this.bufferedRows >= this.rowGroupRows || this.bufferedBytes >= this.rowGroupBytes) this.cutGroup();
    else if (this.budget.heldBytes > this.budget.limitBytes) this.budget.enforce();
  }
  /** Encodes the buffered rows as one row group; the buffers stay for the next group. */
  cutGroup(): void {
    const rows = this.bufferedRows;
    if (rows === 0) return;
    const start = this.out.offset;
    const chunks = this.buffers.map((b, i) => b.encode(this.out, rows, this.schema[i + 1]!));
    let size = 0n;
    for (const c of chunks) size += c.meta_data!.total_uncompressed_size;
    this.groups.push({ columns: chunks, total_byte_size: size, num_rows: BigInt(rows), total_compressed_size: BigInt(this.out.offset - start) });
    this.out.take();
    this.rowGroups++;
    this.bufferedRows = 0;
    this.bufferedBytes = 0;
  }
  /** Cuts the group being filled and gives up the buffers' memory (the budget asks, under pressure). */
  release(): void {
    this.cutGroup();
    this.renew();
  }
  /** Fresh, small buffers in place of the current ones. */
  private renew(): void {
    this.account(-this.heldBytes);
    this.buffers = this.columns.map((c) => columnBuffer(c, this.account));
    this.account(this.buffers.reduce((n, b) => n + b.allocated, 0));
  }
  private leave(): void {
    this.account(-this.heldBytes);
    this.buffers = [];
    this.budget.leave(this);
  }
  async flush(): Promise<void> {
    for (const b of this.out.splice()) await this.sink.write(b);
  }
  async close(): Promise<PartInfo> {
    if (this.failed) throw this.failed;
    this.cutGroup();
    this.leave();
    const num_rows = this.groups.reduce((n, g) => n + g.num_rows, 0n);
    writeMetadata(this.out, { version: 2, created_by: 'sluice', schema: this.schema, num_rows, row_groups: this.groups, metadata_length: 0 });
    this.out.appendUint32(MAGIC);
    this.out.take();
    await this.flush();
    return this.sink.commit(this.rows);
  }
  abort(): Promise<void> {
    this.leave();
    return this.sink.abort();
  }
}
