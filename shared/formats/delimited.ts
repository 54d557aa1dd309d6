/** Dialect of a delimited text file, resolved from the config once. */
export interface Dialect {
  readonly delimiter: string;
  /** Quote character, or '' when the format has no quoting (plain TSV). */
  readonly quote: string;
}

/** Receives each record; positional arguments so the hot loop allocates no record object. */
export type RecordCallback = (fields: string[], start: number, end: number, line: number, unterminated: boolean) => void;

/** One record as the tokenizer sees it. `line` is 1-based and physical (a quoted newline counts). */
export interface RawRecord {
  fields: string[];
  /** Offset of the record's first character in the block string. */
  start: number;
  /** Offset just past the record's line ending. */
  end: number;
  line: number;
  /** A quote opened and never closed before the end of input. */
  unterminated?: boolean;
}

/**
 * Splits a block of text that ends at a line break into records.
 * Lines without a quote character take a fast path (`split`), others a character scan
 * following RFC 4180 (doubled quotes, quoted delimiters and line breaks).
 * A quoted record left open at the block's end is not emitted; its start is returned
 * so the caller can carry it into the next block.
 */
export function tokenizeBlock(
  text: string,
  dialect: Dialect,
  firstLine: number,
  final: boolean,
  onRecord: RecordCallback,
): { consumed: number; lines: number } {
  const { delimiter, quote } = dialect;
  const length = text.length;
  let pos = 0;
  let line = firstLine;
  let nextQuote = quote === '' ? -1 : text.indexOf(quote);
  while (pos < length) {
    const nl = text.indexOf('\n', pos);
    const lineEnd = nl === -1 ? length : nl;
    const next = nl === -1 ? length : nl + 1;
    if (nl === -1 && !final) break;
    const contentEnd = lineEnd > pos && text.charCodeAt(lineEnd - 1) === 13 ? lineEnd - 1 : lineEnd;
    if (nextQuote !== -1 && nextQuote < pos) nextQuote = text.indexOf(quote, pos);
    if (nextQuote === -1 || nextQuote >= lineEnd) {
      const fields = contentEnd === pos ? [''] : text.slice(pos, contentEnd).split(delimiter);
      onRecord(fields, pos, next, line, false);
      pos = next;
      line++;
      continue;
    }
    const parsed = scanQuoted(text, pos, delimiter, quote, final);
    if (parsed === undefined) break; // open quote: carry over
    onRecord(parsed.fields, pos, parsed.end, line, parsed.unterminated === true);
    line += parsed.lines;
    pos = parsed.end;
  }
  return { consumed: pos, lines: line - firstLine };
}

/** Character scan of one record from `start`. Undefined when a quote is still open at the end of `text` and more may come. */
function scanQuoted(
  text: string,
  start: number,
  delimiter: string,
  quote: string,
  final: boolean,
): { fields: string[]; end: number; lines: number; unterminated?: true } | undefined {
  const fields: string[] = [];
  const d = delimiter.charCodeAt(0);
  const q = quote.charCodeAt(0);
  let field = '';
  let pos = start;
  let lines = 1;
  const length = text.length;
  for (;;) {
    // At the start of a field.
    if (pos < length && text.charCodeAt(pos) === q) {
      pos++;
      let from = pos;
      for (;;) {
        const close = text.indexOf(quote, pos);
        if (close === -1) {
          if (!final) return undefined;
          // Unterminated at end of input: keep what there is, the caller rejects it.
          field += text.slice(from);
          for (let i = from; i < length; i++) if (text.charCodeAt(i) === 10) lines++;
          fields.push(field);
          return { fields, end: length, lines, unterminated: true };
        }
        for (let i = pos; i < close; i++) if (text.charCodeAt(i) === 10) lines++;
        if (close + 1 < length && text.charCodeAt(close + 1) === q) {
          field += text.slice(from, close + 1);
          pos = close + 2;
          from = pos;
          continue;
        }
        if (close + 1 >= length && !final) return undefined; // might be a doubled quote split by the block end
        field += text.slice(from, close);
        pos = close + 1;
        break;
      }
      // Text after the closing quote up to the delimiter is kept literally.
      while (pos < length) {
        const c = text.charCodeAt(pos);
        if (c === d || c === 10 || (c === 13 && text.charCodeAt(pos + 1) === 10)) break;
        field += text[pos];
        pos++;
      }
    } else {
      let i = pos;
      while (i < length) {
        const c = text.charCodeAt(i);
        if (c === d || c === 10) break;
        i++;
      }
      field = text.slice(pos, i);
      if (i < length && text.charCodeAt(i) === 10 && field.charCodeAt(field.length - 1) === 13) field = field.slice(0, -1);
      else if (i === length && field.charCodeAt(field.length - 1) === 13) field = field.slice(0, -1);
      pos = i;
    }
    fields.push(field);
    field = '';
    if (pos >= length) return { fields, end: length, lines };
    const c = text.charCodeAt(pos);
    if (c === d) {
      pos++;
      continue;
    }
    if (c === 13) pos++;
    return { fields, end: pos + 1, lines };
  }
}
