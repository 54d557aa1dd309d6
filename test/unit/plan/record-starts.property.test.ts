import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Dialect } from '../../../shared/formats/delimited.js';
import { readerRecordStarts } from '../../../shared/plan/plan.js';
import { quotedRecordStarts } from '../../../shared/plan/record-starts.js';
import { pipelineOf, sourceOf } from '../../helpers.js';

// Quotes, both line endings, lone CRs, delimiters, comment marks, multi-byte and invalid UTF-8.
const token = fc.constantFrom('a', 'bc', ',', ';', '"', '""', '\n', '\r\n', '\r', '#', '  ', 'é', '\u{1F600}', '\xff', '"x,\ny"');
const content = fc.array(token, { maxLength: 120 }).map((ts) => Buffer.from(ts.join(''), 'latin1').toString('latin1'));

function bytesOf(s: string): Buffer {
  // '\xff' stands for an invalid byte; everything else is UTF-8.
  return Buffer.concat(s.split('\xff').flatMap((part, i) => (i === 0 ? [Buffer.from(part)] : [Buffer.from([0xff]), Buffer.from(part)])));
}

describe('record starts found on the bytes', () => {
  it('are where the reader starts records, for any dialect, limit, piece size and nominal boundaries', async () => {
    await fc.assert(
      fc.asyncProperty(
        content,
        fc.record({
          lineBreak: fc.constantFrom<Dialect['lineBreak']>('\n', '\r'),
          delimiter: fc.constantFrom(',', ';'),
          relaxQuotes: fc.boolean(),
          comment: fc.constantFrom('', '#', '#!'),
          maxLineBytes: fc.integer({ min: 4, max: 40 }),
        }),
        fc.array(fc.integer({ min: 1, max: 50 }), { minLength: 1, maxLength: 4 }),
        fc.array(fc.integer({ min: 0, max: 400 }), { minLength: 1, maxLength: 6 }),
        async (text, o, pieces, offsets) => {
          const bytes = bytesOf(text);
          const start = Math.min(bytes.length, offsets[0]! % 7);
          const nominal = [...new Set(offsets.map((x) => start + 1 + (x % Math.max(1, bytes.length))))].sort((a, b) => a - b);
          const dialect: Dialect = { delimiter: o.delimiter, quote: '"', lineBreak: o.lineBreak, relaxQuotes: o.relaxQuotes, comment: o.comment };
          const pipeline = pipelineOf({ format: { type: 'csv', maxLineBytes: o.maxLineBytes }, schema: { columns: { a: {} } } });
          const source = sourceOf(bytes, pieces);
          const expected = await readerRecordStarts(source, 'f.csv', pipeline, start, nominal, dialect);
          const got = await quotedRecordStarts(source.read({ start, end: bytes.length }), start, nominal, dialect, o.maxLineBytes);
          expect(got).toEqual(expected);
          // However the bytes arrive (found in review: an over-long comment line was a record when its break had not arrived).
          expect(await readerRecordStarts(sourceOf(bytes, [1 << 20]), 'f.csv', pipeline, start, nominal, dialect)).toEqual(expected);
        },
      ),
      { numRuns: 3000 },
    );
  });

  it('are where the reader starts records for lines near the limits: long fields, open quotes and multi-byte text at piece ends', async () => {
    // Runs of bytes around maxLineBytes and 2 × maxLineBytes + 4 (where an unbroken line is skipped), cut anywhere.
    const long = fc.integer({ min: 1, max: 90 }).chain((n) => fc.constantFrom('x'.repeat(n), `"${'y'.repeat(n)}`, `${'é'.repeat(Math.ceil(n / 2))}`, `"${'\u{1F600}'.repeat(Math.ceil(n / 4))}"`));
    const piece = fc.oneof(long, fc.constantFrom('\n', '\r\n', '\r', '"', '""', ',', '#', 'a'));
    await fc.assert(
      fc.asyncProperty(
        fc.array(piece, { maxLength: 30 }).map((ts) => ts.join('')),
        fc.record({ lineBreak: fc.constantFrom<Dialect['lineBreak']>('\n', '\r'), relaxQuotes: fc.boolean(), comment: fc.constantFrom('', '#'), maxLineBytes: fc.integer({ min: 4, max: 40 }) }),
        fc.array(fc.integer({ min: 1, max: 37 }), { minLength: 1, maxLength: 3 }),
        fc.array(fc.integer({ min: 0, max: 400 }), { minLength: 1, maxLength: 5 }),
        async (text, o, pieces, offsets) => {
          const bytes = bytesOf(text);
          const nominal = [...new Set(offsets.map((x) => 1 + (x % Math.max(1, bytes.length))))].sort((a, b) => a - b);
          const dialect: Dialect = { delimiter: ',', quote: '"', lineBreak: o.lineBreak, relaxQuotes: o.relaxQuotes, comment: o.comment };
          const pipeline = pipelineOf({ format: { type: 'csv', maxLineBytes: o.maxLineBytes }, schema: { columns: { a: {} } } });
          const expected = await readerRecordStarts(sourceOf(bytes, [1 << 20]), 'f.csv', pipeline, 0, nominal, dialect);
          expect(await quotedRecordStarts(sourceOf(bytes, pieces).read(), 0, nominal, dialect, o.maxLineBytes)).toEqual(expected);
          expect(await readerRecordStarts(sourceOf(bytes, pieces), 'f.csv', pipeline, 0, nominal, dialect)).toEqual(expected);
        },
      ),
      { numRuns: 3000 },
    );
  });

  it('skips a comment line longer than the limit whether or not its break has arrived (found in review)', async () => {
    const bytes = Buffer.from(`a\n#${'x'.repeat(30)}\nb\n`);
    const dialect: Dialect = { delimiter: ',', quote: '"', lineBreak: '\n', relaxQuotes: false, comment: '#' };
    const pipeline = pipelineOf({ format: { type: 'csv', maxLineBytes: 4, comment: '#' }, schema: { columns: { a: {} } } });
    for (const pieces of [[1], [1000]]) {
      expect(await quotedRecordStarts(sourceOf(bytes, pieces).read(), 0, [1], dialect, 4)).toEqual([34]);
      expect(await readerRecordStarts(sourceOf(bytes, pieces), 'f.csv', pipeline, 0, [1], dialect)).toEqual([34]);
    }
  });

  it('finds literal starts: past a quoted line break, a malformed record and a comment', async () => {
    const text = 'a,b\n"x\ny",1\nq"r\n#"c\nlast\n';
    const dialect: Dialect = { delimiter: ',', quote: '"', lineBreak: '\n', relaxQuotes: false, comment: '#' };
    const at = (n: number[]) => quotedRecordStarts(sourceOf(Buffer.from(text), [3]).read(), 0, n, dialect, 100);
    // Offset 5 is inside the quoted field: the next record starts at 12 ("q\"r", malformed, one line).
    expect(await at([5])).toEqual([12]);
    // 16 is a comment line (with a quote): not a record, so the next is "last" at 20, for both.
    expect(await at([13, 17])).toEqual([20]);
    expect(await at([1, 12])).toEqual([4, 12]);
  });

  it('does not count a character cut by a piece end as a replacement character (found in review)', async () => {
    // 13 "é" bring the open quoted field to 2 bytes under maxLineBytes; the first piece ends inside one.
    const bytes = Buffer.from(`a\n"\n${'é'.repeat(13)}"\nz\ny\n`);
    const dialect: Dialect = { delimiter: ',', quote: '"', lineBreak: '\n', relaxQuotes: false, comment: '' };
    const pipeline = pipelineOf({ format: { type: 'csv', maxLineBytes: 28 }, schema: { columns: { a: {} } } });
    const source = sourceOf(bytes, [29, 1000]);
    const expected = await readerRecordStarts(source, 'f.csv', pipeline, 0, [3], dialect);
    expect(expected).toEqual([32]);
    expect(await quotedRecordStarts(source.read(), 0, [3], dialect, 28)).toEqual(expected);
  });
});
