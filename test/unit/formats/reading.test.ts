import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../../shared/config/load.js';
import { runLocal } from '../../../shared/local/runner.js';
import { tempDir } from '../../helpers.js';

let dir: string;
let cleanup: () => Promise<void>;
beforeAll(async () => ({ dir, cleanup } = await tempDir()));
afterAll(() => cleanup());

let n = 0;
/** Runs one file through a pipeline and returns what a user would read: result rows, reject lines, counts. */
async function run(content: string | Buffer, pipeline: Record<string, unknown>, ext = 'csv') {
  const file = join(dir, `in-${++n}.${ext}`);
  const out = join(dir, `out-${n}`);
  await writeFile(file, content);
  const config = parseConfig({ pipelines: [{ name: 'read', qualityGate: { maxRejectRatio: 1 }, ...pipeline }] });
  const [outcome] = await runLocal({ config, files: [file], out, workers: 1 });
  const lines = async (sub: string) => {
    const root = join(out, sub, 'read', outcome!.jobId);
    const names = (await readdir(root, { recursive: true }).catch(() => [] as string[])).map(String).filter((f) => f.endsWith('.jsonl') && !f.includes('_chunks')).sort();
    const all = await Promise.all(names.map((f) => readFile(join(root, f), 'utf8')));
    return all.join('').split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);
  };
  return { outcome: outcome!, rows: await lines('results'), rejects: await lines('rejects'), accounting: outcome!.report?.accounting };
}

const abc = { a: { type: 'integer' }, b: { type: 'string' }, c: { type: 'number' } };

describe('reading records as they are written', () => {
  it('reads columns by position when the file has no header', async () => {
    const r = await run('1,x,2.5\n2,y,-3\n', { format: { header: false }, schema: { columns: abc } });
    expect(r.rows).toEqual([{ a: 1, b: 'x', c: 2.5 }, { a: 2, b: 'y', c: -3 }]);
  });

  it('reads CR-only line endings, as some loggers write them', async () => {
    const r = await run('a,b,c\r1,x,2.5\r2,y,-3\r', { schema: { columns: abc } });
    expect(r.rows).toEqual([{ a: 1, b: 'x', c: 2.5 }, { a: 2, b: 'y', c: -3 }]);
    expect(r.accounting).toMatchObject({ rowsIn: 2, rowsOut: 2 });
  });

  it('reads CR-only files across chunk boundaries', async () => {
    const body = Array.from({ length: 200 }, (_, i) => `${i},"v\r${i}",${i / 4}`).join('\r');
    const r = await run(`a,b,c\r${body}\r`, { chunking: { targetSize: 300 }, schema: { columns: abc } });
    expect(r.outcome.report!.plan.chunks).toBeGreaterThan(5);
    expect(r.rows).toHaveLength(200);
    expect(r.rows[199]).toEqual({ a: 199, b: 'v\r199', c: 49.75 });
  });

  it('refuses a header whose quote never closes, instead of reading the file as its header', async () => {
    await expect(run('a,"b,c\n1,x,2\n2,y,3\n', { schema: { columns: abc } })).rejects.toThrow(/in-\d+\.csv:1: the header cannot be read: unterminated quoted field 2$/);
  });

  it('rejects a stray opening quote on its own line and keeps the records after it', async () => {
    const r = await run('a,b,c\n1,"Leave it by the door,5\n2,ok,6\n3,"quoted",7\n', { schema: { columns: abc } });
    expect(r.rows).toEqual([{ a: 2, b: 'ok', c: 6 }, { a: 3, b: 'quoted', c: 7 }]);
    expect(r.rejects).toEqual([{ line: 2, offset: 6, chunk: 0, errors: [{ rule: 'malformed', message: 'text after the closing quote of field 2' }], raw: '1,"Leave it by the door,5' }]);
  });

  it('keeps quotes literally with relaxQuotes', async () => {
    const r = await run('a,b,c\n1,5\'10" pipe,2\n2,"x"y,3\n', { format: { relaxQuotes: true }, schema: { columns: abc } });
    expect(r.rows).toEqual([{ a: 1, b: '5\'10" pipe', c: 2 }, { a: 2, b: 'xy', c: 3 }]);
  });

  it('refuses a header that matches no schema column, naming what it found', async () => {
    await expect(run('a;b;c\n1;x;2\n', { schema: { columns: abc } })).rejects.toThrow(
      /:1: columns "a", "b", "c" not in the header, which has 1 field\(s\) \(one field: is format\.delimiter right\?\): a;b;c; a column that may be absent needs allowMissing: true$/,
    );
  });

  it('names the closest header field for a missing column, and allowMissing lets it be null', async () => {
    await expect(run('a,b,values\n1,x,2\n', { schema: { columns: { a: abc.a, b: abc.b, value: abc.c } } })).rejects.toThrow(/column "value" \(did you mean "values"\?\) not in the header, which has 3 field\(s\): a, b, values;/);
    const r = await run('a,b\n1,x\n', { schema: { columns: { ...abc, c: { type: 'number', allowMissing: true } } } });
    expect(r.rows).toEqual([{ a: 1, b: 'x', c: null }]);
  });

  it('matches header names after trimming surrounding spaces', async () => {
    const r = await run(' a , b,c \n1,x,2\n', { schema: { columns: abc } });
    expect(r.rows).toEqual([{ a: 1, b: 'x', c: 2 }]);
  });

  it('gives the byte offset of a reject after invalid UTF-8 bytes on the bytes themselves', async () => {
    const bytes = Buffer.concat([Buffer.from('a,b,c\n1,'), Buffer.from([0xff, 0xfe, 0xfd]), Buffer.from(',2\n2,x,y\n')]);
    const r = await run(bytes, { schema: { columns: abc } });
    expect(r.rejects.map((j) => [j.line, j.offset])).toEqual([[2, 6], [3, 14]]);
  });
});

describe('reading JSONL', () => {
  const schema = { columns: { a: { type: 'integer' }, constructor: { type: 'string' }, toString: { type: 'string' } } };

  it('reads a missing key as null, never as a prototype member', async () => {
    const r = await run('{"a":1}\n{"a":2,"constructor":"c","toString":"t"}\n', { format: { type: 'jsonl' }, schema }, 'jsonl');
    expect(r.rows).toEqual([{ a: 1, constructor: null, toString: null }, { a: 2, constructor: 'c', toString: 't' }]);
  });

  it('keeps keys not in the schema with unknownColumns: keep', async () => {
    const r = await run('{"a":1,"x":[1,2],"y":"z"}\n{"a":2}\n', { format: { type: 'jsonl' }, schema: { ...schema, unknownColumns: 'keep' } }, 'jsonl');
    expect(r.rows).toEqual([{ a: 1, constructor: null, toString: null, x: [1, 2], y: 'z' }, { a: 2, constructor: null, toString: null }]);
  });

  it('rejects a record with keys not in the schema with unknownColumns: reject', async () => {
    const r = await run('{"a":1,"x":2}\n{"a":2}\n', { format: { type: 'jsonl' }, schema: { ...schema, unknownColumns: 'reject' } }, 'jsonl');
    expect(r.rows).toEqual([{ a: 2, constructor: null, toString: null }]);
    expect(r.rejects.map((j) => j.errors)).toEqual([[{ column: 'x', rule: 'unknownColumns', message: 'key "x" is not in the schema' }]]);
  });
});
