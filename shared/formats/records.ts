import { InputError } from '../errors.js';
import { tokenizeBlock, type Dialect, type RawRecord } from './delimited.js';

/** A record handed to the processor. `raw` and `offset` are computed only when asked for (rejects). */
export interface SourceRecord {
  fields: string[] | undefined;
  /** Parsed object for JSONL input. */
  object: Record<string, unknown> | undefined;
  line: number;
  /** Why the record cannot be read as fields, if so (the processor rejects it). */
  malformed: string | undefined;
  raw(): string;
  offset(): number;
}

export interface ReadOptions {
  readonly file: string;
  readonly format: 'csv' | 'tsv' | 'jsonl';
  readonly dialect: Dialect;
  /** Absolute byte offset of the first byte the source yields. */
  readonly startOffset: number;
  /** Physical line number of the first line, or 1 when unknown (chunk-relative). */
  readonly startLine: number;
  readonly maxLineBytes: number;
  /** Strip a UTF-8 byte order mark at the very start. */
  readonly stripBom: boolean;
}

export interface ReadTotals {
  lines: number;
  blankLines: number;
  bytes: number;
}

const fatalDecoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/**
 * Streams records out of a byte source. Blocks are cut at the last line break so that
 * decoding never splits a UTF-8 sequence and every block's byte offset is exact.
 * Invalid UTF-8 and over-long records become malformed records, not crashes.
 * `onBlockEnd` runs after each block so the caller can flush with backpressure.
 */
export async function readRecords(
  source: AsyncIterable<Uint8Array>,
  options: ReadOptions,
  onRecord: (record: SourceRecord) => void,
  onBlockEnd: () => Promise<void> | void,
): Promise<ReadTotals> {
  // ignoreBOM: a U+FEFF inside the data is data; only the file's first bytes are a BOM (stripBom).
  const decoder = new TextDecoder('utf-8', { ignoreBOM: true });
  let pendingBytes: Buffer | undefined;
  let carry = '';
  let carryOffset = options.startOffset;
  let line = options.startLine;
  let bytes = 0;
  let blankLines = 0;
  let first = true;

  const current = { text: '', blockOffset: 0, invalid: false, charBase: 0, byteBase: 0 };
  const record: SourceRecord & { rec: RawRecord | undefined } = {
    fields: undefined,
    object: undefined,
    line: 0,
    malformed: undefined,
    rec: undefined,
    raw() {
      const r = this.rec!;
      let end = r.end;
      if (current.text.charCodeAt(end - 1) === 10) end--;
      if (current.text.charCodeAt(end - 1) === 13) end--;
      return current.text.slice(r.start, end);
    },
    offset() {
      const r = this.rec!;
      // Walk forward from the last computed point: linear over a block however many rejects.
      if (r.start < current.charBase) {
        current.charBase = 0;
        current.byteBase = 0;
      }
      current.byteBase += Buffer.byteLength(current.text.slice(current.charBase, r.start));
      current.charBase = r.start;
      return current.blockOffset + current.byteBase;
    },
  };

  const raw: RawRecord = { fields: [], start: 0, end: 0, line: 0 };
  const emit = (fields: string[], start: number, end: number, recLine: number, unterminated: boolean) => {
    const r = raw;
    r.fields = fields;
    r.start = start;
    r.end = end;
    r.line = recLine;
    r.unterminated = unterminated;
    const text = current.text;
    const contentLength = r.end - r.start;
    record.rec = r;
    record.line = r.line;
    record.object = undefined;
    record.malformed = undefined;
    record.fields = r.fields;
    // Blank means no content at all: `""` on its own line is a record with one empty field.
    if (r.fields.length === 1 && r.fields[0] === '' && !r.unterminated && (end - start === 0 || text.slice(start, end).trim() === '')) {
      blankLines++;
      return;
    }
    if (contentLength > options.maxLineBytes && Buffer.byteLength(text.slice(r.start, r.end)) > options.maxLineBytes) {
      record.malformed = `record longer than maxLineBytes (${options.maxLineBytes})`;
      const full = record.raw();
      const short = preview(Buffer.from(full));
      onRecord({ ...record, raw: () => short, offset: () => record.offset() });
      return;
    } else if (r.unterminated) {
      record.malformed = 'unterminated quoted field';
    } else if (current.invalid && text.slice(r.start, r.end).includes('\uFFFD')) {
      record.malformed = 'invalid UTF-8';
    } else if (hasNul && text.slice(r.start, r.end).includes('\u0000')) {
      record.malformed = 'NUL byte in record';
    }
    if (options.format === 'jsonl' && record.malformed === undefined) {
      record.fields = undefined;
      const json = record.raw();
      try {
        const value: unknown = JSON.parse(json);
        if (value === null || typeof value !== 'object' || Array.isArray(value)) record.malformed = 'not a JSON object';
        else record.object = value as Record<string, unknown>;
      } catch (e) {
        record.malformed = `invalid JSON: ${(e as Error).message}`;
      }
    }
    onRecord(record);
  };

  const dialect = options.format === 'jsonl' ? { delimiter: '\u0001', quote: '' } : options.dialect;
  let hasNul = false;

  const processText = async (text: string, offset: number, final: boolean) => {
    current.text = text;
    current.blockOffset = offset;
    current.charBase = 0;
    current.byteBase = 0;
    hasNul = text.includes('\u0000');
    const { consumed, lines } = tokenizeBlock(text, dialect, line, final, emit);
    line += lines;
    carry = text.slice(consumed);
    carryOffset = offset + (consumed === 0 ? 0 : Buffer.byteLength(text.slice(0, consumed)));
    if (!final && Buffer.byteLength(carry) > options.maxLineBytes) {
      throw new InputError(options.file, line, `quoted field not closed within maxLineBytes (${options.maxLineBytes})`);
    }
    await onBlockEnd();
  };

  const decode = (buf: Buffer): { text: string; invalid: boolean } => {
    let text = decoder.decode(buf);
    let invalid = false;
    if (text.includes('\uFFFD')) {
      try {
        fatalDecoder.decode(buf);
      } catch {
        invalid = true;
      }
    }
    if (first) {
      first = false;
      if (options.stripBom && text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    }
    return { text, invalid };
  };

  let offset = options.startOffset;
  // A line with no break within 2× the limit is rejected as soon as that is known, then skipped
  // to its end, so memory stays bounded whatever the input.
  const overLimit = options.maxLineBytes * 2 + 4;
  let skipping = false;
  const previewBytes = Math.min(256, options.maxLineBytes);
  // An over-long record's raw text is a preview of its first bytes, whichever path found it.
  const preview = (bytes: Buffer) => `${bytes.subarray(0, previewBytes).toString('utf8')}…`;
  const rejectOverlong = (bytesSoFar: Buffer, at: number) => {
    const text = preview(bytesSoFar);
    onRecord({
      fields: undefined,
      object: undefined,
      line,
      malformed: `record longer than maxLineBytes (${options.maxLineBytes})`,
      raw: () => text,
      offset: () => at,
    });
  };
  for await (const chunk of source) {
    const buf = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    bytes += buf.length;
    let joined: Buffer = pendingBytes ? Buffer.concat([pendingBytes, buf]) : buf;
    pendingBytes = undefined;
    if (skipping) {
      const nl = joined.indexOf(10);
      if (nl === -1) {
        offset += joined.length;
        continue;
      }
      offset += nl + 1;
      line++;
      skipping = false;
      joined = joined.subarray(nl + 1);
    }
    const lastNl = joined.lastIndexOf(10);
    if (lastNl === -1) {
      if (joined.length > overLimit && !carry) {
        rejectOverlong(joined, offset);
        skipping = true;
        offset += joined.length;
      } else pendingBytes = Buffer.from(joined);
      continue;
    }
    const head = joined.subarray(0, lastNl + 1);
    pendingBytes = lastNl + 1 < joined.length ? Buffer.from(joined.subarray(lastNl + 1)) : undefined;
    const { text, invalid } = decode(head);
    current.invalid = invalid;
    const blockStart = offset;
    offset += head.length;
    if (carry) await processText(carry + text, carryOffset, false);
    else await processText(text, blockStart, false);
  }
  if (skipping) {
    line++;
    await onBlockEnd();
    return { lines: line - options.startLine, blankLines, bytes };
  }
  const tail = pendingBytes ? decode(pendingBytes) : { text: '', invalid: false };
  current.invalid = current.invalid || tail.invalid;
  if (carry || tail.text) await processText(carry + tail.text, carry ? carryOffset : offset, true);
  return { lines: line - options.startLine, blankLines, bytes };
}
