import { isUtf8 } from 'node:buffer';
import { CsvError, parse as parseCsv } from 'csv-parse/sync';
import { dialectOf } from '../config/resolve.js';
import type { Pipeline } from '../config/schema.js';
import { LineSequence } from './line-sequence.js';
import { PhysicalLines } from './physical-lines.js';

// This reader shares no code with the engine (shared/formats, process, plan, rules): it is the
// second opinion `sluice verify` and the tests hold the engine's reader against. Records come
// from csv-parse in strict mode, lines from a plain count of line breaks.

/** How the independent reader reads a file: the pipeline's format, resolved once. */
export interface IndependentFormat {
  readonly type: 'csv' | 'tsv' | 'jsonl';
  readonly delimiter: string;
  /** Quote character, or '' for none. */
  readonly quote: string;
  readonly relaxQuotes: boolean;
  /** The first record names the columns (never for JSONL). */
  readonly header: boolean;
  readonly maxLineBytes: number;
  /** format.skipRows as a count: physical lines skipped at the top. */
  readonly skipCount: number;
  /** format.skipRows as a list: a record that starts on one of these lines is skipped. */
  readonly skipLines: ReadonlySet<number>;
  /** A line starting with this (where a record would start) is skipped; '' for none. */
  readonly comment: string;
}

export function independentFormatOf(p: Pipeline): IndependentFormat {
  const { delimiter, quote } = dialectOf(p);
  const relaxQuotes = (p.format as { relaxQuotes?: boolean }).relaxQuotes === true;
  const skipRows = p.format.skipRows ?? 0;
  return {
    type: p.format.type === 'xlsx' ? 'csv' : p.format.type,
    delimiter,
    quote,
    relaxQuotes,
    header: p.format.header && p.format.type !== 'jsonl',
    maxLineBytes: p.format.maxLineBytes,
    skipCount: typeof skipRows === 'number' ? skipRows : 0,
    skipLines: new Set(typeof skipRows === 'number' ? [] : skipRows),
    comment: p.format.comment ?? '',
  };
}

/** One record as csv-parse strict (or JSON.parse) reads it. */
export interface IndependentRecord {
  /** Physical 1-based line of the file where it starts (header lines included). */
  readonly line: number;
  /** Physical lines it spans (1 for a malformed record: reading resumes at the next line). */
  readonly lines: number;
  /** Byte offset of its first byte in the file. */
  readonly offset: number;
  /** Its fields (CSV/TSV), undefined when malformed. */
  readonly fields: readonly string[] | undefined;
  /** Its object (JSONL), undefined when malformed. */
  readonly object: Readonly<Record<string, unknown>> | undefined;
  /** Why it cannot be read, when so. */
  readonly malformed: string | undefined;
}

/** What the independent reader found in a whole file. */
export interface IndependentRead {
  /** `lf` also covers CRLF and mixed LF/CRLF; `cr` is a file whose first line break is a lone CR. */
  readonly lineEnding: 'lf' | 'cr';
  /** A plain count of line breaks, plus 1 when bytes follow the last one. */
  readonly physicalLines: number;
  readonly blankLines: number;
  readonly headerLines: number;
  /** Lines skipped on purpose: skipRows lines and comments, above the header or below it. */
  readonly skippedLines: number;
  /** Of those, the lines above the header. */
  readonly skippedAbove: number;
  readonly header: readonly string[] | undefined;
  /** Why the header record cannot be read, when so. */
  readonly headerMalformed: string | undefined;
  /** Records after the header, malformed ones included. */
  readonly records: number;
  /** Physical lines spanned by those records. */
  readonly recordLines: number;
  /** Start lines of the malformed records, ascending. */
  readonly malformedLines: readonly number[];
  /** Running hash of the start lines of all records, in order. */
  readonly starts: LineSequence;
  readonly bytes: number;
}

/** Receives records in file order, a batch at a time, with the header read before them (if any). */
export type RecordBatchCallback = (records: readonly IndependentRecord[], header: readonly string[] | undefined) => void | Promise<void>;

export interface ReadIndependentOptions {
  readonly onRecords?: RecordBatchCallback;
  /** Bytes csv-parse is given at once; 256 KiB (tests make it tiny to put window ends everywhere). */
  readonly windowBytes?: number;
}

const WINDOW = 256 * 1024;

/**
 * Reads a whole file (its bytes in order, decompressed) as the record model says, in bounded
 * memory: the bytes from the current record on plus one window, the malformed lines, and a hash
 * of the start lines. Records are handed to `onRecords` in batches, in file order.
 *
 * - Line endings: the first line break decides: `\n` or `\r\n` → lines end at `\n` (a `\r` before
 *   it is part of the ending); a lone `\r` → lines end at `\r`.
 * - A UTF-8 BOM at offset 0 is skipped once by this reader (a restarted parser must not strip
 *   U+FEFF at a line start, so csv-parse's `bom` is off).
 * - A blank line (no characters before its ending) is not a record.
 * - CSV/TSV: csv-parse with `relax_quotes` from `format.relaxQuotes`, doubled quotes as the escape,
 *   ragged rows allowed. A record csv-parse refuses (a quote inside an unquoted field, text after
 *   a closing quote, a quote not closed before the end of input) is malformed on its own, and a
 *   new parser starts at the next physical line after the line where that record started.
 * - maxLineBytes counts the bytes of a record from its start through its line ending. A longer
 *   record is malformed; reading resumes at the next line after its start when it is one line or
 *   holds a quote beyond the limit (a quoted field not closed within maxLineBytes), and after the
 *   record when it spans lines and closed its quotes in time. (csv-parse's own `max_record_size`
 *   is only a memory bound, 4× the limit: it counts characters, not bytes.)
 * - A record with a NUL byte or invalid UTF-8 is malformed but keeps its extent.
 * - JSONL: each non-blank line is a record; it must be valid UTF-8, within maxLineBytes, and
 *   `JSON.parse` to an object.
 */
export async function readIndependent(
  source: AsyncIterable<Uint8Array> | Iterable<Uint8Array>,
  format: IndependentFormat,
  options: ReadIndependentOptions = {},
): Promise<IndependentRead> {
  const reader = new Reader(format, options.windowBytes ?? WINDOW);
  const flush = async () => {
    const batch = reader.batch;
    reader.batch = [];
    if (options.onRecords && batch.length) await options.onRecords(batch, reader.headerFields);
  };
  for await (const chunk of source) {
    reader.push(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength));
    if (reader.batch.length) await flush();
  }
  reader.end();
  await flush();
  return reader.result();
}

class Reader extends PhysicalLines {
  batch: IndependentRecord[] = [];
  private window: number;
  /** Bytes from `pos` wanted before trying again after a parse that could not finish. */
  private need = 0;
  private headerPending: boolean;
  private headerLines = 0;
  private skippedLines = 0;
  private skippedAbove = 0;
  private readonly commentBytes: Buffer;
  private header: string[] | undefined;
  private headerMalformed: string | undefined;
  private recordLines = 0;
  private readonly malformedLines: number[] = [];
  private readonly starts = new LineSequence();
  private readonly csvOptions;

  constructor(
    private readonly format: IndependentFormat,
    /** Bytes csv-parse is given at once (a record longer than that widens it). */
    private readonly windowBytes: number,
  ) {
    super();
    this.window = windowBytes;
    this.headerPending = format.header;
    this.commentBytes = Buffer.from(format.comment, 'utf8');
    const quote = format.quote === '' ? null : format.quote;
    this.csvOptions = {
      delimiter: format.delimiter,
      quote,
      escape: quote,
      relax_quotes: format.relaxQuotes,
      relax_column_count: true,
      bom: false,
      skip_empty_lines: true,
      // csv-parse's own comment handling, only where a record starts.
      ...(format.comment ? { comment: format.comment, comment_no_infix: true } : {}),
      // Only a bound on memory: the limit itself is judged on bytes below, as the model says.
      max_record_size: format.maxLineBytes * 4 + 4,
    } as const;
  }

  push(chunk: Buffer): void {
    if (chunk.length === 0) return;
    this.append(chunk);
    this.drain();
  }

  end(): void {
    this.eof = true;
    this.drain();
  }

  get headerFields(): readonly string[] | undefined {
    return this.header;
  }

  result(): IndependentRead {
    return {
      lineEnding: this.ending ?? 'lf',
      physicalLines: this.physicalLines(),
      blankLines: this.blankLines,
      headerLines: this.headerLines,
      skippedLines: this.skippedLines,
      skippedAbove: this.skippedAbove,
      header: this.header,
      headerMalformed: this.headerMalformed,
      records: this.starts.count,
      recordLines: this.recordLines,
      malformedLines: this.malformedLines,
      starts: this.starts,
      bytes: this.bytes,
    };
  }

  /** Consumes as much of the buffer as can be decided now. */
  private drain(): void {
    for (;;) {
      if (!this.skipBom()) return;
      if (this.need && !this.eof && this.dataEnd - this.pos < this.need) return;
      this.need = 0;
      if (this.skipping) {
        if (!this.skipLine()) return;
        continue;
      }
      if (this.ending === undefined && !this.detectEnding()) {
        if (this.dataEnd - this.pos <= this.format.maxLineBytes * 2 + WINDOW) return;
        // No line break anywhere yet: the first record is too long whatever its ending.
        this.malformed(this.pos, `record longer than maxLineBytes (${this.format.maxLineBytes})`);
        continue;
      }
      if (this.line <= this.format.skipCount) {
        // skipRows as a count: whole physical lines, whatever they hold.
        if (this.pos >= this.dataEnd) return;
        if (!this.skipLine()) return;
        this.skip(1);
        continue;
      }
      if (this.atTop && this.format.skipLines.has(this.line)) {
        if (this.pos >= this.dataEnd) return;
        if (!this.skipLine()) return;
        this.skip(1);
        continue;
      }
      if (!this.skipBlanks()) return;
      const comments = this.skipComments();
      if (comments === undefined) return;
      if (comments) continue;
      if (this.pos >= this.dataEnd) return;
      const progressed = this.format.type === 'jsonl' ? this.readJsonLine() : this.readCsvWindow();
      if (!progressed) return;
    }
  }

  /** A malformed record at `start` (the current line): reading resumes at the next physical line. */
  private malformed(start: number, reason: string): void {
    this.take(start, 1, undefined, undefined, reason);
    this.pos = start;
    this.skipping = true;
    this.skipLine();
  }

  private skip(lines: number): void {
    this.skippedLines += lines;
    if (this.atTop) this.skippedAbove += lines;
  }

  /**
   * Still in the run of skipped lines at the top of the file, before any header, record or blank
   * line: where the planner skips them, a listed line one physical line at a time.
   */
  private get atTop(): boolean {
    return this.blankLines === 0 && this.starts.count === 0 && (!this.format.header || this.headerPending);
  }

  /** Skips the comment lines at `pos`: true when it skipped one, undefined when more bytes are needed to tell. */
  private skipComments(): boolean | undefined {
    const prefix = this.commentBytes;
    if (prefix.length === 0) return false;
    let skipped = false;
    while (this.pos < this.dataEnd) {
      if (this.dataEnd - this.pos < prefix.length && !this.eof) return undefined;
      const at = this.pos - this.base;
      if (!this.buf.subarray(at, at + prefix.length).equals(prefix)) return skipped;
      // Counted now and skipped to its end however many reads that takes (found in review: the
      // rest of a comment cut by a read was taken for a record).
      this.skip(1);
      skipped = true;
      this.skipping = true;
      if (!this.skipLine()) return undefined;
    }
    return skipped;
  }

  /** Records one record (or the header) that starts on the current line. */
  private take(offset: number, lines: number, fields: string[] | undefined, object: Record<string, unknown> | undefined, malformed: string | undefined): void {
    if (this.format.skipLines.has(this.line)) {
      // A listed skipRows line: the record that starts on it is skipped whole.
      this.skip(lines);
      return;
    }
    if (this.headerPending) {
      this.headerPending = false;
      this.headerLines = lines;
      this.header = fields;
      this.headerMalformed = malformed;
      return;
    }
    this.starts.add(this.line);
    this.recordLines += lines;
    if (malformed !== undefined) this.malformedLines.push(this.line);
    this.batch.push({ line: this.line, lines, offset, fields, object, malformed });
  }

  /** Parses records from `pos` with csv-parse; false when nothing could be decided yet. */
  private readCsvWindow(): boolean {
    const limit = Math.min(this.dataEnd, this.pos + this.window);
    const final = this.eof && limit === this.dataEnd;
    // A window that stops short of the input ends just after a line break, so that csv-parse
    // never sees a line ending or a doubled quote cut in two: then everything it decides in the
    // window is final except a quote still open at its end.
    let windowEnd = limit;
    if (!final) {
      const t = this.buf.lastIndexOf(this.terminator, limit - this.base - 1);
      if (t === -1 || this.base + t < this.pos) return this.wantMore(limit, false);
      windowEnd = this.base + t + 1;
    }
    const slice = this.buf.subarray(this.pos - this.base, windowEnd - this.base);
    const found: { fields: string[]; end: number }[] = [];
    let error: unknown;
    try {
      parseCsv(slice, {
        ...this.csvOptions,
        record_delimiter: this.ending === 'cr' ? ['\r'] : ['\r\n', '\n'],
        // The context's `bytes` is where the record ends, line ending included; null keeps
        // csv-parse from collecting the records itself.
        on_record: (record, context) => {
          found.push({ fields: record, end: context.bytes });
          return null;
        },
      });
    } catch (e) {
      error = e;
    }
    if (error !== undefined && !(error instanceof CsvError)) throw error;
    const clean = isUtf8(slice) && slice.indexOf(0) === -1;
    const origin = this.pos;
    let progressed = false;
    for (let k = 0; k < found.length; k++) {
      const end = origin + found[k]!.end;
      // Blank and comment lines csv-parse passed over belong to no record.
      for (;;) {
        this.skipBlanks();
        if (!this.skipComments()) break;
      }
      const start = this.pos;
      if (end <= start) throw new Error(`independent reader: record at ${start} ends at ${end}`);
      progressed = true;
      const content = end - this.endingBefore(end) - start;
      const lines = this.spanOf(start, end);
      let reason: string | undefined;
      if (end - start > this.format.maxLineBytes) {
        reason = `record longer than maxLineBytes (${this.format.maxLineBytes})`;
        // A quote beyond the limit means a quoted field not closed within it: read again from
        // the next line. A record that closes its quotes in time is rejected whole.
        if (lines === 1 || this.quoteBeyondLimit(start, end)) {
          this.malformed(start, reason);
          this.window = this.windowBytes;
          return true;
        }
      } else if (!clean) {
        const bytes = this.buf.subarray(start - this.base, start - this.base + content);
        if (bytes.indexOf(0) !== -1) reason = 'NUL byte in record';
        else if (!isUtf8(bytes)) reason = 'invalid UTF-8';
      }
      this.take(start, lines, reason ? undefined : found[k]!.fields, undefined, reason);
      this.advance(end, lines);
    }
    if (error !== undefined) {
      const code = (error as CsvError).code;
      if (code === 'CSV_QUOTE_NOT_CLOSED' && !final) return this.wantMore(limit, progressed);
      this.skipBlanks();
      this.malformed(this.pos, describe(error as CsvError, this.format.maxLineBytes));
      this.window = this.windowBytes;
      return true;
    }
    if (progressed) {
      this.window = this.windowBytes;
      return true;
    }
    return this.wantMore(limit, false);
  }

  /** A quote byte more than maxLineBytes after `start`, before `end`. */
  private quoteBeyondLimit(start: number, end: number): boolean {
    if (this.format.quote === '') return false;
    const i = this.buf.indexOf(this.format.quote.charCodeAt(0), start + this.format.maxLineBytes + 1 - this.base);
    return i !== -1 && this.base + i < end;
  }

  /** The record at `pos` is not complete within the window up to `limit`: widen it, or wait for bytes. */
  private wantMore(limit: number, progressed: boolean): boolean {
    if (progressed) return true;
    if (limit < this.dataEnd) {
      this.window *= 2;
      return true;
    }
    this.window = Math.max(this.window, (this.dataEnd - this.pos) * 2);
    this.need = this.window;
    return false;
  }

  /** One JSONL line from `pos`; false when its end is not in the buffer yet. */
  private readJsonLine(): boolean {
    const i = this.buf.indexOf(this.terminator, this.pos - this.base);
    const start = this.pos;
    if (i === -1 && !this.eof) {
      if (this.dataEnd - start > this.format.maxLineBytes * 2 + WINDOW) {
        this.malformed(start, `record longer than maxLineBytes (${this.format.maxLineBytes})`);
        return true;
      }
      this.need = Math.max(WINDOW, (this.dataEnd - start) * 2);
      return false;
    }
    const end = i === -1 ? this.dataEnd : this.base + i + 1;
    const content = end - this.endingBefore(end) - start;
    const bytes = this.buf.subarray(start - this.base, start - this.base + content);
    let reason: string | undefined;
    let object: Record<string, unknown> | undefined;
    if (end - start > this.format.maxLineBytes) reason = `record longer than maxLineBytes (${this.format.maxLineBytes})`;
    else if (!isUtf8(bytes)) reason = 'invalid UTF-8';
    else {
      try {
        const value: unknown = JSON.parse(bytes.toString('utf8'));
        if (value === null || typeof value !== 'object' || Array.isArray(value)) reason = 'not a JSON object';
        else object = value as Record<string, unknown>;
      } catch (e) {
        reason = `invalid JSON: ${(e as Error).message}`;
      }
    }
    this.take(start, 1, undefined, object, reason);
    this.advance(end, 1);
    return true;
  }
}

function describe(error: CsvError, maxLineBytes: number): string {
  switch (error.code) {
    case 'CSV_QUOTE_NOT_CLOSED':
      return 'unterminated quoted field';
    case 'CSV_MAX_RECORD_SIZE':
      return `record longer than maxLineBytes (${maxLineBytes}) or a quote not closed within it`;
    case 'INVALID_OPENING_QUOTE':
      return 'quote inside an unquoted field';
    case 'CSV_INVALID_CLOSING_QUOTE':
      return 'text after a closing quote';
    default:
      return error.message;
  }
}
