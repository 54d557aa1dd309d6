import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { readRecords } from '../../../shared/formats/records.js';

async function read(bytes: Buffer | string, opts: { quote?: string; maxLineBytes?: number; chunk?: number; format?: 'csv' | 'jsonl'; lineBreak?: '\n' | '\r' } = {}) {
  const buf = Buffer.from(bytes);
  const size = opts.chunk ?? 7;
  const pieces = Array.from({ length: Math.ceil(buf.length / size) }, (_, i) => buf.subarray(i * size, (i + 1) * size));
  const out: { line: number; fields?: string[]; malformed?: string; offset: number; raw: string }[] = [];
  const totals = await readRecords(
    Readable.from(pieces),
    { file: 'f.csv', format: opts.format ?? 'csv', dialect: { delimiter: ',', quote: opts.quote ?? '"', lineBreak: opts.lineBreak ?? '\n', relaxQuotes: false }, startOffset: 100, startLine: 1, maxLineBytes: opts.maxLineBytes ?? 1000, stripBom: true },
    (r) => out.push({ line: r.line, fields: r.fields && [...r.fields], malformed: r.malformed, offset: r.offset(), raw: r.raw() }),
    () => undefined,
  );
  return { out, totals };
}

describe('readRecords', () => {
  it('gives exact byte offsets and physical lines across multi-byte characters and quoted newlines', async () => {
    const { out, totals } = await read('é,1\n"a\nb",2\r\nz,3');
    expect(out.map((r) => [r.line, r.offset, r.fields])).toEqual([
      [1, 100, ['é', '1']],
      [2, 105, ['a\nb', '2']],
      [4, 114, ["z", "3"]],
    ]);
    expect(totals.lines).toBe(4);
  });

  it('marks invalid UTF-8 and NUL bytes per record, not per file', async () => {
    const bytes = Buffer.concat([Buffer.from('ok,1\nbad,'), Buffer.from([0xff, 0xfe]), Buffer.from('\nnul,\u0000\nfine,2\n')]);
    const { out } = await read(bytes);
    expect(out.map((r) => r.malformed)).toEqual([undefined, 'invalid UTF-8', 'NUL byte in record', undefined]);
  });

  it('rejects an over-long record and keeps going', async () => {
    const { out } = await read(`a,1\n${'x'.repeat(50)},2\nb,3\n`, { maxLineBytes: 20 });
    expect(out.map((r) => r.malformed)).toEqual([undefined, 'record longer than maxLineBytes (20)', undefined]);
  });

  it('rejects a quote left open beyond maxLineBytes on its own line and reads the next lines', async () => {
    const { out, totals } = await read(`a,1\n"open,2\n${'y,3\n'.repeat(20)}`, { maxLineBytes: 30 });
    expect(out.map((r) => [r.line, r.malformed ?? r.fields!.join('|')])).toEqual([[1, 'a|1'], [2, 'unterminated quoted field 1: no closing quote within maxLineBytes (30)'], ...Array.from({ length: 20 }, (_, i) => [i + 3, 'y|3'])]);
    expect(out[1]).toMatchObject({ raw: '"open,2', offset: 104 });
    expect(totals.lines).toBe(22);
  });

  it('marks an unterminated quote at the end of input, and only its line', async () => {
    const { out } = await read('a,1\n"open,2\nb,3\n');
    expect(out.map((r) => [r.line, r.malformed ?? r.fields!.join('|')])).toEqual([[1, 'a|1'], [2, 'unterminated quoted field 1'], [3, 'b|3']]);
  });

  it('rejects a stray opening quote alone instead of swallowing the records after it', async () => {
    const { out } = await read('1,5,"Leave it by the door\n2,6,ok\n3,7,"quoted"\n');
    expect(out.map((r) => [r.line, r.malformed ?? r.fields!.join('|')])).toEqual([[1, 'text after the closing quote of field 3'], [2, '2|6|ok'], [3, '3|7|quoted']]);
    expect(out[0]).toMatchObject({ raw: '1,5,"Leave it by the door', offset: 100 });
  });

  it('follows RFC 4180 for quotes: text after a closing quote and a quote in an unquoted field are malformed', async () => {
    const { out } = await read('"ab"c,1\nab"c,2\n"a""b",3\n"x"\r\n');
    expect(out.map((r) => r.malformed ?? r.fields!.join('|'))).toEqual(['text after the closing quote of field 1', 'quote inside unquoted field 1', 'a"b|3', 'x']);
  });

  it('reads CR-only line endings', async () => {
    const opts = { lineBreak: '\r' as const };
    const { out, totals } = await read('a,1\r"b\rc",2\r\rd,3', opts);
    expect(out.map((r) => [r.line, r.offset, r.fields])).toEqual([[1, 100, ['a', '1']], [2, 104, ['b\rc', '2']], [5, 113, ['d', '3']]]);
    expect(totals).toMatchObject({ lines: 5, blankLines: 1 });
  });

  it('counts byte offsets on the bytes after an invalid UTF-8 byte', async () => {
    const bytes = Buffer.concat([Buffer.from('a,'), Buffer.from([0xff]), Buffer.from('\nb,1\n"c",2\n')]);
    const { out } = await read(bytes);
    expect(out.map((r) => [r.offset, r.malformed])).toEqual([[100, 'invalid UTF-8'], [104, undefined], [108, undefined]]);
  });

  it('skips blank lines and counts them', async () => {
    const { out, totals } = await read('a,1\n\n\r\nb,2\n');
    expect(out.map((r) => r.line)).toEqual([1, 4]);
    expect(totals.blankLines).toBe(2);
  });

  it('parses JSONL objects and rejects what is not an object', async () => {
    const { out } = await read('{"a":1}\n[1]\n{bad\n', { format: 'jsonl' });
    expect(out.map((r) => r.malformed)).toEqual([undefined, 'not a JSON object', expect.stringMatching(/^invalid JSON/)]);
  });
});

describe('readRecords on single-column files', () => {
  it('counts a quoted empty line as a record, not a blank line', async () => {
    const { out, totals } = await read('a\n""\nb\n');
    expect(out.map((r) => r.fields)).toEqual([['a'], [''], ['b']]);
    expect(totals.blankLines).toBe(0);
  });

  it('keeps a U+FEFF that is data, past the start of the file', async () => {
    const { out } = await read('a,1\n\uFEFFb,2\n', { chunk: 4 });
    expect(out[1]!.fields).toEqual(['\uFEFFb', '2']);
    expect(out[1]!.offset).toBe(104);
  });
});
