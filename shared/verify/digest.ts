import { parquetReadObjects } from 'hyparquet';
import type { OutputFormat } from '../config/schema.js';
import { sheetRows } from '../formats/xlsx.js';

/**
 * An order-independent digest of a multiset of records: a count and two 32-bit sums of
 * per-record hashes. Equal digests mean, with overwhelming odds, the same records the same
 * number of times, however they were split into parts.
 */
export class MultisetDigest {
  count = 0;
  private a = 0;
  private b = 0;

  add(record: string): void {
    let h1 = 0x811c9dc5;
    let h2 = 0x9e3779b9;
    for (let i = 0; i < record.length; i++) {
      const c = record.charCodeAt(i);
      h1 = Math.imul(h1 ^ c, 0x01000193);
      h2 = Math.imul(h2 ^ c, 0x5bd1e995);
    }
    h1 ^= h1 >>> 15;
    h2 ^= h2 >>> 13;
    this.a = (this.a + (h1 >>> 0)) >>> 0;
    this.b = (this.b + (h2 >>> 0)) >>> 0;
    this.count++;
  }

  get value(): string {
    return `${this.count}:${this.a.toString(16).padStart(8, '0')}${this.b.toString(16).padStart(8, '0')}`;
  }
}

/** A reject is identified by where it was and what it said, not by its chunk-relative line. */
export function rejectIdentity(line: string): string {
  const r = JSON.parse(line) as { offset: number; raw: string; errors: unknown };
  return `${r.offset}\u0000${r.raw}\u0000${JSON.stringify(r.errors)}`;
}

/** Feeds the records of an output part into a digest: lines for JSONL/CSV (CSV skips its header), rows for Parquet and xlsx. */
export async function digestPart(format: OutputFormat, chunks: AsyncIterable<Uint8Array>, digest: MultisetDigest, asReject = false): Promise<number> {
  const before = digest.count;
  if (format === 'parquet' && !asReject) {
    const parts: Buffer[] = [];
    for await (const c of chunks) parts.push(Buffer.from(c));
    const buf = Buffer.concat(parts);
    if (buf.length === 0) return 0;
    const rows = (await parquetReadObjects({ file: buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength) as ArrayBuffer })) as Record<string, unknown>[];
    for (const row of rows) digest.add(JSON.stringify(row, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v)));
    return digest.count - before;
  }
  if (format === 'xlsx' && !asReject) {
    // Rows as exceljs's streaming reader gives their cells' text, the header row left out.
    let header = true;
    for await (const row of sheetRows(chunks, 1, 'results')) {
      if (header) header = false;
      else digest.add(JSON.stringify(row.cells));
    }
    return digest.count - before;
  }
  const decoder = new TextDecoder();
  let rest = '';
  let first = true;
  const take = (line: string) => {
    if (first && format === 'csv' && !asReject) {
      first = false;
      return;
    }
    first = false;
    digest.add(asReject ? rejectIdentity(line) : line);
  };
  for await (const c of chunks) {
    const lines = (rest + decoder.decode(c, { stream: true })).split('\n');
    rest = lines.pop()!;
    for (const l of lines) take(l);
  }
  rest += decoder.decode();
  if (rest) take(rest);
  return digest.count - before;
}
