import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { readRecords } from '../../../shared/formats/records.js';
import { InputError } from '../../../shared/errors.js';

async function read(bytes: Buffer | string, opts: { quote?: string; maxLineBytes?: number; chunk?: number; format?: 'csv' | 'jsonl' } = {}) {
  const buf = Buffer.from(bytes);
  const size = opts.chunk ?? 7;
  const pieces = Array.from({ length: Math.ceil(buf.length / size) }, (_, i) => buf.subarray(i * size, (i + 1) * size));
  const out: { line: number; fields?: string[]; malformed?: string; offset: number; raw: string }[] = [];
  const totals = await readRecords(
    Readable.from(pieces),
    { file: 'f.csv', format: opts.format ?? 'csv', dialect: { delimiter: ',', quote: opts.quote ?? '"' }, startOffset: 100, startLine: 1, maxLineBytes: opts.maxLineBytes ?? 1000, stripBom: true },
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

  it('stops with the line when a quote stays open beyond maxLineBytes', async () => {
    await expect(read(`a,1\n"open,2\n${'y,3\n'.repeat(20)}`, { maxLineBytes: 30 })).rejects.toThrow(InputError);
    await expect(read(`a,1\n"open,2\n${'y,3\n'.repeat(20)}`, { maxLineBytes: 30 })).rejects.toThrow(/^f\.csv:\d+: quoted field not closed/);
  });

  it('marks an unterminated quote at the end of input', async () => {
    const { out } = await read('a,1\n"open,2\n');
    expect(out[1]!.malformed).toBe('unterminated quoted field');
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
