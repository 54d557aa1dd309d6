import { isUtf8 } from 'node:buffer';
import { tokenizeBlock, type Dialect, type FastLine, type FastRun, type RawRecord } from './delimited.js';

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
  /** Skip a UTF-8 byte order mark at the very start. */
  readonly stripBom: boolean;
  /**
   * Absolute byte offset where the next chunk's records begin. The source may run past it (a
   * look-ahead, so a record near the end is judged on the same bytes as in one pass); records
   * that start at or after it are left to the next chunk.
   */
  readonly stopAt?: number;
  /** Absolute byte offsets of lines skipped as records (format.skipRows lines after the header). */
  readonly skipOffsets?: readonly number[];
  /**
   * The processor's own reader for plain lines (see FastLine). It is offered only lines the
   * reader has nothing to say about: valid UTF-8 without NUL, well under maxLineBytes, before `stopAt`.
   */
  readonly fastLine?: FastLine;
  /** The same for runs of lines (see FastRun), offered the same lines; FastLine still takes a last line with no break. */
  readonly fastRun?: FastRun;
}

/** Lines up to this many UTF-16 units are within `maxLineBytes` whatever their bytes: the ones the fast reader is offered. */
export const fastLineChars = (maxLineBytes: number): number => Math.floor(maxLineBytes / 3) - 2;

export interface ReadTotals {
  /** Physical lines read, up to the first record left to the next chunk. */
  lines: number;
  blankLines: number;
  /** Of those, lines skipped whole: comments and skipRows lines. */
  skippedLines: number;
  bytes: number;
}

const BOM = Buffer.from([0xef, 0xbb, 0xbf]);
const fatalDecoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
// ignoreBOM: a U+FEFF inside the data is data; only the file's first bytes are a BOM (stripBom).
const decoder = new TextDecoder('utf-8', { ignoreBOM: true });

/**
 * Streams records out of a byte source. Blocks are cut at the last line break, so decoding never
 * splits a UTF-8 sequence and byte offsets are exact, also after invalid bytes (offsets are
 * counted on the bytes, never on the decoded text). Invalid UTF-8 and over-long records become
 * malformed records, not crashes. `onBlockEnd` runs after each block so the caller can flush
 * with backpressure.
 */
export async function readRecords(
  source: AsyncIterable<Uint8Array>,
  options: ReadOptions,
  onRecord: (record: SourceRecord) => void,
  onBlockEnd: () => Promise<void> | void,
): Promise<ReadTotals> {
  const lineByte = options.dialect.lineBreak.charCodeAt(0);
  const lf = lineByte === 10;
  const dialect: Dialect = options.format === 'jsonl' ? { delimiter: '\u0001', quote: '', lineBreak: options.dialect.lineBreak, relaxQuotes: false, comment: options.dialect.comment } : options.dialect;
  const stopAt = options.stopAt;
  // Any line within a third of the limit in UTF-16 units is within it in bytes.
  const fastChars = fastLineChars(options.maxLineBytes);
  const given = options.fastLine;
  const givenRun = options.fastRun;
  const fastRun = givenRun && ((t: string, s: number, taken: { lines: number }) => givenRun(t, s, current.ascii ? current.view : undefined, taken));
  // In an ASCII block a character's offset is its byte's: the processor may read the bytes.
  const fast: FastLine | undefined = given && ((t, s, e, _bytes, quote) => e - s <= fastChars && given(t, s, e, current.ascii ? current.view : undefined, quote));
  let pending: Buffer | undefined;
  let offset = options.startOffset;
  let line = options.startLine;
  let bytes = 0;
  let blankLines = 0;
  let skippedLines = 0;
  const skipOffsets = new Set(options.skipOffsets ?? []);
  // Skipped line starts within the block being read; none for most blocks.
  let blockSkips = false;
  let first = options.stripBom;
  let stopped = false;

  // The block being tokenized: its text, its bytes, and a cursor that maps line-start characters to bytes.
  // view: the bytes as a plain Uint8Array (Buffer's own indexOf is a slow path for generated code).
  const current = { text: '', bytes: Buffer.alloc(0), view: new Uint8Array(0), offset: 0, ascii: true, invalid: false, hasNul: false, charBase: 0, byteBase: 0 };
  /** Absolute byte offset of a character that starts a line (every record start does). */
  const byteAt = (char: number): number => {
    if (current.ascii) return current.offset + char;
    if (char < current.charBase) {
      current.charBase = 0;
      current.byteBase = 0;
    }
    if (!current.invalid) {
      current.byteBase += Buffer.byteLength(current.text.slice(current.charBase, char));
    } else {
      // Invalid bytes decode to U+FFFD, so count line breaks instead: they decode one to one.
      for (let i = current.text.indexOf(dialect.lineBreak, current.charBase); i !== -1 && i < char; i = current.text.indexOf(dialect.lineBreak, i + 1)) {
        current.byteBase = current.bytes.indexOf(lineByte, current.byteBase) + 1;
      }
    }
    current.charBase = char;
    return current.offset + current.byteBase;
  };
  const record: SourceRecord & { rec: RawRecord | undefined } = {
    fields: undefined,
    object: undefined,
    line: 0,
    malformed: undefined,
    rec: undefined,
    raw() {
      const r = this.rec!;
      let end = r.end;
      if (current.text.charCodeAt(end - 1) === lineByte) end--;
      if (lf && current.text.charCodeAt(end - 1) === 13) end--;
      return current.text.slice(r.start, end);
    },
    offset() {
      return knownStart >= 0 ? knownStart : byteAt(this.rec!.start);
    },
  };
  // The record's byte offset when emit already needed it (the cursor only moves forward cheaply).
  let knownStart = -1;

  const raw: RawRecord = { fields: [], start: 0, end: 0, line: 0, malformed: undefined };
  /** Whether the line at `start` belongs to the next chunk: then reading stops there. */
  const pastStop = (start: number, recLine: number): boolean => {
    if (stopAt !== undefined && current.offset + current.bytes.length > stopAt && byteAt(start) >= stopAt) {
      stopped = true;
      line = recLine;
      return true;
    }
    return false;
  };
  const skipComment = (start: number, _end: number, recLine: number) => {
    if (stopped || pastStop(start, recLine)) return;
    skippedLines++;
  };
  const emit = (fields: string[], start: number, end: number, recLine: number, malformed: string | undefined) => {
    if (stopped) return;
    knownStart = -1;
    if (pastStop(start, recLine)) return;
    raw.fields = fields;
    raw.start = start;
    raw.end = end;
    raw.line = recLine;
    raw.malformed = malformed;
    const text = current.text;
    record.rec = raw;
    record.line = recLine;
    record.object = undefined;
    record.malformed = malformed;
    record.fields = fields;
    // Blank means no characters at all before the line ending: `""` or a space is a record.
    const contentEnd = end - (text.charCodeAt(end - 1) === lineByte ? 1 : 0) - (lf && text.charCodeAt(end - 2) === 13 && text.charCodeAt(end - 1) === 10 ? 1 : 0);
    if (malformed === undefined && contentEnd <= start) {
      blankLines++;
      return;
    }
    if (blockSkips && skipOffsets.has(byteAt(start))) {
      // A skipRows line: the record that starts on it is skipped whole, every physical line of it.
      let n = end >= text.length && text.charCodeAt(end - 1) !== lineByte ? 1 : 0;
      for (let i = text.indexOf(dialect.lineBreak, start); i !== -1 && i < end; i = text.indexOf(dialect.lineBreak, i + 1)) n++;
      skippedLines += n;
      return;
    }
    // Also for a malformed record (its first line): the same verdict as the unbroken-line check below, whatever the block cuts.
    // Counted in bytes: a UTF-16 unit is one to three of them, so only lengths in between need the count.
    const units = end - start;
    // After invalid bytes the decoded text is longer than the bytes (each became a 3-byte U+FFFD): count the bytes.
    const bytesOf = () => {
      knownStart = byteAt(start);
      return (end >= text.length ? current.offset + current.bytes.length : byteAt(end)) - knownStart;
    };
    if (units > options.maxLineBytes || (units * 3 > options.maxLineBytes && (current.invalid ? bytesOf() : Buffer.byteLength(text.slice(start, end))) > options.maxLineBytes)) {
      record.malformed = `record longer than maxLineBytes (${options.maxLineBytes})`;
      // The preview is of the file's bytes, as the unbroken-line check below takes it.
      knownStart = byteAt(start);
      const from = knownStart - current.offset;
      const to = (end >= text.length ? current.bytes.length : byteAt(end) - current.offset) - (end - contentEnd);
      const short = preview(current.bytes.subarray(from, to));
      onRecord({ ...record, raw: () => short, offset: () => record.offset() });
      return;
    }
    if (malformed === undefined) {
      if (current.invalid && text.slice(start, end).includes('\uFFFD')) {
        // A U+FFFD may be data (EF BF BD); only the record's own bytes tell.
        knownStart = byteAt(start);
        const to = end >= text.length ? current.offset + current.bytes.length : byteAt(end);
        if (!isUtf8(current.bytes.subarray(knownStart - current.offset, to - current.offset))) record.malformed = 'invalid UTF-8';
      }
      else if (current.hasNul && text.slice(start, end).includes('\u0000')) record.malformed = 'NUL byte in record';
    }
    if (options.format === 'jsonl' && record.malformed === undefined) {
      record.fields = undefined;
      try {
        const value: unknown = JSON.parse(record.raw());
        if (value === null || typeof value !== 'object' || Array.isArray(value)) record.malformed = 'not a JSON object';
        else record.object = value as Record<string, unknown>;
      } catch (e) {
        record.malformed = `invalid JSON: ${(e as Error).message}`;
      }
    }
    onRecord(record);
  };

  /** Tokenizes `head` (bytes starting at a record start) and returns the bytes of a record left open. */
  const processBytes = async (head: Buffer, at: number, final: boolean): Promise<Buffer | undefined> => {
    const text = decoder.decode(head);
    let invalid = false;
    if (text.includes('\uFFFD')) {
      try {
        fatalDecoder.decode(head);
      } catch {
        invalid = true;
      }
    }
    Object.assign(current, { text, bytes: head, view: new Uint8Array(head.buffer, head.byteOffset, head.byteLength), offset: at, ascii: text.length === head.length && !invalid, invalid, hasNul: text.includes('\u0000'), charBase: 0, byteBase: 0 });
    blockSkips = false;
    for (const o of skipOffsets) if (o >= at && o < at + head.length) blockSkips = true;
    const plain = fast !== undefined && !blockSkips && !invalid && !current.hasNul && (stopAt === undefined || at + head.length <= stopAt);
    const { consumed, lines } = tokenizeBlock(text, dialect, line, final, options.maxLineBytes, emit, plain ? fast : undefined, skipComment, plain ? fastRun : undefined);
    if (!stopped) line += lines;
    await onBlockEnd();
    return consumed >= text.length ? undefined : head.subarray(byteAt(consumed) - at);
  };

  // A line with no break within 2× the limit is rejected as soon as that is known, then skipped
  // to its end, so memory stays bounded whatever the input.
  const overLimit = options.maxLineBytes * 2 + 4;
  const commentPrefix = dialect.comment ? Buffer.from(dialect.comment) : undefined;
  let skipping = false;
  const previewBytes = Math.min(256, options.maxLineBytes);
  // An over-long record's raw text is a preview of its first bytes, whichever path found it.
  const preview = (b: Buffer) => `${b.subarray(0, previewBytes).toString('utf8')}…`;
  const rejectOverlong = (bytesSoFar: Buffer, at: number) => {
    const text = preview(bytesSoFar);
    onRecord({ fields: undefined, object: undefined, line, malformed: `record longer than maxLineBytes (${options.maxLineBytes})`, raw: () => text, offset: () => at });
  };
  for await (const chunk of source) {
    let buf = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    bytes += buf.length;
    if (first) {
      // The BOM may arrive split over the source's first pieces.
      if (pending) buf = Buffer.concat([pending, buf]);
      pending = undefined;
      if (buf.length < 3 && BOM.subarray(0, buf.length).equals(buf)) {
        pending = Buffer.from(buf);
        continue;
      }
      first = false;
      if (BOM.equals(buf.subarray(0, 3))) {
        buf = buf.subarray(3);
        offset += 3;
      }
    }
    let joined: Buffer = pending ? Buffer.concat([pending, buf]) : buf;
    pending = undefined;
    if (skipping) {
      const nl = joined.indexOf(lineByte);
      if (nl === -1) {
        offset += joined.length;
        continue;
      }
      offset += nl + 1;
      line++;
      skipping = false;
      joined = joined.subarray(nl + 1);
    }
    const lastNl = joined.lastIndexOf(lineByte);
    if (lastNl === -1) {
      if (joined.length > overLimit) {
        // A comment or a listed skipRows line is skipped whole however long, as the tokenizer skips it when its break is in hand.
        if ((commentPrefix && joined.subarray(0, commentPrefix.length).equals(commentPrefix)) || skipOffsets.has(offset)) skippedLines++;
        else rejectOverlong(joined, offset);
        skipping = true;
        offset += joined.length;
      } else pending = Buffer.from(joined);
      continue;
    }
    const head = joined.subarray(0, lastNl + 1);
    const rest = joined.subarray(lastNl + 1);
    let open = await processBytes(head, offset, false);
    if (stopped) break;
    offset += head.length - (open?.length ?? 0);
    pending = open || rest.length ? Buffer.concat([open ?? Buffer.alloc(0), rest]) : undefined;
    if (open && pending!.length > overLimit) {
      // An open quoted record followed by a long unbroken line: with over maxLineBytes from its
      // start in hand, the tokenizer can judge the record now (memory stays bounded).
      open = await processBytes(pending!, offset, false);
      if (stopped) break;
      offset += pending!.length - (open?.length ?? 0);
      pending = open;
    }
  }
  if (!stopped) {
    if (skipping) line++;
    else if (pending?.length) await processBytes(pending, offset, true);
    else await onBlockEnd();
  }
  return { lines: line - options.startLine, blankLines, skippedLines, bytes };
}
