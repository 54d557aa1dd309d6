import { describe, expect, it } from 'vitest';
import { compileJsonLine, createRowWriter, formatValue, HashingSink } from '../../../shared/formats/writers.js';
import type { OutputColumn } from '../../../shared/process/row.js';
import type { Value } from '../../../shared/rules/columns.js';
import type { ObjectWriter } from '../../../shared/store/object-store.js';

/** An object writer that keeps what it is given and says what happened to it. */
function target() {
  const chunks: Buffer[] = [];
  const events: string[] = [];
  const writer: ObjectWriter = {
    async write(chunk) {
      chunks.push(Buffer.from(chunk));
      events.push('write');
    },
    async commit() {
      events.push('commit');
    },
    async abort() {
      events.push('abort');
    },
  };
  return { writer, chunks, events, text: () => Buffer.concat(chunks).toString() };
}

const col = (name: string, type: OutputColumn['type']): OutputColumn => ({ name, type });
// 2024-01-01T12:30:45.007Z and 1999-12-31T23:59:59.999Z
const T1 = 1704112245007;
const T2 = 946684799999;

describe('formatValue', () => {
  it('formats times for text outputs and leaves other values as they are', () => {
    const cases: [Value, OutputColumn['type'], string | number | boolean | null][] = [
      [T1, 'timestamp', '2024-01-01T12:30:45.007Z'],
      [T2, 'date', '1999-12-31'],
      [null, 'timestamp', null],
      [null, 'string', null],
      ['2024-01-01', 'timestamp', '2024-01-01'],
      ['soon', 'date', 'soon'],
      [T1, 'integer', T1],
      [1.5, 'number', 1.5],
      [false, 'boolean', false],
      ['x', 'string', 'x'],
    ];
    expect(cases.map(([v, type]) => [v, type, formatValue(v, type)])).toEqual(cases);
  });
});

describe('compileJsonLine', () => {
  it('writes one JSON line per row, each type in its own form', () => {
    const line = compileJsonLine([col('i', 'integer'), col('n', 'number'), col('b', 'boolean'), col('t', 'timestamp'), col('d', 'date'), col('s', 'string'), col('e', 'enum')]);
    expect(line([42, -12.5, true, T1, T2, 'a "q"\n', 'x'], undefined)).toBe('{"i":42,"n":-12.5,"b":true,"t":"2024-01-01T12:30:45.007Z","d":"1999-12-31","s":"a \\"q\\"\\n","e":"x"}\n');
    expect(line([null, null, null, null, null, null, null], undefined)).toBe('{"i":null,"n":null,"b":null,"t":null,"d":null,"s":null,"e":null}\n');
    expect(line([0, 0, false, 0, 0, '', ''], undefined)).toBe('{"i":0,"n":0,"b":false,"t":"1970-01-01T00:00:00.000Z","d":"1970-01-01","s":"","e":""}\n');
  });

  it('copies a number as its input text when one is given, and writes a non-finite number as null', () => {
    const line = compileJsonLine([col('i', 'integer'), col('n', 'number')]);
    expect(line([7, 1.5], ['007', '1.50'])).toBe('{"i":007,"n":1.50}\n');
    expect(line([7, 1.5], [undefined, '1.50'])).toBe('{"i":7,"n":1.50}\n');
    expect(line([7, 1.5], ['7', undefined])).toBe('{"i":7,"n":1.5}\n');
    expect(line([NaN, Infinity], undefined)).toBe('{"i":null,"n":null}\n');
    expect(line([-Infinity, 1e21], [])).toBe('{"i":null,"n":1e+21}\n');
  });

  it('writes a json column from its text, or as a plain value without one', () => {
    const line = compileJsonLine([col('j', 'json')]);
    expect(line(['ignored'], ['[1,2]'])).toBe('{"j":[1,2]}\n');
    expect(line(['a string'], undefined)).toBe('{"j":"a string"}\n');
    expect(line([3], [undefined])).toBe('{"j":3}\n');
    expect(line([null], undefined)).toBe('{"j":null}\n');
  });

  it('writes a value of another kind than its column as JSON', () => {
    const line = compileJsonLine([col('s', 'string'), col('t', 'timestamp'), col('d', 'date'), col('i', 'integer')]);
    expect(line([5, 'not yet', true, 'x'], undefined)).toBe('{"s":5,"t":"not yet","d":true,"i":"x"}\n');
  });

  it('quotes column names as JSON, whatever characters they hold', () => {
    const names = ['a"b', "it's", 'back\\slash', 'new\nline', '${x}', "'); throw 1; ('"];
    const line = compileJsonLine(names.map((n) => col(n, 'integer')));
    const text = line([1, 2, 3, 4, 5, 6], undefined);
    expect(text).toBe('{"a\\"b":1,"it\'s":2,"back\\\\slash":3,"new\\nline":4,"${x}":5,"\'); throw 1; (\'":6}\n');
  });

  it('writes an empty object for no columns', () => {
    expect(compileJsonLine([])([], undefined)).toBe('{}\n');
  });
});

describe('text row writers', () => {
  it('writes JSONL lines with kept members before the closing brace', async () => {
    const t = target();
    const w = createRowWriter('jsonl', 'p.jsonl', t.writer, [col('a', 'integer')]);
    w.write([1]);
    w.write([2], undefined, '"k":"v"');
    const part = await w.close();
    expect(t.text()).toBe('{"a":1}\n{"a":2,"k":"v"}\n');
    expect(part).toEqual({ key: 'p.jsonl', rows: 2, bytes: 24, sha256: expect.stringMatching(/^[0-9a-f]{64}$/) });
  });

  it('writes kept members alone when no column is output', async () => {
    const t = target();
    const w = createRowWriter('jsonl', 'p.jsonl', t.writer, []);
    w.write([], undefined, '"k":1');
    w.write([]);
    await w.close();
    expect(t.text()).toBe('{"k":1}\n{}\n');
  });

  it('writes CSV with a header, ISO times, empty nulls and quotes only where needed', async () => {
    const t = target();
    const columns = [col('id', 'integer'), col('name, full', 'string'), col('at', 'timestamp'), col('day', 'date'), col('ok', 'boolean'), col('x', 'number')];
    const w = createRowWriter('csv', 'p.csv', t.writer, columns);
    w.write([1, 'plain', T1, T2, true, 1.5]);
    w.write([2, 'say "hi"', null, null, false, null]);
    w.write([3, 'cr\rhere', T2, T1, null, -0.25], [undefined, undefined, undefined, undefined, undefined, '-.25']);
    w.write([4, 'lf\nhere', null, null, null, 0]);
    const part = await w.close();
    expect(t.text()).toBe(
      'id,"name, full",at,day,ok,x\n' +
        '1,plain,2024-01-01T12:30:45.007Z,1999-12-31,true,1.5\n' +
        '2,"say ""hi""",,,false,\n' +
        '3,"cr\rhere",1999-12-31T23:59:59.999Z,2024-01-01,,-.25\n' +
        '4,"lf\nhere",,,,0\n',
    );
    expect(part.rows).toBe(4);
  });

  it('lists a part with its rows, bytes and sha256', async () => {
    const t = target();
    const w = createRowWriter('csv', 'k/p.csv', t.writer, [col('id', 'integer'), col('x', 'string')]);
    w.write([1, 'a']);
    expect(await w.close()).toEqual({ key: 'k/p.csv', rows: 1, bytes: 9, sha256: '4c9bb50b90260f874ee0210ef64be2435a55be95c693e82805d282db044ba887' });
    expect(t.events).toEqual(['write', 'commit']);
  });

  it('holds rows until a mebibyte is buffered, then flushes them in one write', async () => {
    const t = target();
    const w = createRowWriter('jsonl', 'p.jsonl', t.writer, [col('s', 'string')]);
    const value = 'x'.repeat(1000);
    // Lines of 1,009 bytes are set aside 65 at a time (65,585 bytes, past 64 KiB), so the 16th
    // block, at line 1,040, is the first to pass 1 MiB (1,048,576 bytes).
    for (let i = 0; i < 1039; i++) w.write([value]);
    await w.flush();
    expect(t.chunks).toEqual([]);
    w.write([value]);
    await w.flush();
    expect(t.chunks.map((c) => c.length)).toEqual([1040 * 1009]);
    w.write([value]);
    await w.flush();
    expect(t.chunks.length).toBe(1);
    const part = await w.close();
    expect(t.chunks.map((c) => c.length)).toEqual([1040 * 1009, 1009]);
    expect(part.rows).toBe(1041);
    expect(part.bytes).toBe(1041 * 1009);
    expect(t.text()).toBe(`{"s":"${value}"}\n`.repeat(1041));
  });

  it('hands its bytes on only once a mebibyte is there, all of them at once', async () => {
    const t = target();
    const w = createRowWriter('jsonl', 'p.jsonl', t.writer, [col('s', 'string')]);
    const value = 'x'.repeat(91);
    // 100-byte lines: 10,485 of them are 1,048,500 bytes, 76 short of 1 MiB.
    for (let i = 0; i < 10_485; i++) w.write([value]);
    await w.flush();
    expect(t.chunks).toEqual([]);
    w.write([value]);
    await w.flush();
    expect(t.chunks.map((c) => c.length)).toEqual([1_048_600]);
    // The buffer is handed over, not reused: the bytes passed on stay as they were.
    w.write(['y']);
    expect(Buffer.from(t.chunks[0]!).subarray(0, 12).toString()).toBe('{"s":"xxxxxx');
  });

  it('aborts the object it writes to', async () => {
    for (const format of ['jsonl', 'csv'] as const) {
      const t = target();
      const w = createRowWriter(format, 'p', t.writer, [col('a', 'integer')]);
      w.write([1]);
      await w.abort();
      expect(t.events).toEqual(['abort']);
    }
  });
});

describe('HashingSink', () => {
  it('counts and hashes what it passes on, and skips empty chunks', async () => {
    const t = target();
    const sink = new HashingSink('k', t.writer);
    await sink.write('{"a":');
    await sink.write('');
    await sink.write(new Uint8Array(0));
    await sink.write(Buffer.from('1}\n'));
    expect(t.events).toEqual(['write', 'write']);
    expect(await sink.commit(1)).toEqual({ key: 'k', rows: 1, bytes: 8, sha256: 'e346432021b04179518d9614f3560ccd71354a4ee101ddcb893d6959a9d6301c' });
    expect(t.events).toEqual(['write', 'write', 'commit']);
    const utf8 = new HashingSink('u', target().writer);
    await utf8.write('é');
    expect((await utf8.commit(1)).bytes).toBe(2);
  });

  it('lists an empty part with the sha256 of no bytes', async () => {
    const t = target();
    expect(await new HashingSink('e', t.writer).commit(0)).toEqual({ key: 'e', rows: 0, bytes: 0, sha256: 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855' });
    await new HashingSink('e', t.writer).abort();
    expect(t.events).toEqual(['commit', 'abort']);
  });
});
