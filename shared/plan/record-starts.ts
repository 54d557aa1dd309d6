import type { Dialect } from '../formats/delimited.js';

/** Byte offsets `[from, to)`, each a target: the scan finds the first record start at or after each. */
export interface TargetRange {
  readonly from: number;
  readonly to: number;
}

/**
 * Record starts found on the bytes, for the planner: the first record that starts at or after
 * each nominal boundary, where one pass of the reader (`readRecords`) would start one; a range
 * of targets (sorted, apart) stands for each of its offsets, so it yields every record start in
 * it and the first after. It follows
 * the tokenizer's rules (quoted fields over lines, a malformed record spans its first line, a
 * quoted field must close within maxLineBytes of the record's start, comment and blank lines are
 * not records) but builds no text and no fields: lines without a quote are skipped by the
 * thousand with one byte search. The chunking property tests hold it against the reader.
 */
export async function quotedRecordStarts(
  source: AsyncIterable<Uint8Array>,
  start: number,
  nominal: readonly number[] | readonly TargetRange[],
  dialect: Dialect,
  maxLineBytes: number,
  /** Ends the scan after the first start it holds (found and listed). */
  stop?: (at: number) => boolean,
): Promise<number[]> {
  const out: number[] = [];
  const ranges = (nominal as readonly (number | TargetRange)[]).map((n) => (typeof n === 'number' ? { from: n, to: n + 1 } : n));
  // The target: the first byte offset of the ranges past the last record found; `next` its range.
  let next = 0;
  let target = ranges[0]?.from ?? 0;
  const q = dialect.quote.charCodeAt(0);
  const d = dialect.delimiter.charCodeAt(0);
  const nl = dialect.lineBreak.charCodeAt(0);
  const lf = nl === 10;
  const relax = dialect.relaxQuotes;
  const comment = dialect.comment ? Buffer.from(dialect.comment) : undefined;
  // As the reader: a line with no break within 2× the limit is one record, skipped to its end.
  const overLimit = maxLineBytes * 2 + 4;

  let buf: Buffer = Buffer.alloc(0);
  let base = start; // absolute offset of buf[0]
  let pos = 0; // a record start in buf
  let skipping = false;

  const isRecord = (at: number, lineEnd: number) => {
    // A CR is part of the line ending only before an LF (a last line's lone CR is content, as the reader has it).
    const contentEnd = lf && lineEnd > at && lineEnd < buf.length && buf[lineEnd - 1] === 13 ? lineEnd - 1 : lineEnd;
    if (contentEnd <= at) return false; // blank
    return !(comment && buf.subarray(at, at + comment.length).equals(comment));
  };
  const found = (at: number) => {
    out.push(at);
    if (stop?.(at)) {
      next = ranges.length;
      return;
    }
    target = at + 1;
    while (next < ranges.length && ranges[next]!.to <= target) next++;
    if (next < ranges.length) target = Math.max(target, ranges[next]!.from);
  };
  /** Bytes of buf[from, to) as the tokenizer measures them: on the decoded text, where an invalid byte became a 3-byte U+FFFD. */
  const exceeds = (from: number, to: number, final = true) => {
    // Bytes in hand may end inside a character, which the reader never decodes (its text ends at a
    // line break): leave the partial character out, or it would count as a 3-byte U+FFFD.
    if (!final && to === buf.length) to = completeUtf8End(buf, from, to);
    const n = to - from;
    if (n > maxLineBytes) return true;
    if (n * 3 <= maxLineBytes) return false;
    return Buffer.byteLength(buf.toString('utf8', from, to)) > maxLineBytes;
  };
  const atLineEnd = (i: number, length: number, final: boolean) => {
    const c = buf[i];
    return c === nl || (lf && c === 13 && (i + 1 === length ? final : buf[i + 1] === 10));
  };
  const MORE = -2;
  const MALFORMED = -1;
  /** End (past its line ending) of the quoted record at `from`, MALFORMED, or MORE when the bytes in hand cannot tell. */
  const quotedEnd = (from: number, length: number, final: boolean): number => {
    let p = from;
    for (;;) {
      if (p < length && buf[p] === q) {
        p++;
        for (;;) {
          const close = buf.indexOf(q, p);
          if (close === -1 || close >= length || exceeds(from, close)) {
            const tooLong = (close !== -1 && close < length) || exceeds(from, length, final);
            return !tooLong && !final ? MORE : MALFORMED;
          }
          if (close + 1 >= length && !final) return MORE;
          if (buf[close + 1] === q) {
            p = close + 2;
            continue;
          }
          p = close + 1;
          break;
        }
        if (!final && lf && p === length - 1 && buf[p] === 13) return MORE;
        if (p < length && buf[p] !== d && !atLineEnd(p, length, final)) {
          if (!relax) return MALFORMED;
          while (p < length && buf[p] !== d && !atLineEnd(p, length, final)) p++;
        }
      } else {
        while (p < length) {
          const c = buf[p];
          if (c === d || atLineEnd(p, length, final)) break;
          if (c === q && !relax) return MALFORMED;
          p++;
        }
      }
      if (p >= length) return final ? length : MORE;
      if (buf[p] === d) {
        p++;
        continue;
      }
      if (buf[p] === 13 && lf) p++;
      return p + 1;
    }
  };

  /** Advances `pos` over the records in buf; stops where more bytes are needed. */
  const scan = (final: boolean) => {
    const length = buf.length;
    let quoteAt = buf.indexOf(q, pos);
    while (pos < length && next < ranges.length) {
      if (skipping) {
        const e = buf.indexOf(nl, pos);
        if (e === -1) {
          pos = length;
          return;
        }
        pos = e + 1;
        skipping = false;
        continue;
      }
      const lineBreak = buf.indexOf(nl, pos);
      if (lineBreak === -1 && !final) {
        if (length - pos > overLimit) {
          // Not a record if it is a comment, however long (as when its break is in hand).
          if (base + pos >= target && !(comment && buf.subarray(pos, pos + comment.length).equals(comment))) found(base + pos);
          skipping = true;
        }
        return;
      }
      const lineEnd = lineBreak === -1 ? length : lineBreak;
      const after = lineBreak === -1 ? length : lineBreak + 1;
      const rel = target - base;
      if (quoteAt !== -1 && quoteAt < pos) quoteAt = buf.indexOf(q, pos);
      if (quoteAt === -1 || quoteAt >= lineEnd) {
        // Plain lines up to the one with the next quote (or all that are in hand): every line start is a record start.
        const plainEnd = quoteAt !== -1 ? buf.lastIndexOf(nl, quoteAt - 1) + 1 : final ? length : buf.lastIndexOf(nl) + 1;
        const lineAfter = rel <= pos ? -2 : buf.indexOf(nl, rel - 1);
        let at = lineAfter === -2 ? pos : lineAfter === -1 ? length : lineAfter + 1;
        if (at >= plainEnd) {
          pos = plainEnd;
          continue;
        }
        // The first of them at or after the target that is a record (not blank, not a comment).
        while (at < plainEnd) {
          const e = buf.indexOf(nl, at);
          const end = e === -1 ? length : e;
          if (isRecord(at, end)) break;
          at = e === -1 ? length : e + 1;
        }
        if (at < plainEnd) found(base + at);
        pos = at;
        if (pos >= plainEnd) continue;
        // The found record itself is plain: step over it.
        const e = buf.indexOf(nl, pos);
        pos = e === -1 ? length : e + 1;
        continue;
      }
      if (comment && buf.subarray(pos, pos + comment.length).equals(comment)) {
        pos = after;
        continue;
      }
      const end = quotedEnd(pos, length, final);
      if (end === MORE) return;
      if (base + pos >= target) found(base + pos);
      pos = end === MALFORMED ? after : end;
    }
  };

  for await (const piece of source) {
    buf = pos < buf.length ? Buffer.concat([buf.subarray(pos), piece]) : Buffer.from(piece.buffer, piece.byteOffset, piece.byteLength);
    base += pos;
    pos = 0;
    scan(false);
    if (next >= ranges.length) return out;
    if (skipping) {
      base += buf.length;
      buf = Buffer.alloc(0);
      pos = 0;
    }
  }
  if (!skipping) scan(true);
  return out;
}

/** `to`, or where a UTF-8 sequence that `b[from, to)` ends in the middle of starts. */
function completeUtf8End(b: Uint8Array, from: number, to: number): number {
  let i = to - 1;
  let tail = 0;
  while (i >= from && tail < 3 && (b[i]! & 0xc0) === 0x80) {
    i--;
    tail++;
  }
  if (i < from) return to;
  const lead = b[i]!;
  const need = lead >= 0xf0 ? 4 : lead >= 0xe0 ? 3 : lead >= 0xc0 ? 2 : 1;
  return need > tail + 1 ? i : to;
}
