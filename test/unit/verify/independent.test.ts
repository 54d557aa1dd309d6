import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { readIndependent, type IndependentFormat, type IndependentRecord } from '../../../shared/verify/independent.js';
import { LineSequence } from '../../../shared/verify/line-sequence.js';

const CSV: IndependentFormat = { type: 'csv', delimiter: ',', quote: '"', relaxQuotes: false, header: true, maxLineBytes: 1000 , skipCount: 0, skipLines: new Set<number>(), comment: ''};

/** Reads `content` fed in pieces of `split` bytes (0: at once) with a csv-parse window of `window` bytes. */
async function read(content: string | Buffer, format: Partial<IndependentFormat> = {}, split = 0, window?: number) {
  const bytes = typeof content === 'string' ? Buffer.from(content) : content;
  const pieces = split ? Array.from({ length: Math.ceil(bytes.length / split) }, (_, i) => bytes.subarray(i * split, (i + 1) * split)) : [bytes];
  const records: IndependentRecord[] = [];
  const r = await readIndependent(pieces, { ...CSV, ...format }, { onRecords: (batch) => void records.push(...batch), windowBytes: window });
  return {
    ...r,
    /** [start line, lines spanned, fields or the malformed reason] per record. */
    rows: records.map((x) => [x.line, x.lines, x.fields ?? x.object ?? x.malformed]),
    offsets: records.map((x) => x.offset),
    accounted: r.headerLines + r.recordLines + r.blankLines,
  };
}

describe('the independent reader (csv-parse strict and a count of line breaks)', () => {
  it('skips a comment line cut by a read as one comment, wherever the cut falls (found in review)', async () => {
    const text = `a,b\n1,2\n#${'x'.repeat(20)}\n3,4\n`;
    for (let cut = 1; cut < text.length; cut++) {
      const bytes = Buffer.from(text);
      const records: IndependentRecord[] = [];
      const r = await readIndependent([bytes.subarray(0, cut), bytes.subarray(cut)], { ...CSV, comment: '#' }, { onRecords: (batch) => void records.push(...batch) });
      expect([records.map((x) => [x.line, x.fields]), r.skippedLines, r.physicalLines], `cut at ${cut}`).toEqual([
        [
          [2, ['1', '2']],
          [4, ['3', '4']],
        ],
        1,
        4,
      ]);
    }
  });

  it('reads LF and CRLF files alike and counts their lines', async () => {
    for (const eol of ['\n', '\r\n']) {
      const r = await read(`a,b${eol}1,2${eol}3,4${eol}`);
      expect([r.lineEnding, r.header, r.rows, r.physicalLines, r.headerLines, r.accounted]).toEqual(['lf', ['a', 'b'], [[2, 1, ['1', '2']], [3, 1, ['3', '4']]], 3, 1, 3]);
    }
  });

  it('takes mixed LF and CRLF lines in one file, the CR being part of the ending', async () => {
    const r = await read('a,b\r\n1,2\n3,4\r\n5,6');
    expect(r.rows).toEqual([[2, 1, ['1', '2']], [3, 1, ['3', '4']], [4, 1, ['5', '6']]]);
    expect([r.physicalLines, r.offsets]).toEqual([4, [5, 9, 14]]);
  });

  it('ends lines at CR when the first line break is a lone CR, and keeps LF inside them as data', async () => {
    const r = await read('a,b\r1,2\r3,x\ny\r\r5,"p\rq"\r');
    expect(r.lineEnding).toBe('cr');
    expect(r.rows).toEqual([[2, 1, ['1', '2']], [3, 1, ['3', 'x\ny']], [5, 2, ['5', 'p\rq']]]);
    expect([r.physicalLines, r.blankLines, r.accounted]).toEqual([6, 1, 6]);
  });

  it('keeps a lone CR inside an LF line as data', async () => {
    const r = await read('a,b\n1,x\ry\n');
    expect(r.rows).toEqual([[2, 1, ['1', 'x\ry']]]);
  });

  it('skips a UTF-8 BOM at the start only, and keeps byte offsets of the file', async () => {
    const r = await read('\uFEFFa,b\n\uFEFF1,2\n');
    expect([r.header, r.rows, r.offsets]).toEqual([['a', 'b'], [[2, 1, ['\uFEFF1', '2']]], [7]]);
  });

  it('counts empty lines as blank, not records, but reads a line of spaces and a lone "" as records', async () => {
    const r = await read('a,b\n\n1,2\r\n\r\n   \n""\n\n');
    expect(r.rows).toEqual([[3, 1, ['1', '2']], [5, 1, ['   ']], [6, 1, ['']]]);
    expect([r.blankLines, r.physicalLines, r.records, r.accounted]).toEqual([3, 7, 3, 7]);
  });

  it('counts a last line without a line break, and no line for an empty file or a BOM alone', async () => {
    expect((await read('a,b\n1,2')).physicalLines).toBe(2);
    expect((await read('')).physicalLines).toBe(0);
    expect((await read('\uFEFF')).physicalLines).toBe(0);
    expect((await read('a\n\n')).physicalLines).toBe(2);
  });

  it('reads line breaks and delimiters inside quotes as data, and a record spans its physical lines', async () => {
    const r = await read('a,b\n"x\ny",1\n"p,\r\nq\n\nr",2\n3,4\n');
    expect(r.rows).toEqual([[2, 2, ['x\ny', '1']], [4, 4, ['p,\r\nq\n\nr', '2']], [8, 1, ['3', '4']]]);
    expect([r.physicalLines, r.blankLines, r.accounted]).toEqual([8, 0, 8]);
  });

  it('reads a doubled quote inside quotes as one quote', async () => {
    expect((await read('a,b\n"say ""hi""",""""\n')).rows).toEqual([[2, 1, ['say "hi"', '"']]]);
  });

  it('takes a header that spans lines as the first record', async () => {
    const r = await read('"a\nA",b\n1,2\n');
    expect([r.header, r.headerLines, r.rows]).toEqual([['a\nA', 'b'], 2, [[3, 1, ['1', '2']]]]);
  });

  it('rejects a stray opening quote on its own and resumes at the next physical line', async () => {
    const r = await read('a,b,c\n1,5,"Leave it by the door\n2,6,ok\n3,7,"quoted"\n');
    expect(r.rows).toEqual([
      [2, 1, 'text after a closing quote'],
      [3, 1, ['2', '6', 'ok']],
      [4, 1, ['3', '7', 'quoted']],
    ]);
    expect([r.records, r.malformedLines, r.accounted, r.physicalLines]).toEqual([3, [2], 4, 4]);
  });

  it('rejects a quote not closed before the end of input, and still reads the lines after it', async () => {
    const r = await read('a,b\n1,"open\n2,3\n4,5\n');
    expect(r.rows).toEqual([[2, 1, 'unterminated quoted field'], [3, 1, ['2', '3']], [4, 1, ['4', '5']]]);
    expect(r.malformedLines).toEqual([2]);
  });

  it('rejects a quote not closed within maxLineBytes of the record start, and reads the lines after it', async () => {
    const r = await read(`a,b\n1,"${'x'.repeat(50)}\n${'2,3\n'.repeat(5)}4,5"\n6,7\n`, { maxLineBytes: 40 });
    expect(r.rows).toEqual([
      [2, 1, 'record longer than maxLineBytes (40)'],
      ...[3, 4, 5, 6, 7].map((l) => [l, 1, ['2', '3']]),
      [8, 1, 'quote inside an unquoted field'],
      [9, 1, ['6', '7']],
    ]);
  });

  it('rejects a record over maxLineBytes whose quotes close within it as a whole, and reads on after it', async () => {
    const r = await read(`a,b\n1,"p\nq",${'x'.repeat(50)}\n2,3\n`, { maxLineBytes: 40 });
    expect(r.rows).toEqual([[2, 2, 'record longer than maxLineBytes (40)'], [4, 1, ['2', '3']]]);
    expect([r.accounted, r.physicalLines]).toEqual([4, 4]);
  });

  it('counts maxLineBytes with the line ending', async () => {
    // 9 bytes and a CRLF: 11 bytes in all.
    expect((await read('a,b\r\n1,2345678\r\n', { maxLineBytes: 10 })).rows).toEqual([[2, 1, 'record longer than maxLineBytes (10)']]);
    expect((await read('a,b\r\n1,2345678\r\n', { maxLineBytes: 11 })).rows).toEqual([[2, 1, ['1', '2345678']]]);
  });

  it('rejects text after a closing quote and a quote inside an unquoted field', async () => {
    const r = await read('a,b\n1,"ok"x\n2,a"b\n3,"fine"\n');
    expect(r.rows).toEqual([[2, 1, 'text after a closing quote'], [3, 1, 'quote inside an unquoted field'], [4, 1, ['3', 'fine']]]);
  });

  it('keeps those quotes literally with relaxQuotes, and still rejects an unterminated one', async () => {
    const r = await read('a,b\n1,"ok"x\n2,a"b\n3,"open\n', { relaxQuotes: true });
    expect(r.rows).toEqual([[2, 1, ['1', '"ok"x']], [3, 1, ['2', 'a"b']], [4, 1, 'unterminated quoted field']]);
  });

  it('reads quotes as data when the format has no quote character (plain TSV)', async () => {
    const r = await read('a\tb\n"x\t"y\n', { type: 'tsv', delimiter: '\t', quote: '' });
    expect(r.rows).toEqual([[2, 1, ['"x', '"y']]]);
  });

  it('rejects a record longer than maxLineBytes in bytes and skips to the end of its line', async () => {
    // 29 characters in its fields but 60 bytes: csv-parse alone would let it through.
    const r = await read(`a,b\n1,${'é'.repeat(10)},${'é'.repeat(10)},${'é'.repeat(8)}\n2,3\n`, { maxLineBytes: 40 });
    expect(r.rows).toEqual([[2, 1, 'record longer than maxLineBytes (40)'], [3, 1, ['2', '3']]]);
  });

  it('rejects a record with invalid UTF-8 or a NUL byte but keeps its extent', async () => {
    const bytes = Buffer.concat([Buffer.from('a,b\n"x\n'), Buffer.from([0xc3, 0x28]), Buffer.from('",1\n2,\u0000\n3,4\n')]);
    const r = await read(bytes);
    expect(r.rows).toEqual([[2, 2, 'invalid UTF-8'], [4, 1, 'NUL byte in record'], [5, 1, ['3', '4']]]);
  });

  it('reads ragged rows as they are (the engine rejects them by rule, not as malformed)', async () => {
    expect((await read('a,b\n1\n1,2,3\n')).rows).toEqual([[2, 1, ['1']], [3, 1, ['1', '2', '3']]]);
  });

  it('reports a malformed header and reads the records after it', async () => {
    const r = await read('a,"b\n1,2\n');
    expect([r.header, r.headerMalformed, r.headerLines, r.rows]).toEqual([undefined, 'unterminated quoted field', 1, [[2, 1, ['1', '2']]]]);
  });

  it('reads every record by position when there is no header', async () => {
    const r = await read('1,2\n3,4\n', { header: false });
    expect([r.header, r.headerLines, r.rows]).toEqual([undefined, 0, [[1, 1, ['1', '2']], [2, 1, ['3', '4']]]]);
  });

  it('reads JSONL one object a line: a line of spaces, an array or bad JSON is malformed', async () => {
    const r = await read('{"a":1}\n\n  \n[1]\n{"b":\n{"c":"x"}\r\n', { type: 'jsonl', header: false });
    expect(r.rows).toEqual([
      [1, 1, { a: 1 }],
      [3, 1, 'invalid JSON: Unexpected end of JSON input'],
      [4, 1, 'not a JSON object'],
      [5, 1, expect.stringMatching(/^invalid JSON/)],
      [6, 1, { c: 'x' }],
    ]);
    expect([r.records, r.blankLines, r.malformedLines, r.physicalLines]).toEqual([5, 1, [3, 4, 5], 6]);
  });

  it('gives the same records however the bytes arrive and however small its window', async () => {
    const field = fc.constantFrom('a', '1', '', '"q,x"', '"a""b"', '"l1\nl2"', '"c\r\nd"', 'x"y', '"open', '"t"z', 'é😀', '  ', '"\r"', 'مرحبا', 'e\u0301');
    const file = fc.record({
      bom: fc.boolean(),
      eol: fc.constantFrom('\n', '\r\n', '\r'),
      lines: fc.array(fc.oneof(fc.constant(''), fc.array(field, { minLength: 1, maxLength: 4 }).map((f) => f.join(','))), { maxLength: 10 }),
      last: fc.boolean(),
      relaxQuotes: fc.boolean(),
      header: fc.boolean(),
    });
    await fc.assert(
      fc.asyncProperty(file, fc.integer({ min: 1, max: 7 }), fc.integer({ min: 1, max: 9 }), async (f, split, window) => {
        const text = `${f.bom ? '\uFEFF' : ''}h1,h2${f.eol}${f.lines.join(f.eol)}${f.last ? f.eol : ''}`;
        const format = { relaxQuotes: f.relaxQuotes, header: f.header, maxLineBytes: 30 };
        const whole = await read(text, format);
        const pieces = await read(text, format, split, window);
        expect(pieces.rows).toEqual(whole.rows);
        expect(pieces.offsets).toEqual(whole.offsets);
        expect([pieces.physicalLines, pieces.blankLines, pieces.headerLines, pieces.starts.value]).toEqual([whole.physicalLines, whole.blankLines, whole.headerLines, whole.starts.value]);
        // Every physical line is the header, in a record, or blank.
        expect(whole.accounted).toBe(whole.physicalLines);
      }),
      { numRuns: 300, seed: 20261201 },
    );
  });
});

describe('LineSequence', () => {
  const of = (lines: number[]) => {
    const s = new LineSequence();
    for (const l of lines) s.add(l);
    return s;
  };

  it('gives equal values for equal sequences and different ones otherwise', () => {
    expect(of([2, 3, 5]).value).toBe(of([2, 3, 5]).value);
    expect(of([2, 3, 5]).value).not.toBe(of([2, 4, 5]).value);
    expect(of([2, 3]).value).not.toBe(of([3, 2]).value);
  });

  it('locates the first record where two sequences part', () => {
    expect(of([2, 3, 4, 5, 6]).firstDifference(of([2, 3, 4, 5, 6]))).toBeUndefined();
    expect(of([2, 3, 4, 5, 6]).firstDifference(of([2, 3, 5, 6, 7]))).toEqual({ index: 2, a: 4, b: 5 });
    expect(of([2, 4, 5, 6]).firstDifference(of([2, 4, 5]))).toEqual({ index: 3, a: 6, b: undefined });
    expect(of([]).firstDifference(of([2]))).toEqual({ index: 0, a: undefined, b: 2 });
  });
});
