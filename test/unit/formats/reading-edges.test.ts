import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../../shared/config/load.js';
import { readRecords } from '../../../shared/formats/records.js';
import { FsObjectStore } from '../../../shared/local/fs-object-store.js';
import { planChunks } from '../../../shared/plan/plan.js';
import { processChunk } from '../../../shared/process/chunk.js';
import type { ObjectStore } from '../../../shared/store/object-store.js';
import { pipelineOf, tempDir } from '../../helpers.js';

let dir: string;
let cleanup: () => Promise<void>;
beforeAll(async () => ({ dir, cleanup } = await tempDir()));
afterAll(() => cleanup());

async function read(pieces: Buffer[], maxLineBytes = 1000) {
  const out: { line: number; malformed?: string; fields?: string[] }[] = [];
  const totals = await readRecords(
    Readable.from(pieces),
    { file: 'f.csv', format: 'csv', dialect: { delimiter: ',', quote: '"', lineBreak: '\n', relaxQuotes: false }, startOffset: 0, startLine: 1, maxLineBytes, stripBom: false },
    (r) => out.push({ line: r.line, malformed: r.malformed, fields: r.fields && [...r.fields] }),
    () => undefined,
  );
  return { out, totals };
}

/** A store that hands out a file in pieces of `size` bytes, as a network body may. */
function piecewise(store: FsObjectStore, size: number): ObjectStore {
  return Object.assign(Object.create(store) as ObjectStore, {
    read: (key: string, range?: { start: number; end: number }, version?: never) =>
      (async function* () {
        for await (const c of store.read(key, range, version)) for (let i = 0; i < c.byteLength; i += size) yield c.subarray(i, i + size);
      })(),
  });
}

describe('reading, whatever the pieces', () => {
  it('accepts a U+FFFD that is data next to a line with invalid bytes', async () => {
    const bytes = Buffer.concat([Buffer.from('\uFFFD,1\n'), Buffer.from([0xff]), Buffer.from(',2\n')]);
    for (const pieces of [[bytes], [bytes.subarray(0, 6), bytes.subarray(6)]]) {
      const { out } = await read(pieces);
      expect(out.map((r) => r.malformed)).toEqual([undefined, 'invalid UTF-8']);
    }
  });

  it('waits for the next piece after a CR that ends one, instead of taking it as the line end', async () => {
    const text = Buffer.from(`"a\nb",${'x'.repeat(30)}\r\nz\n`);
    const { out, totals } = await read([text.subarray(0, 37), text.subarray(37)], 10);
    expect(out.map((r) => [r.line, r.malformed ?? r.fields!.join('|')])).toEqual([[1, 'record longer than maxLineBytes (10)'], [3, 'z']]);
    expect(totals.blankLines).toBe(0);
  });

  it('reads a header quoted over two lines the same from 8-byte pieces as from one read', async () => {
    await writeFile(join(dir, 'h.csv'), '"long\nname",b\n1,2\n');
    const pipeline = pipelineOf({ schema: { columns: { 'long\nname': {}, b: {} } } });
    const store = new FsObjectStore(dir);
    const whole = await planChunks(store, 'h.csv', pipeline);
    const split = await planChunks(piecewise(store, 8), 'h.csv', pipeline);
    expect(split).toMatchObject({ header: ['long\nname', 'b'], headerLines: 2, dataStart: 14 });
    expect(split.header).toEqual(whole.header);
  });

  it('plans JSONL by lines, without parsing the file', async () => {
    await writeFile(join(dir, 'j.jsonl'), '{"a":"x,\\"y"}\n'.repeat(200));
    const plan = await planChunks(new FsObjectStore(dir), 'j.jsonl', pipelineOf({ format: { type: 'jsonl' }, chunking: { targetSize: 500 }, schema: { columns: { a: {} } } }));
    expect(plan.chunks.length).toBeGreaterThan(3);
    expect(plan.method).not.toMatch(/quote-aware/);
  });

  it('gives a gzip reject the same byte offset as the plain file', async () => {
    const content = 'a,b\nx,1\ny,zz\n';
    await writeFile(join(dir, 'g.csv'), content);
    await writeFile(join(dir, 'g.csv.gz'), gzipSync(content));
    const pipeline = pipelineOf({ schema: { columns: { a: {}, b: { type: 'integer' } } }, qualityGate: { maxRejectRatio: 1 } });
    const offsets: unknown[] = [];
    for (const key of ['g.csv', 'g.csv.gz']) {
      const store = new FsObjectStore(dir);
      const out = new FsObjectStore(join(dir, `out-${key}`));
      const plan = await planChunks(store, key, pipeline);
      const r = await processChunk(pipeline, plan, plan.chunks[0]!, { input: store, output: out });
      offsets.push(JSON.parse((await out.get(r.rejects!.key))!.toString()).offset);
    }
    expect(offsets).toEqual([8, 8]);
  });

  it('refuses a required column that may be missing', () => {
    expect(() => parseConfig({ pipelines: [{ name: 'x', schema: { columns: { a: { required: true, allowMissing: true } } } }] })).toThrow(/pipelines\[0\]\.schema\.columns\.a\.allowMissing: a required column cannot be allowed to be missing/);
  });
});

describe('an over-long record with invalid bytes', () => {
  it('is judged on its bytes and previewed from them, whichever path finds it', async () => {
    const line = Buffer.concat([Buffer.from('a,'), Buffer.alloc(9, 0xff), Buffer.from(',b\n')]); // 14 bytes, 9 of them invalid
    const whole = await read([Buffer.concat([line, Buffer.from('c,1\n')])], 12);
    expect(whole.out.map((r) => r.malformed)).toEqual(['record longer than maxLineBytes (12)', undefined]);
    const short = await read([line], 20);
    expect(short.out.map((r) => r.malformed)).toEqual(['invalid UTF-8']);
    const raws: string[] = [];
    for (const pieces of [[Buffer.concat([line.subarray(0, 13), Buffer.alloc(20, 0x78), Buffer.from('\nc,1\n')])], [Buffer.concat([line.subarray(0, 13), Buffer.alloc(20, 0x78)]), Buffer.from('\nc,1\n')]]) {
      await readRecords(
        Readable.from(pieces),
        { file: 'f.csv', format: 'csv', dialect: { delimiter: ',', quote: '"', lineBreak: '\n', relaxQuotes: false }, startOffset: 0, startLine: 1, maxLineBytes: 12, stripBom: false },
        (r) => void raws.push(r.raw()),
        () => undefined,
      );
    }
    expect(raws[0]).toBe(raws[2]);
    expect(raws[0]).toBe(`${Buffer.concat([Buffer.from('a,'), Buffer.alloc(9, 0xff), Buffer.from(',')]).toString('utf8')}…`);
  });
});
