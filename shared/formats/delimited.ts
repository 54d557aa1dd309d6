/** Dialect of a delimited text file: the config's choices and the file's own line break. */
export interface Dialect {
  readonly delimiter: string;
  /** Quote character, or '' when the format has no quoting (plain TSV). */
  readonly quote: string;
  /** `\n` for LF and CRLF files (a `\r` before it belongs to the line ending), `\r` for CR-only files. */
  readonly lineBreak: '\n' | '\r';
  /** Quotes inside unquoted fields and text after a closing quote are kept literally instead of making the record malformed. */
  readonly relaxQuotes: boolean;
  /** A line that starts with this is a comment, skipped whole (none when unset or ''). */
  readonly comment?: string;
}

/**
 * Receives each record; positional arguments so the hot loop allocates no record object.
 * `malformed` says why the record cannot be read; it then spans its first physical line only.
 */
export type RecordCallback = (fields: string[], start: number, end: number, line: number, malformed: string | undefined) => void;

/**
 * Takes a whole non-blank line `text[start, end)` (no line ending) as one record when it can,
 * and then the tokenizer does not emit it; false to have it emitted as usual. `bytes`, when
 * given, is the block's bytes at the text's offsets (an ASCII block). `quote` is the offset of
 * the line's first quote character, for a line that has one (then the reader must find the
 * record's fields as RFC 4180 does, or decline); lines with quotes are offered only in a strict
 * dialect (no relaxQuotes).
 */
export type FastLine = (text: string, start: number, end: number, bytes?: Uint8Array, quote?: number) => boolean;

/**
 * Takes consecutive whole lines from `start`, each ending in a line break, as records, the way
 * FastLine takes one (ASCII bytes, quotes and all); stops at the first it does not take and
 * returns where it stopped, with the lines taken added to `taken.lines`. One call for a run of
 * lines keeps the tokenizer's per-line work off the common path.
 */
export type FastRun = (text: string, start: number, bytes: Uint8Array | undefined, taken: { lines: number }) => number;

/** One record as the tokenizer sees it. `line` is 1-based and physical (a quoted newline counts). */
export interface RawRecord {
  fields: string[];
  /** Offset of the record's first character in the block string. */
  start: number;
  /** Offset just past the record's line ending. */
  end: number;
  line: number;
  malformed: string | undefined;
}

/** The line break of a file, from its first one: a lone CR makes a CR-only file; LF and CRLF both end lines at LF. */
export function detectLineBreak(head: Uint8Array): '\n' | '\r' {
  for (let i = 0; i < head.length; i++) {
    const b = head[i];
    if (b === 10) return '\n';
    if (b === 13) return head[i + 1] === 10 || i + 1 === head.length ? '\n' : '\r';
  }
  return '\n';
}

/** Bytes of `text[start, end)` exceed `limit`, computed only when the length in UTF-16 units leaves it open. */
function exceeds(text: string, start: number, end: number, limit: number): boolean {
  const units = end - start;
  if (units > limit) return true; // a UTF-16 unit is at least one byte
  if (units * 3 <= limit) return false; // and at most three
  return Buffer.byteLength(text.slice(start, end)) > limit;
}

/**
 * Splits a block of text that ends at a line break into records.
 * Lines without a quote character take a fast path (`split`); others a character scan that
 * follows RFC 4180: a quoted field may hold delimiters, line breaks and doubled quotes, and its
 * closing quote must be followed by the delimiter, the line end or the end of input. A record
 * that breaks these rules (a quote inside an unquoted field, text after a closing quote, a quote
 * not closed within `maxRecordBytes` of the record's start or by the end of input) is reported
 * malformed on its own, and reading resumes at the next physical line, so it never takes other
 * lines with it. A record left open at the block's end is not emitted; the returned `consumed`
 * is its start, so the caller can carry it into the next block.
 */
export function tokenizeBlock(
  text: string,
  dialect: Dialect,
  firstLine: number,
  final: boolean,
  maxRecordBytes: number,
  onRecord: RecordCallback,
  fastLine?: FastLine,
  onComment?: (start: number, end: number, line: number) => void,
  fastRun?: (text: string, start: number, taken: { lines: number }) => number,
): { consumed: number; lines: number } {
  const { delimiter, quote, lineBreak } = dialect;
  const comment = dialect.comment ?? '';
  const lf = lineBreak === '\n';
  const length = text.length;
  let pos = 0;
  let line = firstLine;
  let nextQuote = quote === '' ? -1 : text.indexOf(quote);
  const taken = { lines: 0 };
  // Where the run last stopped: the line there is the tokenizer's, and FastLine would say the same.
  let declined = -1;
  while (pos < length) {
    if (fastRun !== undefined && declined !== pos) {
      taken.lines = 0;
      const to = fastRun(text, pos, taken);
      // A run stops at a line it does not take (or at the end of the lines that have a break).
      declined = to;
      if (to !== pos) {
        pos = to;
        line += taken.lines;
        continue;
      }
    }
    const nl = text.indexOf(lineBreak, pos);
    // A run takes only lines that end in a break: the file's last line, without one, is still offered.
    const offer = fastLine !== undefined && (declined !== pos || nl === -1);
    if (nl === -1 && !final) break;
    const lineEnd = nl === -1 ? length : nl;
    const next = nl === -1 ? length : nl + 1;
    // A comment is a whole line, quotes and all, checked where a record would start.
    if (comment !== '' && text.startsWith(comment, pos)) {
      onComment?.(pos, next, line);
      pos = next;
      line++;
      continue;
    }
    if (nextQuote !== -1 && nextQuote < pos) nextQuote = text.indexOf(quote, pos);
    const contentEnd = lf && lineEnd > pos && text.charCodeAt(lineEnd - 1) === 13 ? lineEnd - 1 : lineEnd;
    if (nextQuote === -1 || nextQuote >= lineEnd) {
      if (offer && contentEnd > pos && fastLine(text, pos, contentEnd)) {
        pos = next;
        line++;
        continue;
      }
      onRecord(contentEnd === pos ? [''] : text.slice(pos, contentEnd).split(delimiter), pos, next, line, undefined);
      pos = next;
      line++;
      continue;
    }
    // A record on one line with simple quoted fields: the fast reader takes it if it can.
    if (offer && !dialect.relaxQuotes && fastLine(text, pos, contentEnd, undefined, nextQuote)) {
      pos = next;
      line++;
      continue;
    }
    const parsed = scanQuoted(text, pos, dialect, final, maxRecordBytes);
    if (parsed === undefined) break; // open quote: carry over
    if (typeof parsed === 'string') {
      onRecord(EMPTY, pos, next, line, parsed);
      pos = next;
      line++;
      continue;
    }
    onRecord(parsed.fields, pos, parsed.end, line, undefined);
    line += parsed.lines;
    pos = parsed.end;
  }
  return { consumed: pos, lines: line - firstLine };
}

const EMPTY: string[] = [];

/**
 * Character scan of one record from `start`: its fields and end, the reason it is malformed, or
 * undefined when more text is needed to tell.
 */
function scanQuoted(text: string, start: number, dialect: Dialect, final: boolean, maxRecordBytes: number): { fields: string[]; end: number; lines: number } | string | undefined {
  const { delimiter, quote, lineBreak, relaxQuotes } = dialect;
  const fields: string[] = [];
  const d = delimiter.charCodeAt(0);
  const q = quote.charCodeAt(0);
  const nl = lineBreak.charCodeAt(0);
  const lf = nl === 10;
  const length = text.length;
  // At `i`: the line break, or (LF files) a CR right before it.
  const atLineEnd = (i: number) => {
    const c = text.charCodeAt(i);
    // A CR that ends the text is a line end only when no more text can follow.
    return c === nl || (lf && c === 13 && (i + 1 === length ? final : text.charCodeAt(i + 1) === 10));
  };
  let pos = start;
  let lines = 1;
  for (;;) {
    let field = '';
    if (pos < length && text.charCodeAt(pos) === q) {
      pos++;
      let from = pos;
      for (;;) {
        const close = text.indexOf(quote, pos);
        if (close === -1 || exceeds(text, start, close, maxRecordBytes)) {
          // Decided by the bytes within maxRecordBytes of the start alone, so every chunking agrees.
          const tooLong = close !== -1 || exceeds(text, start, length, maxRecordBytes);
          if (!tooLong && !final) return undefined;
          return `unterminated quoted field ${fields.length + 1}${tooLong ? `: no closing quote within maxLineBytes (${maxRecordBytes})` : ''}`;
        }
        for (let i = pos; i < close; i++) if (text.charCodeAt(i) === nl) lines++;
        if (close + 1 >= length && !final) return undefined; // the next character decides
        if (text.charCodeAt(close + 1) === q) {
          field += text.slice(from, close + 1);
          pos = close + 2;
          from = pos;
          continue;
        }
        field += text.slice(from, close);
        pos = close + 1;
        break;
      }
      if (!final && lf && pos === length - 1 && text.charCodeAt(pos) === 13) return undefined; // CR, then LF or not: the next text decides
      if (pos < length && text.charCodeAt(pos) !== d && !atLineEnd(pos)) {
        if (!relaxQuotes) return `text after the closing quote of field ${fields.length + 1}`;
        // Lenient: kept literally up to the delimiter or the line end.
        const from = pos;
        while (pos < length && text.charCodeAt(pos) !== d && !atLineEnd(pos)) pos++;
        field += text.slice(from, pos);
      }
    } else {
      const from = pos;
      while (pos < length) {
        const c = text.charCodeAt(pos);
        if (c === d || atLineEnd(pos)) break;
        if (c === q && !relaxQuotes) return `quote inside unquoted field ${fields.length + 1}`;
        pos++;
      }
      field = text.slice(from, pos);
    }
    fields.push(field);
    if (pos >= length) return final ? { fields, end: length, lines } : undefined;
    if (text.charCodeAt(pos) === d) {
      pos++;
      continue;
    }
    if (text.charCodeAt(pos) === 13 && lf) pos++;
    return { fields, end: pos + 1, lines };
  }
}
