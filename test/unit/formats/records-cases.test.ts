import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import type { FastLine } from '../../../shared/formats/delimited.js';
import { readRecords, type ReadOptions } from '../../../shared/formats/records.js';

type Seen = { line: number; fields?: string[]; object?: unknown; malformed?: string; offset: number; raw: string };

/** Reads `bytes` given in pieces of `chunk` bytes and returns every record, the totals and the number of block ends. */
async function read(bytes: Buffer | string, options: Partial<ReadOptions> & { chunk?: number } = {}) {
  const buf = Buffer.from(bytes);
  const size = options.chunk ?? 5;
  const pieces = Array.from({ length: Math.ceil(buf.length / size) }, (_, i) => buf.subarray(i * size, (i + 1) * size));
  const out: Seen[] = [];
  let blockEnds = 0;
  const totals = await readRecords(
    Readable.from(pieces),
    { file: 'f', format: 'csv', dialect: { delimiter: ',', quote: '"', lineBreak: '\n', relaxQuotes: false }, startOffset: 0, startLine: 1, maxLineBytes: 1000, stripBom: true, ...options },
    (r) => {
      const seen: Seen = { line: r.line, offset: r.offset(), raw: r.raw() };
      if (r.fields) seen.fields = [...r.fields];
      if (r.object) seen.object = r.object;
      if (r.malformed) seen.malformed = r.malformed;
      out.push(seen);
    },
    () => {
      blockEnds++;
    },
  );
  return { out, totals, blockEnds };
}

describe('readRecords, case by case', () => {
  it('skips a listed skipRows line longer than the limit as skipped, however the bytes arrive (found in review)', async () => {
    const text = `a\n${'x'.repeat(30)}\nb\n`;
    for (const chunk of [1, 5, 1000]) {
      const { out, totals } = await read(text, { chunk, maxLineBytes: 4, skipOffsets: [2] });
      expect(out.map((r) => [r.line, r.raw, r.malformed])).toEqual([
        [1, 'a', undefined],
        [3, 'b', undefined],
      ]);
      expect(totals).toMatchObject({ lines: 3, skippedLines: 1 });
    }
  });

  it('skips a comment line longer than the limit as a comment, however the bytes arrive (found in review: it was a reject when its break had not arrived)', async () => {
    const text = `a\n#${'x'.repeat(30)}\nb\n`;
    for (const chunk of [1, 5, 1000]) {
      const { out, totals } = await read(text, { chunk, maxLineBytes: 4, dialect: { delimiter: ',', quote: '"', lineBreak: '\n', relaxQuotes: false, comment: '#' } });
      expect(out.map((r) => [r.line, r.raw, r.malformed])).toEqual([
        [1, 'a', undefined],
        [3, 'b', undefined],
      ]);
      expect(totals).toMatchObject({ lines: 3, skippedLines: 1, blankLines: 0 });
    }
  });

  it('gives each record its line, byte offset and raw text without the line ending', async () => {
    const { out, totals } = await read('a,1\r\nb,2\nc,3', { startOffset: 1000, startLine: 41 });
    expect(out).toEqual([
      { line: 41, offset: 1000, raw: 'a,1', fields: ['a', '1'] },
      { line: 42, offset: 1005, raw: 'b,2', fields: ['b', '2'] },
      { line: 43, offset: 1009, raw: 'c,3', fields: ['c', '3'] },
    ]);
    expect(totals).toEqual({ lines: 3, blankLines: 0, skippedLines: 0, bytes: 12 });
  });

  it('counts offsets in bytes after multi-byte characters', async () => {
    const { out } = await read('€,1\nü,2\nx,3\n', { chunk: 3 });
    expect(out.map((r) => [r.offset, r.raw])).toEqual([[0, '€,1'], [6, 'ü,2'], [11, 'x,3']]);
  });

  it('skips a byte order mark at the start, also when it arrives in pieces', async () => {
    const bom = Buffer.from([0xef, 0xbb, 0xbf]);
    for (const chunk of [1, 2, 3, 5]) {
      const { out, totals } = await read(Buffer.concat([bom, Buffer.from('a\nb\n')]), { chunk });
      expect({ chunk, out: out.map((r) => [r.offset, r.fields]) }).toEqual({ chunk, out: [[3, ['a']], [5, ['b']]] });
      expect(totals.bytes).toBe(7);
    }
  });

  it('keeps a byte order mark as data when told not to strip it, and reads a lone partial one as data', async () => {
    const { out } = await read(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('a\n')]), { stripBom: false });
    expect(out.map((r) => [r.offset, r.fields])).toEqual([[0, ['\uFEFFa']]]);
    const partial = await read(Buffer.from([0xef, 0xbb, 0x0a, 0x61, 0x0a]), { chunk: 1 });
    expect(partial.out.map((r) => [r.offset, r.malformed])).toEqual([[0, 'invalid UTF-8'], [3, undefined]]);
  });

  it('counts blank lines and does not emit them', async () => {
    const { out, totals } = await read('a\n\n\r\nb\n\n');
    expect(out.map((r) => [r.line, r.fields])).toEqual([[1, ['a']], [4, ['b']]]);
    expect(totals).toEqual({ lines: 5, blankLines: 3, skippedLines: 0, bytes: 8 });
  });

  it('leaves records that start at or after stopAt to the next chunk, reading ahead to judge the last one', async () => {
    // Records start at bytes 0, 4, 8 and 12; a quoted record from 4 runs past stopAt.
    const { out, totals } = await read('a,1\n"b\n",2\nc,3\nd,4\n', { stopAt: 8 });
    expect(out.map((r) => [r.line, r.offset, r.fields])).toEqual([[1, 0, ['a', '1']], [2, 4, ['b\n', '2']]]);
    expect(totals.lines).toBe(3);
    const exact = await read('a,1\nb,2\nc,3\n', { stopAt: 4 });
    expect(exact.out.map((r) => r.fields)).toEqual([['a', '1']]);
    expect(exact.totals.lines).toBe(1);
    const none = await read('a,1\nb,2\n', { stopAt: 0 });
    expect(none.out).toEqual([]);
    expect(none.totals.lines).toBe(0);
  });

  it('parses JSONL lines as objects and says why a line is not one', async () => {
    const { out } = await read('{"a":1}\n[1]\nnull\n"s"\n{bad\n{"b":"x,y"}\n', { format: 'jsonl', chunk: 4 });
    expect(out.map((r) => [r.line, r.object ?? null, r.fields ?? null, r.malformed?.replace(/: .*/, ': …')])).toEqual([
      [1, { a: 1 }, null, undefined],
      [2, null, null, 'not a JSON object'],
      [3, null, null, 'not a JSON object'],
      [4, null, null, 'not a JSON object'],
      [5, null, null, 'invalid JSON: …'],
      [6, { b: 'x,y' }, null, undefined],
    ]);
  });

  it('rejects a record over maxLineBytes in UTF-8 bytes, line break included, with a preview of its first bytes as raw', async () => {
    // 'é' × 6 is 6 characters and 12 bytes; with its line break, 13 bytes.
    const { out } = await read(`ok\n${'é'.repeat(6)}\n${'é'.repeat(5)}a\n${'x'.repeat(12)}\n${'x'.repeat(11)}\nfin\n`, { maxLineBytes: 12 });
    expect(out).toEqual([
      { line: 1, offset: 0, raw: 'ok', fields: ['ok'] },
      { line: 2, offset: 3, raw: `${'é'.repeat(6)}…`, fields: ['é'.repeat(6)], malformed: 'record longer than maxLineBytes (12)' },
      { line: 3, offset: 16, raw: `${'é'.repeat(5)}a`, fields: [`${'é'.repeat(5)}a`] },
      { line: 4, offset: 28, raw: `${'x'.repeat(12)}…`, fields: ['x'.repeat(12)], malformed: 'record longer than maxLineBytes (12)' },
      { line: 5, offset: 41, raw: 'x'.repeat(11), fields: ['x'.repeat(11)] },
      { line: 6, offset: 53, raw: 'fin', fields: ['fin'] },
    ]);
  });

  it('rejects an unbroken line past twice the limit as soon as it is seen, and skips to its end', async () => {
    const { out, totals } = await read(`a\n${'y'.repeat(100)}\nb\n`, { maxLineBytes: 10, chunk: 8 });
    expect(out.map((r) => [r.line, r.offset, r.malformed ?? r.fields])).toEqual([
      [1, 0, ['a']],
      [2, 2, 'record longer than maxLineBytes (10)'],
      [3, 103, ['b']],
    ]);
    expect(out[1]!.raw).toBe(`${'y'.repeat(10)}…`);
    expect(totals.lines).toBe(3);
    const last = await read(`a\n${'y'.repeat(100)}`, { maxLineBytes: 10, chunk: 8 });
    expect(last.out.map((r) => r.malformed ?? r.fields)).toEqual([['a'], 'record longer than maxLineBytes (10)']);
    expect(last.totals.lines).toBe(2);
  });

  it('offers the fast reader only plain lines well within the limit, before stopAt', async () => {
    const offered: (string | number | undefined)[][] = [];
    const fastLine: FastLine = (text, start, end, _bytes, quote) => {
      offered.push([text.slice(start, end), quote]);
      return quote === undefined;
    };
    // maxLineBytes 30: lines of up to 30 / 3 - 2 = 8 characters are offered, a quoted one with its first quote.
    const { out, totals } = await read('12345678\n123456789\n"q"\n', { maxLineBytes: 30, fastLine, chunk: 64 });
    expect(offered).toEqual([['12345678', undefined], ['"q"', 19]]);
    expect(out.map((r) => r.raw)).toEqual(['123456789', '"q"']);
    expect(totals.lines).toBe(3);
    offered.length = 0;
    await read('ab\n\u0000c\nd\n', { fastLine, chunk: 64 });
    expect(offered).toEqual([]);
    await read('ab\ncd\n', { fastLine, chunk: 64, stopAt: 3 });
    expect(offered).toEqual([]);
  });

  it('counts offsets in bytes for records after multi-byte or invalid bytes in the same block', async () => {
    const whole = { chunk: 64 };
    expect((await read('é,1\nü,2\nx,3\n', whole)).out.map((r) => [r.offset, r.raw])).toEqual([[0, 'é,1'], [5, 'ü,2'], [10, 'x,3']]);
    const invalid = Buffer.concat([Buffer.from('a\n'), Buffer.from([0xff]), Buffer.from('b\nc\né\nd\n')]);
    expect((await read(invalid, whole)).out.map((r) => [r.line, r.offset, r.malformed])).toEqual([
      [1, 0, undefined],
      [2, 2, 'invalid UTF-8'],
      [3, 5, undefined],
      [4, 7, undefined],
      [5, 10, undefined],
    ]);
  });

  it('marks only the record holding an invalid byte or a NUL, and keeps a real U+FFFD as data', async () => {
    const whole = { chunk: 64 };
    const bytes = Buffer.concat([Buffer.from('ok,1\nbad,'), Buffer.from([0xff]), Buffer.from('\nnul,\u0000\nfine,2\n')]);
    expect((await read(bytes, whole)).out.map((r) => r.malformed)).toEqual([undefined, 'invalid UTF-8', 'NUL byte in record', undefined]);
    expect((await read('a,\uFFFD\nb,2\n', whole)).out.map((r) => [r.fields, r.malformed])).toEqual([[['a', '\uFFFD'], undefined], [['b', '2'], undefined]]);
    expect((await read('{"a":1}\u0000\n', { ...whole, format: 'jsonl' })).out.map((r) => r.malformed)).toEqual(['NUL byte in record']);
    expect((await read('{"S":"Stryker"}\n', { ...whole, format: 'jsonl' })).out.map((r) => [r.object, r.malformed])).toEqual([[{ S: 'Stryker' }, undefined]]);
  });

  it('judges maxLineBytes on each record, not on its block', async () => {
    // 'éééé' is 5 characters with its line break and 9 bytes; the block holds 28 bytes.
    const { out } = await read('éééé\néééé\néééé\n', { maxLineBytes: 12, chunk: 64 });
    expect(out.map((r) => r.malformed)).toEqual([undefined, undefined, undefined]);
  });

  it('reads a last record of one character without a line break', async () => {
    expect((await read('a\nb', { chunk: 64 })).out.map((r) => r.fields)).toEqual([['a'], ['b']]);
  });

  it('reads a file of only a byte order mark as empty', async () => {
    for (const chunk of [1, 3, 5]) {
      const { out, totals } = await read(Buffer.from([0xef, 0xbb, 0xbf]), { chunk });
      expect({ chunk, out, lines: totals.lines }).toEqual({ chunk, out: [], lines: 0 });
    }
  });

  it('judges an open quote followed by a long unbroken line as soon as it has twice the limit', async () => {
    const { out } = await read(`a\n"abc\n${'y'.repeat(60)}\nz\n`, { maxLineBytes: 10, chunk: 8 });
    expect(out.map((r) => [r.line, r.offset, r.malformed ?? r.fields])).toEqual([
      [1, 0, ['a']],
      [2, 2, 'unterminated quoted field 1: no closing quote within maxLineBytes (10)'],
      [3, 7, 'record longer than maxLineBytes (10)'],
      [4, 68, ['z']],
    ]);
  });

  it('ends each block with a call the caller can flush in', async () => {
    expect((await read('a\nb\nc\n', { chunk: 2 })).blockEnds).toBe(4);
    expect((await read('', { chunk: 2 })).blockEnds).toBe(1);
    expect((await read('abc', { chunk: 64 })).blockEnds).toBe(1);
  });
});
