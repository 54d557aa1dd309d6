import { readdir } from 'node:fs/promises';
import { parquetMetadata, parquetReadObjects } from 'hyparquet';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRowWriter } from '../../../shared/formats/writers.js';
import type { ObjectWriter } from '../../../shared/store/object-store.js';
import { FsObjectStore } from '../../../shared/local/fs-object-store.js';
import type { OutputColumn } from '../../../shared/process/row.js';
import type { Value } from '../../../shared/rules/columns.js';
import { tempDir } from '../../helpers.js';

let dir: string;
let cleanup: () => Promise<void>;
beforeAll(async () => ({ dir, cleanup } = await tempDir()));
afterAll(() => cleanup());

const columns: OutputColumn[] = [
  { name: 'id', type: 'integer' },
  { name: 'name', type: 'string' },
  { name: 'amount', type: 'number' },
  { name: 'ok', type: 'boolean' },
  { name: 'at', type: 'timestamp' },
  { name: 'day', type: 'date' },
];
const rows: Value[][] = [
  [1, 'a "quoted", name', 1.5, true, Date.UTC(2020, 0, 1, 12), Date.UTC(2020, 0, 1)],
  [2, 'multi\nline é', null, false, null, Date.UTC(2021, 5, 30)],
  [3, null, -0.25, null, Date.UTC(1999, 11, 31, 23, 59, 59, 999), null],
];

async function write(format: 'jsonl' | 'csv' | 'parquet', many = 1) {
  const store = new FsObjectStore(dir);
  const key = `out.${format}`;
  const w = createRowWriter(format, key, store.writer(key), columns);
  for (let i = 0; i < many; i++) for (const r of rows) w.write(r);
  const part = await w.close();
  return { part, body: (await store.get(key))! };
}

describe('row writers', () => {
  it('write JSONL with ISO times and nulls', async () => {
    const { part, body } = await write('jsonl');
    expect(part.rows).toBe(3);
    const lines = body.toString().trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines[0]).toEqual({ id: 1, name: 'a "quoted", name', amount: 1.5, ok: true, at: '2020-01-01T12:00:00.000Z', day: '2020-01-01' });
    expect(lines[1]).toEqual({ id: 2, name: 'multi\nline é', amount: null, ok: false, at: null, day: '2021-06-30' });
    expect(lines[2]!.at).toBe('1999-12-31T23:59:59.999Z');
  });

  it('write CSV that quotes what needs quoting', async () => {
    const { body } = await write('csv');
    expect(body.toString()).toBe(
      'id,name,amount,ok,at,day\n1,"a ""quoted"", name",1.5,true,2020-01-01T12:00:00.000Z,2020-01-01\n2,"multi\nline é",,false,,2021-06-30\n3,,-0.25,,1999-12-31T23:59:59.999Z,\n',
    );
  });

  it('write Parquet that an independent reader (hyparquet) reads back', async () => {
    const { part, body } = await write('parquet', 40_000);
    expect(part.rows).toBe(120_000);
    const file = body.buffer.slice(body.byteOffset, body.byteOffset + body.byteLength) as ArrayBuffer;
    const back = (await parquetReadObjects({ file })) as Record<string, unknown>[];
    expect(back).toHaveLength(120_000);
    expect(back[0]).toMatchObject({ id: 1n, name: 'a "quoted", name', amount: 1.5, ok: true, day: new Date(Date.UTC(2020, 0, 1)) });
    expect((back[0]!.at as Date).toISOString()).toBe('2020-01-01T12:00:00.000Z');
    expect(back[1]).toMatchObject({ id: 2n, name: 'multi\nline é', amount: null, ok: false, at: null });
    expect(back[119_999]).toMatchObject({ id: 3n, name: null, amount: -0.25, ok: null, day: null });
  });

  it('write a string as a string in every format, however much it looks like a number or JSON', async () => {
    const store = new FsObjectStore(dir);
    const textColumns: OutputColumn[] = [
      { name: 'code', type: 'string' },
      { name: 'any', type: 'json' },
    ];
    const values: Value[][] = [['007', '1e5'], ['1e5', '[1]'], ['-0', '{"a":1}'], ['[2]', '[3]']];
    // The last row's json value is a derived list: its JSON text comes as `texts`.
    const texts = [undefined, undefined, undefined, [undefined, '[3]']];
    const bodies: Record<string, Buffer> = {};
    for (const format of ['jsonl', 'csv', 'parquet'] as const) {
      const key = `strings.${format}`;
      const w = createRowWriter(format, key, store.writer(key), textColumns);
      values.forEach((r, i) => w.write(r, texts[i]));
      await w.close();
      bodies[format] = (await store.get(key))!;
    }
    expect(bodies.jsonl!.toString()).toBe('{"code":"007","any":"1e5"}\n{"code":"1e5","any":"[1]"}\n{"code":"-0","any":"{\\"a\\":1}"}\n{"code":"[2]","any":[3]}\n');
    expect(bodies.csv!.toString()).toBe('code,any\n007,1e5\n1e5,[1]\n-0,"{""a"":1}"\n[2],[3]\n');
    const file = bodies.parquet!.buffer.slice(bodies.parquet!.byteOffset, bodies.parquet!.byteOffset + bodies.parquet!.byteLength) as ArrayBuffer;
    expect(parquetMetadata(file).schema.slice(1).map((e) => [e.type, e.converted_type])).toEqual([['BYTE_ARRAY', 'UTF8'], ['BYTE_ARRAY', 'UTF8']]);
    expect(await parquetReadObjects({ file })).toEqual([
      { code: '007', any: '1e5' },
      { code: '1e5', any: '[1]' },
      { code: '-0', any: '{"a":1}' },
      { code: '[2]', any: '[3]' },
    ]);
  });

  it('leave no object behind when aborted', async () => {
    const store = new FsObjectStore(dir);
    const w = createRowWriter('jsonl', 'aborted.jsonl', store.writer('aborted.jsonl'), columns);
    for (let i = 0; i < 20_000; i++) w.write(rows[0]!);
    await w.flush(); // over 1 MiB buffered: bytes reach the temp file
    await w.abort();
    expect(await store.get('aborted.jsonl')).toBeUndefined();
    expect(await readdir(dir)).not.toContainEqual(expect.stringContaining('aborted.jsonl'));
  });
});

describe('text writers reuse their buffers', () => {
  it('fill a buffer again only after its write resolved, and every byte lands in order', async () => {
    // A target that keeps what it is given (as the ObjectWriter contract allows until write resolves),
    // resolves late, and checks at resolve time that the chunk was not touched while in flight.
    const kept: Buffer[] = [];
    let changed = 0;
    let inFlight = 0;
    let most = 0;
    const target: ObjectWriter = {
      async write(c) {
        const chunk = c as Buffer;
        const copy = Buffer.from(chunk);
        inFlight++;
        most = Math.max(most, inFlight);
        await new Promise((r) => setTimeout(r, 2));
        if (!copy.equals(chunk)) changed++;
        inFlight--;
        kept.push(copy);
      },
      async commit() {},
      async abort() {},
    };
    const cols: OutputColumn[] = [{ name: 'i', type: 'integer' }, { name: 's', type: 'string' }];
    const w = createRowWriter('jsonl', 'out.jsonl', target, cols);
    const expected: string[] = [];
    for (let i = 0; i < 120_000; i++) {
      const s = `row ${i} ${'x'.repeat(i % 37)}`;
      w.write([i, s]);
      expected.push(JSON.stringify({ i, s }));
      if (i % 1000 === 999) await w.flush();
    }
    const part = await w.close();
    expect(part.rows).toBe(120_000);
    expect(kept.length).toBeGreaterThan(3);
    expect(changed).toBe(0);
    expect(most).toBe(1);
    expect(Buffer.concat(kept).toString()).toBe(expected.join('\n') + '\n');
  });

  it('FsObjectStore: a chunk may be filled again once its write resolved', async () => {
    const store = new FsObjectStore(dir);
    const w = store.writer('reuse.bin');
    const chunk = Buffer.alloc(1 << 20);
    for (const byte of [97, 98, 99]) {
      chunk.fill(byte);
      await w.write(chunk);
    }
    chunk.fill(122);
    await w.commit();
    const body = (await store.get('reuse.bin'))!;
    expect(body.length).toBe(3 << 20);
    expect([body[0], body[(1 << 20) + 5], body[(2 << 20) + 7], body[(3 << 20) - 1]]).toEqual([97, 98, 99, 99]);
    expect(body.includes(122)).toBe(false);
  });
});
