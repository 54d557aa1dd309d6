import { existsSync, readdirSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { combine, orderKey, type CombineFile } from '../../../shared/collect/combine.js';
import type { Collect } from '../../../shared/config/schema.js';
import { FsObjectStore } from '../../../shared/local/fs-object-store.js';
import { tempDir } from '../../helpers.js';

let dir: string;
let cleanup: () => Promise<void>;
let store: FsObjectStore;
beforeEach(async () => {
  ({ dir, cleanup } = await tempDir('sluice-combine-'));
  store = new FsObjectStore(dir);
});
afterEach(() => cleanup());

/** Writes each file's rows as one JSON lines part and returns the combine's input. */
async function files(rows: readonly (readonly Record<string, unknown>[])[]): Promise<CombineFile[]> {
  const out: CombineFile[] = [];
  for (const [i, file] of rows.entries()) {
    const key = `in/f${i}.jsonl`;
    const text = file.map((r) => `${JSON.stringify(r)}\n`).join('');
    await store.put(key, text);
    out.push({ key, parts: [{ key, bytes: Buffer.byteLength(text) }] });
  }
  return out;
}

const collectOf = (c: Partial<Collect>): Collect => ({ sort: [], schemaDrift: 'fail', ...c });

async function run(input: CombineFile[], collect: Partial<Collect>, options: { partitionBytes?: number; partBytes?: number } = {}) {
  const r = await combine(store, input, collectOf(collect), 'tmp/', 'out/', options);
  if (!r.ok) throw new Error(r.reason);
  const rows: Record<string, unknown>[] = [];
  for (const p of r.parts) rows.push(...(await readFile(join(dir, p.key), 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>));
  return { ...r, rows };
}

const A = [
  { k: 'x', v: 1, n: 'a1' },
  { k: 'y', v: null, n: 'a2' },
  { k: 'x', v: 5, n: 'a3' },
];
const B = [
  { k: 'y', v: 2, n: 'b1' },
  { k: 'x', v: 5, n: 'b2' },
  { k: null, v: 9, n: 'b3' },
];
const C = [{ v: 0, n: 'c1' }, { k: 'z', v: 3, n: 'c2' }];

describe('combine: which row of a key stays', () => {
  it.each([
    ['first', ['a1', 'a2', 'b3', 'c2']],
    ['last', ['b2', 'b1', 'c1', 'c2']],
    // max of v: x ties at 5 (a3 before b2, so a3); y: null loses to 2; the null key: 9 beats 0.
    [{ max: 'v' }, ['a3', 'b1', 'b3', 'c2']],
    // min of v: x: 1; y: the null loses, so 2; the null key: 0.
    [{ min: 'v' }, ['a1', 'b1', 'c1', 'c2']],
  ] as const)('keep %j keeps %j (a missing key column is null, and null equals null)', async (keep, names) => {
    const r = await run(await files([A, B, C]), { dedupe: { key: ['k'], keep }, sort: ['k'] });
    // Sorted by k, nulls last: x, y, z, then the null key.
    expect(r.rows.map((x) => x.n)).toEqual([names[0], names[1], names[3], names[2]]);
    expect(r.files.map((f) => f.rowsIn)).toEqual([3, 3, 2]);
    expect(r.files.reduce((n, f) => n + f.duplicatesDropped, 0)).toBe(4);
    expect(r.files.reduce((n, f) => n + f.rowsAdded, 0)).toBe(4);
  });

  it('keeps the first of rows that tie on their keep value, for max and for min, and never lets a null replace a value', async () => {
    const rows = [
      { k: 'a', v: 2, n: 1 },
      { k: 'a', v: 2, n: 2 },
      { k: 'b', v: 4, n: 3 },
      { k: 'b', v: null, n: 4 },
      { k: 'c', v: null, n: 5 },
      { k: 'c', v: null, n: 6 },
    ];
    for (const keep of [{ max: 'v' }, { min: 'v' }] as const) {
      const r = await run(await files([rows]), { dedupe: { key: ['k'], keep }, sort: ['k'] });
      expect(r.rows.map((x) => x.n), JSON.stringify(keep)).toEqual([1, 3, 5]);
    }
  });

  it('writes parts of about partBytes, each with its own row count', async () => {
    const input = await files([Array.from({ length: 400 }, (_, i) => ({ n: i, pad: 'y'.repeat(30) }))]);
    const r = await run(input, { sort: ['n'] }, { partBytes: 4000 });
    const total = r.parts.reduce((n, p) => n + p.bytes, 0);
    expect(r.parts.length).toBe(Math.ceil(total / 4000));
    for (const p of r.parts.slice(0, -1)) expect(p.bytes).toBeGreaterThanOrEqual(4000);
    for (const p of r.parts) expect(p.rows).toBe((await readFile(join(dir, p.key), 'utf8')).trim().split('\n').length);
    expect(r.parts.reduce((n, p) => n + p.rows, 0)).toBe(400);
  });

  it('takes a row longer than its write block', async () => {
    const big = 'é'.repeat(400_000);
    const r = await run(await files([[{ n: 1, s: big }, { n: 0, s: 'small' }]]), { sort: ['n'] }, { partitionBytes: 64 });
    expect(r.rows.map((x) => [x.n, (x.s as string).length])).toEqual([
      [0, 5],
      [1, 400_000],
    ]);
  });

  it('counts the rows each file added and lost', async () => {
    const r = await run(await files([A, B, C]), { dedupe: { key: ['k'], keep: 'first' } });
    expect(r.files.map((f) => [f.rowsAdded, f.duplicatesDropped])).toEqual([
      [2, 1],
      [1, 2],
      [1, 1],
    ]);
    // No sort: file order, then the order within a file.
    expect(r.rows.map((x) => x.n)).toEqual(['a1', 'a2', 'b3', 'c2']);
  });

  it('keys on several columns, and tells 1 from "1"', async () => {
    const r = await run(await files([[{ a: 1, b: 'p', n: 1 }, { a: '1', b: 'p', n: 2 }, { a: 1, b: 'q', n: 3 }, { a: 1, b: 'p', n: 4 }]]), { dedupe: { key: ['a', 'b'], keep: 'last' } });
    expect(r.rows.map((x) => x.n)).toEqual([2, 3, 4]);
  });

  it('takes hostile column names as names', async () => {
    const rows = [JSON.parse('{"__proto__":"p","constructor":1,"n":"r1"}'), JSON.parse('{"__proto__":"p","constructor":2,"n":"r2"}'), JSON.parse('{"__proto__":"q","constructor":0,"n":"r3"}')] as Record<string, unknown>[];
    const r = await run(await files([rows]), { dedupe: { key: ['__proto__'], keep: { max: 'constructor' } }, sort: ['constructor'] });
    expect(r.rows.map((x) => x.n)).toEqual(['r3', 'r2']);
  });
});

describe('combine: order', () => {
  it('sorts numbers by value and strings by code point, nulls last, ties in file order', async () => {
    const r = await run(await files([[{ s: 10, n: 1 }, { s: 9, n: 2 }, { s: null, n: 3 }, { s: -1.5, n: 4 }], [{ s: 9, n: 5 }, { n: 6 }]]), { sort: ['s'] });
    expect(r.rows.map((x) => x.n)).toEqual([4, 2, 5, 1, 3, 6]);
    const t = await run(await files([[{ s: '😀' }, { s: '\uFFFF' }, { s: 'b' }, { s: 'B' }, { s: 'é' }]]), { sort: ['s'] });
    expect(t.rows.map((x) => x.s)).toEqual(['B', 'b', 'é', '\uFFFF', '😀']);
  });

  const sign = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
  it('gives order keys that compare strings as their UTF-8 bytes compare, control characters and astral ones included', () => {
    const text = fc.string({ unit: fc.oneof(fc.constantFrom('\u0000', '\u0001', '\t', '\n', '\u001f', ' ', 'a', '\ud7ff', '\ue000', '\uffff', '😀', '𝄞'), fc.string({ unit: 'grapheme', maxLength: 1 })) });
    fc.assert(
      fc.property(text, text, (a, b) => {
        expect(sign(orderKey(a), orderKey(b))).toBe(Math.sign(Buffer.compare(Buffer.from(a), Buffer.from(b))));
        expect(orderKey(a)).not.toMatch(/[\t\n\r]/);
      }),
      { numRuns: 2000 },
    );
  });

  it('gives order keys that compare numbers by value, and nulls last', () => {
    const n = fc.oneof(fc.double({ noNaN: true, noDefaultInfinity: true }), fc.integer(), fc.constantFrom(0, -0, 5e-324, -5e-324, Number.MAX_VALUE, -Number.MAX_VALUE, 0.1, -0.1));
    fc.assert(
      fc.property(n, n, (a, b) => {
        expect(sign(orderKey(a), orderKey(b))).toBe(a < b ? -1 : a > b ? 1 : 0);
        expect(orderKey(null) > orderKey(a)).toBe(true);
      }),
      { numRuns: 2000 },
    );
    expect([orderKey(false) < orderKey(true), orderKey(true) < orderKey(-1e300), orderKey(1e300) < orderKey('')]).toEqual([true, true, true]);
  });

  it('orders lone surrogates as UTF-8 writes them (U+FFFD), and kinds as booleans, numbers, strings, then lists and objects', () => {
    const keys = ['\ud800', '\udfff', '\ufffc', '\ufffd', '\ufffe', '😀', 'a\ud83d'].map((v) => orderKey(v));
    expect(sign(keys[0]!, keys[3]!)).toBe(0);
    expect(sign(keys[1]!, keys[3]!)).toBe(0);
    expect([sign(keys[2]!, keys[0]!), sign(keys[0]!, keys[4]!), sign(keys[4]!, keys[5]!), sign(orderKey('a'), keys[6]!)]).toEqual([-1, -1, -1, -1]);
    const kinds = [false, true, -1, 0, 2.5, '', 'z', [1], { a: 1 }, null].map((v) => orderKey(v));
    expect([...kinds].sort()).toEqual(kinds);
  });

  it('orders several sort columns column by column, whatever their kinds', async () => {
    const r = await run(await files([[{ a: 3, b: 'x', n: 1 }, { a: false, b: 5, n: 2 }, { a: true, b: 0, n: 3 }, { a: 'q', b: null, n: 4 }, { a: [1], b: 1, n: 5 }, { a: null, b: -1, n: 6 }]]), { schemaDrift: 'union', sort: ['a', 'b'] });
    expect(r.rows.map((x) => x.n)).toEqual([2, 3, 1, 4, 5, 6]);
  });

  it('orders several sort columns column by column, whatever their lengths', async () => {
    const r = await run(await files([[{ a: 'ab', b: 1, n: 1 }, { a: 'a', b: 2, n: 2 }, { a: 'a', b: null, n: 3 }, { a: 'a', b: -3, n: 4 }, { a: null, b: 0, n: 5 }, { a: 'a\u0000', b: 0, n: 6 }]]), { sort: ['a', 'b'] });
    expect(r.rows.map((x) => x.n)).toEqual([4, 2, 3, 6, 1, 5]);
  });

  it('gives the same rows with 1 partition and with dozens, in parts of any size', async () => {
    const rows = (seed: number) => Array.from({ length: 300 }, (_, i) => ({ k: (i * 7 + seed) % 97, v: (i * 13 + seed) % 11, n: `${seed}-${i}` }));
    const input = await files([rows(1), rows(2), rows(3)]);
    const one = await run(input, { dedupe: { key: ['k'], keep: { max: 'v' } }, sort: ['v'] });
    const many = await run(input, { dedupe: { key: ['k'], keep: { max: 'v' } }, sort: ['v'] }, { partitionBytes: 256, partBytes: 500 });
    expect(one.partitions).toBe(1);
    expect(many.partitions).toBeGreaterThan(50);
    expect(many.parts.length).toBeGreaterThan(5);
    expect(many.rows).toEqual(one.rows);
    expect(one.rows).toHaveLength(97);
    // The temp partitions and runs are gone.
    const left: string[] = [];
    for await (const o of store.list('tmp/')) left.push(o.key);
    expect(left).toEqual([]);
  });
});

describe('combine: bounded and clean', () => {
  it('spreads keyed rows over the partitions by a hash of their key', async () => {
    const input = await files([Array.from({ length: 300 }, (_, i) => ({ k: `key-${i}`, pad: 'x'.repeat(40) }))]);
    let sizes: number[] = [];
    await combine(store, input, collectOf({ dedupe: { key: ['k'], keep: 'first' } }), 'tmp/', 'out/', {
      partitionBytes: 2000,
      beforeWrite: () => {
        sizes = readdirSync(join(dir, 'tmp')).filter((n) => n.startsWith('scatter-')).map((n) => statSync(join(dir, 'tmp', n)).size);
        return undefined;
      },
    });
    expect(sizes.length).toBeGreaterThan(8);
    expect(Math.max(...sizes)).toBeLessThan((2 * sizes.reduce((a, b) => a + b, 0)) / sizes.length);
  });

  it('spreads rows without a key over the partitions by their place in the whole input, even one row a file', async () => {
    const input = await files(Array.from({ length: 60 }, (_, i) => [{ n: i, pad: 'x'.repeat(40) }]));
    let sizes: number[] = [];
    const r = await combine(store, input, collectOf({}), 'tmp/', 'out/', {
      partitionBytes: 600,
      beforeWrite: () => {
        sizes = readdirSync(join(dir, 'tmp')).filter((n) => n.startsWith('scatter-')).map((n) => statSync(join(dir, 'tmp', n)).size);
        return undefined;
      },
    });
    expect(r.ok).toBe(true);
    expect(sizes.length).toBeGreaterThan(4);
    // Each partition holds its share: none more than twice the mean.
    expect(Math.max(...sizes)).toBeLessThan((2 * sizes.reduce((a, b) => a + b, 0)) / sizes.length);
  });

  it('leaves no temp file and no output when a results line is not JSON', async () => {
    const input = await files([[{ n: 1 }, { n: 2 }]]);
    await store.put('in/bad.jsonl', '{"n":3}\n{"n":\n');
    const bad = [...input, { key: 'in/bad.jsonl', parts: [{ key: 'in/bad.jsonl', bytes: 14 }] }];
    await expect(combine(store, bad, collectOf({ sort: ['n'] }), 'tmp/', 'out/', { partitionBytes: 8 })).rejects.toThrow(SyntaxError);
    const all = (sub: string) => (existsSync(join(dir, sub)) ? readdirSync(join(dir, sub), { recursive: true }) : []);
    expect([...all('tmp'), ...all('out')]).toEqual([]);
  });
});

describe('combine: schema', () => {
  it('records the kinds of each column per file, and stops before writing when told', async () => {
    const input = await files([[{ a: 1, b: 'x' }, { a: null, b: 'y' }], [{ a: 'one', b: null }]]);
    const r = await combine(store, input, collectOf({}), 'tmp/', 'out/', { beforeWrite: () => 'no' });
    expect(r.ok).toBe(false);
    expect(r.files.map((f) => Object.fromEntries([...f.kinds].map(([c, k]) => [c, [...k]])))).toEqual([
      { a: ['number'], b: ['string'] },
      { a: ['string'], b: [] },
    ]);
    const written: string[] = [];
    for await (const o of store.list('')) if (!o.key.startsWith('in/')) written.push(o.key);
    expect(written).toEqual([]);
  });
});
