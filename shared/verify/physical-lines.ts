export const LF = 10;
export const CR = 13;

/**
 * The physical lines of a byte stream, for the independent reader: a plain count of line breaks,
 * the file's line ending (from its first line break), the BOM, blank lines, and a buffer of the
 * bytes not yet accounted for. Offsets are absolute (bytes from the start of the file). Shares no
 * code with the engine.
 */
export abstract class PhysicalLines {
  protected buf: Buffer = Buffer.alloc(0);
  /** Absolute offset of buf[0]. */
  protected base = 0;
  /** Absolute offset of the first byte not yet accounted for; at a line start unless skipping. */
  protected pos = 0;
  /** Physical line number of the line at `pos`. */
  protected line = 1;
  protected eof = false;
  /** `lf` also covers CRLF and mixed LF/CRLF; undefined until the first line break is seen. */
  protected ending: 'lf' | 'cr' | undefined;
  /** Skipping to the end of the line at `pos` (after a malformed record started on it). */
  protected skipping = false;
  protected blankLines = 0;
  protected bytes = 0;
  private bomChecked = false;
  private bomBytes = 0;
  private lfCount = 0;
  private crCount = 0;
  private lastByte = -1;

  /** Takes the next bytes of the file, keeping those from `pos` on. */
  protected append(chunk: Buffer): void {
    this.bytes += chunk.length;
    for (let i = chunk.indexOf(LF); i !== -1; i = chunk.indexOf(LF, i + 1)) this.lfCount++;
    for (let i = chunk.indexOf(CR); i !== -1; i = chunk.indexOf(CR, i + 1)) this.crCount++;
    this.lastByte = chunk[chunk.length - 1]!;
    const keep = this.buf.subarray(Math.min(this.buf.length, this.pos - this.base));
    this.base += this.buf.length - keep.length;
    this.buf = keep.length ? Buffer.concat([keep, chunk]) : chunk;
  }

  /** Skips a UTF-8 BOM at offset 0, once; false while fewer than 3 bytes are known. */
  protected skipBom(): boolean {
    if (this.bomChecked) return true;
    if (this.buf.length < 3 && !this.eof) return false;
    if (this.buf[0] === 0xef && this.buf[1] === 0xbb && this.buf[2] === 0xbf) this.pos = this.bomBytes = 3;
    this.bomChecked = true;
    return true;
  }

  /** Line breaks counted, plus 1 when bytes follow the last one. */
  protected physicalLines(): number {
    const breaks = this.ending === 'cr' ? this.crCount : this.lfCount;
    return breaks + (this.bytes > this.bomBytes && this.lastByte !== this.terminator ? 1 : 0);
  }

  /** The byte that ends a line: LF, or CR in a CR-only file. */
  protected get terminator(): number {
    return this.ending === 'cr' ? CR : LF;
  }

  protected get dataEnd(): number {
    return this.base + this.buf.length;
  }

  protected at(offset: number): number {
    return this.buf[offset - this.base] ?? -1;
  }

  /** Sets the line ending from the first line break; false when it is not known yet. */
  protected detectEnding(): boolean {
    const from = this.pos - this.base;
    const lf = this.buf.indexOf(LF, from);
    const cr = this.buf.indexOf(CR, from);
    if (cr !== -1 && (lf === -1 || cr < lf)) {
      if (cr + 1 < this.buf.length) this.ending = this.buf[cr + 1] === LF ? 'lf' : 'cr';
      else if (this.eof) this.ending = 'cr';
      else return false;
      return true;
    }
    if (lf !== -1 || this.eof) {
      this.ending = 'lf';
      return true;
    }
    return false;
  }

  /** Length of the line ending at `offset`, 0 when none, -1 when more bytes are needed to tell. */
  private endingAt(offset: number): number {
    const b = this.at(offset);
    if (this.ending === 'cr') return b === CR ? 1 : 0;
    if (b === LF) return 1;
    if (b !== CR) return 0;
    if (offset + 1 >= this.dataEnd) return this.eof ? 0 : -1;
    return this.at(offset + 1) === LF ? 2 : 0;
  }

  /** Counts the blank lines at `pos`; false when more bytes are needed to tell. */
  protected skipBlanks(): boolean {
    for (;;) {
      if (this.pos >= this.dataEnd) return true;
      const n = this.endingAt(this.pos);
      if (n === -1) return false;
      if (n === 0) return true;
      this.pos += n;
      this.line++;
      this.blankLines++;
    }
  }

  /** Moves `pos` past the next line break; false when it is not in the buffer yet. */
  protected skipLine(): boolean {
    if (this.ending === undefined && !this.detectEnding()) {
      // Keep a trailing CR: the next byte tells whether it ends a CRLF line.
      this.pos = Math.max(this.pos, this.at(this.dataEnd - 1) === CR ? this.dataEnd - 1 : this.dataEnd);
      return false;
    }
    const i = this.buf.indexOf(this.terminator, this.pos - this.base);
    if (i === -1) {
      this.pos = this.dataEnd;
      if (this.eof) this.skipping = false;
      return this.eof;
    }
    this.pos = this.base + i + 1;
    this.line++;
    this.skipping = false;
    return true;
  }

  /** Byte length of the line ending that closes bytes ending at `end` (0 at the end of input). */
  protected endingBefore(end: number): number {
    const last = this.at(end - 1);
    if (this.ending === 'cr') return last === CR ? 1 : 0;
    if (last !== LF) return 0;
    return end - 2 >= this.pos && this.at(end - 2) === CR ? 2 : 1;
  }

  /** Lines spanned by the bytes [start, end): the line breaks in it, plus a last line without one. */
  protected spanOf(start: number, end: number): number {
    const t = this.terminator;
    let n = 0;
    for (let i = this.buf.indexOf(t, start - this.base); i !== -1 && i < end - this.base; i = this.buf.indexOf(t, i + 1)) n++;
    return this.at(end - 1) === t ? n : n + 1;
  }

  /** Accounts for the bytes [pos, end) of `lines` lines and moves past them. */
  protected advance(end: number, lines: number): void {
    this.line += lines - (this.at(end - 1) === this.terminator ? 0 : 1);
    this.pos = end;
  }
}
