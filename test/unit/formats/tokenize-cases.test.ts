import { describe, expect, it } from 'vitest';
import { detectLineBreak, tokenizeBlock, type Dialect, type FastLine } from '../../../shared/formats/delimited.js';
import { classifyReadError } from '../../../shared/formats/read-errors.js';
import { InputError, TransientError } from '../../../shared/errors.js';

const CSV: Dialect = { delimiter: ',', quote: '"', lineBreak: '\n', relaxQuotes: false };
type Rec = [fields: string[], start: number, end: number, line: number, malformed?: string];

/** Every record of a block as [fields, start, end, line, malformed?], with what the tokenizer consumed. */
function tokenize(text: string, options: { dialect?: Partial<Dialect>; final?: boolean; firstLine?: number; max?: number; fastLine?: FastLine } = {}) {
  const records: Rec[] = [];
  const result = tokenizeBlock(text, { ...CSV, ...options.dialect }, options.firstLine ?? 1, options.final ?? true, options.max ?? 1000, (fields, start, end, line, malformed) => {
    records.push(malformed === undefined ? [[...fields], start, end, line] : [[...fields], start, end, line, malformed]);
  }, options.fastLine);
  return { records, ...result };
}

describe('tokenizeBlock', () => {
  it('splits unquoted lines at the delimiter, LF and CRLF alike', () => {
    expect(tokenize('a,b\nc,d\n')).toEqual({ records: [[['a', 'b'], 0, 4, 1], [['c', 'd'], 4, 8, 2]], consumed: 8, lines: 2 });
    expect(tokenize('a,b\r\nc\r\n')).toEqual({ records: [[['a', 'b'], 0, 5, 1], [['c'], 5, 8, 2]], consumed: 8, lines: 2 });
    expect(tokenize('a;b,c\n', { dialect: { delimiter: ';' } }).records).toEqual([[['a', 'b,c'], 0, 6, 1]]);
  });

  it('gives an empty line, or one of only CR, a single empty field', () => {
    expect(tokenize('a\n\nb\n').records).toEqual([[['a'], 0, 2, 1], [[''], 2, 3, 2], [['b'], 3, 5, 3]]);
    expect(tokenize('\r\n').records).toEqual([[[''], 0, 2, 1]]);
    expect(tokenize(',\n').records).toEqual([[['', ''], 0, 2, 1]]);
  });

  it('leaves a last line without its line break to the next block unless the block is final', () => {
    expect(tokenize('a,b\nc', { final: false })).toEqual({ records: [[['a', 'b'], 0, 4, 1]], consumed: 4, lines: 1 });
    expect(tokenize('a,b\nc', { final: true })).toEqual({ records: [[['a', 'b'], 0, 4, 1], [['c'], 4, 5, 2]], consumed: 5, lines: 2 });
    expect(tokenize('', { final: true })).toEqual({ records: [], consumed: 0, lines: 0 });
  });

  it('counts lines from the block\'s first line', () => {
    expect(tokenize('a\nb\n', { firstLine: 10 })).toEqual({ records: [[['a'], 0, 2, 10], [['b'], 2, 4, 11]], consumed: 4, lines: 2 });
  });

  it('reads quoted fields with delimiters, doubled quotes and line breaks', () => {
    expect(tokenize('"a,b","c""d"\n').records).toEqual([[['a,b', 'c"d'], 0, 13, 1]]);
    expect(tokenize('"",a\n').records).toEqual([[['', 'a'], 0, 5, 1]]);
    expect(tokenize('"a",b\n').records).toEqual([[['a', 'b'], 0, 6, 1]]);
    expect(tokenize('b,"a"\n').records).toEqual([[['b', 'a'], 0, 6, 1]]);
    expect(tokenize('"x\ny",z\nw\n')).toEqual({ records: [[['x\ny', 'z'], 0, 8, 1], [['w'], 8, 10, 3]], consumed: 10, lines: 3 });
    expect(tokenize('"a\n\nb"\nc\n').records).toEqual([[['a\n\nb'], 0, 7, 1], [['c'], 7, 9, 4]]);
    expect(tokenize('"""q"""\n').records).toEqual([[['"q"'], 0, 8, 1]]);
  });

  it('ends a quoted record at CRLF, and keeps a CR not before LF as data', () => {
    expect(tokenize('"a"\r\nb\r\n').records).toEqual([[['a'], 0, 5, 1], [['b'], 5, 8, 2]]);
    expect(tokenize('"a",b\r\nc\n').records).toEqual([[['a', 'b'], 0, 7, 1], [['c'], 7, 9, 2]]);
    expect(tokenize('"a",b\rc\n').records).toEqual([[['a', 'b\rc'], 0, 8, 1]]);
  });

  it('reads a quoted record that ends the final block without a line break', () => {
    expect(tokenize('"a",b', { final: true })).toEqual({ records: [[['a', 'b'], 0, 5, 1]], consumed: 5, lines: 1 });
    expect(tokenize('"ab"', { final: true }).records).toEqual([[['ab'], 0, 4, 1]]);
    expect(tokenize('"x",', { final: true }).records).toEqual([[['x', ''], 0, 4, 1]]);
    // A CR that ends the final block, after a closing quote, ends the record.
    expect(tokenize('"a"\r', { final: true }).records.map(([fields, , , line, malformed]) => [fields, line, malformed])).toEqual([[['a'], 1, undefined]]);
    expect(tokenize('"a",b', { final: false })).toEqual({ records: [], consumed: 0, lines: 0 });
    expect(tokenize('x\n"ab"', { final: false })).toEqual({ records: [[['x'], 0, 2, 1]], consumed: 2, lines: 1 });
  });

  it('carries an open quote to the next block, and calls it unterminated at the end of input', () => {
    expect(tokenize('x\n"abc\n', { final: false })).toEqual({ records: [[['x'], 0, 2, 1]], consumed: 2, lines: 1 });
    expect(tokenize('"abc\nd\n', { final: true })).toEqual({
      records: [[[], 0, 5, 1, 'unterminated quoted field 1'], [['d'], 5, 7, 2]],
      consumed: 7,
      lines: 2,
    });
    expect(tokenize('a,"bc\n', { final: true }).records).toEqual([[[], 0, 6, 1, 'unterminated quoted field 2']]);
  });

  it('calls a quote not closed within maxLineBytes unterminated, whether or not the block is final', () => {
    const message = 'unterminated quoted field 1: no closing quote within maxLineBytes (5)';
    expect(tokenize('"abcdefgh"\nz\n', { max: 5, final: false }).records).toEqual([[[], 0, 11, 1, message], [['z'], 11, 13, 2]]);
    expect(tokenize('"abcdefgh\n', { max: 5, final: false }).records).toEqual([[[], 0, 10, 1, message]]);
    expect(tokenize('"abcd"\n', { max: 5 }).records).toEqual([[['abcd'], 0, 7, 1]]);
    expect(tokenize('"abcd"\n', { max: 4 }).records).toEqual([[[], 0, 7, 1, 'unterminated quoted field 1: no closing quote within maxLineBytes (4)']]);
  });

  it('counts maxLineBytes in UTF-8 bytes, not characters', () => {
    // '"ééé' is 4 characters and 7 bytes.
    expect(tokenize('"ééé"\n', { max: 7 }).records).toEqual([[['ééé'], 0, 6, 1]]);
    expect(tokenize('"ééé"\n', { max: 6 }).records).toEqual([[[], 0, 6, 1, 'unterminated quoted field 1: no closing quote within maxLineBytes (6)']]);
    expect(tokenize('"ab"\n', { max: 3 }).records).toEqual([[['ab'], 0, 5, 1]]);
    // Counted from the record's own start, not the block's.
    expect(tokenize('x\n"abcd"\n', { max: 5 }).records).toEqual([[['x'], 0, 2, 1], [['abcd'], 2, 9, 2]]);
  });

  it('rejects a quote inside an unquoted field, or text after a closing quote, and resumes at the next line', () => {
    expect(tokenize('a"b,c\nd\n').records).toEqual([[[], 0, 6, 1, 'quote inside unquoted field 1'], [['d'], 6, 8, 2]]);
    expect(tokenize('x,a"b\n').records).toEqual([[[], 0, 6, 1, 'quote inside unquoted field 2']]);
    expect(tokenize('"a"b,c\nd\n').records).toEqual([[[], 0, 7, 1, 'text after the closing quote of field 1'], [['d'], 7, 9, 2]]);
    expect(tokenize('x,"a" \n').records).toEqual([[[], 0, 7, 1, 'text after the closing quote of field 2']]);
  });

  it('keeps stray quotes literally with relaxQuotes', () => {
    const relaxed = { dialect: { relaxQuotes: true } };
    expect(tokenize('a"b,c\n', relaxed).records).toEqual([[['a"b', 'c'], 0, 6, 1]]);
    expect(tokenize('"a"b,c\n', relaxed).records).toEqual([[['ab', 'c'], 0, 7, 1]]);
    expect(tokenize('"a"b"\r\nx\n', relaxed).records).toEqual([[['ab"'], 0, 7, 1], [['x'], 7, 9, 2]]);
  });

  it('reads quote characters as data when the format has no quote', () => {
    expect(tokenize('"a"\tb\n', { dialect: { delimiter: '\t', quote: '' } }).records).toEqual([[['"a"', 'b'], 0, 6, 1]]);
  });

  it('ends lines at CR alone in CR-only files, also inside quoted records', () => {
    const cr = { dialect: { lineBreak: '\r' as const } };
    expect(tokenize('a,b\rc\r', cr).records).toEqual([[['a', 'b'], 0, 4, 1], [['c'], 4, 6, 2]]);
    expect(tokenize('"x\ry",1\rz\r', cr)).toEqual({ records: [[['x\ry', '1'], 0, 8, 1], [['z'], 8, 10, 3]], consumed: 10, lines: 3 });
    expect(tokenize('a\nb\r', cr).records).toEqual([[['a\nb'], 0, 4, 1]]);
    expect(tokenize('"a\nb"\r', cr).records).toEqual([[['a\nb'], 0, 6, 1]]);
  });

  it('offers whole non-blank lines to the fast reader, a quoted one with its first quote, and emits what it declines', () => {
    const offered: [number, number, number | undefined][] = [];
    const fastLine: FastLine = (text, start, end, _bytes, quote) => {
      offered.push([start, end, quote]);
      return text[start] === 'f';
    };
    expect(tokenize('f1\na\n\n"q"\nf2\r\nf,"x"\n', { fastLine })).toEqual({ records: [[['a'], 3, 5, 2], [[''], 5, 6, 3], [['q'], 6, 10, 4]], consumed: 20, lines: 6 });
    expect(offered).toEqual([[0, 2, undefined], [3, 4, undefined], [6, 9, 6], [10, 12, undefined], [14, 19, 16]]);
    // With relaxQuotes a quote may be text anywhere: only the tokenizer reads such a line.
    offered.length = 0;
    expect(tokenize('f,"x"\nf1\n', { fastLine, dialect: { relaxQuotes: true } }).records).toEqual([[['f', 'x'], 0, 6, 1]]);
    expect(offered).toEqual([[6, 8, undefined]]);
  });
});

describe('tokenizeBlock with a run reader', () => {
  it('lets the run take whole lines until it declines, then reads the declined line itself without offering it again', () => {
    const runs: number[] = [];
    const offered: number[] = [];
    // Takes lines that start with "f" and end in a line break, as a kernel run would.
    const fastRun = (text: string, start: number, taken: { lines: number }) => {
      runs.push(start);
      let pos = start;
      for (;;) {
        const nl = text.indexOf('\n', pos);
        if (nl === -1 || text[pos] !== 'f') return pos;
        taken.lines++;
        pos = nl + 1;
      }
    };
    const fastLine: FastLine = (_text, start) => {
      offered.push(start);
      return false;
    };
    const records: Rec[] = [];
    const result = tokenizeBlock('f1\nf2\n\nf3\nx\nf4\nf5', CSV, 1, true, 1000, (fields, start, end, line) => void records.push([[...fields], start, end, line]), fastLine, undefined, fastRun);
    // The blank line and "x" are the tokenizer's; the last line has no break, so FastLine is offered it.
    expect(records).toEqual([[[''], 6, 7, 3], [['x'], 10, 12, 5], [['f5'], 15, 17, 7]]);
    // A run is not asked again where the last one stopped.
    expect(runs).toEqual([0, 7, 12]);
    expect(offered).toEqual([15]);
    expect(result).toEqual({ consumed: 17, lines: 7 });
  });
});

describe('detectLineBreak', () => {
  it('takes the first line break of the file: LF, CRLF or a lone CR', () => {
    const cases: [string, string][] = [
      ['', '\n'],
      ['abc', '\n'],
      ['a\nb', '\n'],
      ['a\r\nb', '\n'],
      ['a\rb', '\r'],
      ['a\rb\nc', '\r'],
      ['a\nb\rc', '\n'],
      ['a\r', '\n'],
      ['\r\r\n', '\r'],
    ];
    expect(cases.map(([s]) => [s, detectLineBreak(Buffer.from(s))])).toEqual(cases);
  });
});

describe('classifyReadError', () => {
  it('makes gzip faults permanent and connection faults transient', () => {
    const zlib = Object.assign(new Error('incorrect header check'), { code: 'Z_DATA_ERROR' });
    const corrupt = classifyReadError(zlib, 'in/a.gz');
    expect(corrupt).toBeInstanceOf(InputError);
    expect((corrupt as Error).message).toBe('in/a.gz: corrupt or truncated gzip (incorrect header check)');
    expect((corrupt as Error).cause).toBe(zlib);
    const eof = new Error('unexpected end of file');
    expect(classifyReadError(eof, 'in/a.gz')).toEqual(new InputError('in/a.gz', 0, 'truncated gzip'));
    expect((classifyReadError(eof, 'in/a.gz') as Error).message).toBe('in/a.gz: truncated gzip');
    expect((classifyReadError(eof, 'in/a.gz') as Error).cause).toBe(eof);
    for (const code of ['ECONNRESET', 'ETIMEDOUT', 'EPIPE']) {
      const e = Object.assign(new Error('socket hang up'), { code });
      const t = classifyReadError(e, 'in/a.csv');
      expect(t).toBeInstanceOf(TransientError);
      expect([(t as Error).message, (t as Error).cause]).toEqual(['in/a.csv: socket hang up', e]);
    }
    const other = Object.assign(new Error('no such file'), { code: 'ENOENT' });
    expect(classifyReadError(other, 'f')).toBe(other);
    const plain = new Error('boom');
    expect(classifyReadError(plain, 'f')).toBe(plain);
    expect(classifyReadError(undefined, 'f')).toBeUndefined();
  });
});
