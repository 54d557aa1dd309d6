import { open, readdir, readFile, stat, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../../shared/config/load.js';
import { FsObjectStore } from '../../../shared/local/fs-object-store.js';
import { runLocal } from '../../../shared/local/runner.js';
import { tempDir } from '../../helpers.js';

let dir: string;
let cleanup: () => Promise<void>;
beforeAll(async () => ({ dir, cleanup } = await tempDir()));
afterAll(() => cleanup());

/** Overwrites bytes of a file in place (same inode, same size), then sets its mtime back. */
async function rewriteInPlace(file: string, text: string): Promise<void> {
  const before = await stat(file);
  const handle = await open(file, 'r+');
  try {
    await handle.write(text, 0);
  } finally {
    await handle.close();
  }
  await utimes(file, before.atimeMs / 1000, before.mtimeMs / 1000);
  const after = await stat(file);
  // What the etag used to be made of: size, mtime in whole ms and inode.
  expect([after.size, Math.trunc(after.mtimeMs), after.ino]).toEqual([before.size, Math.trunc(before.mtimeMs), before.ino]);
}

const drain = async (source: AsyncIterable<Uint8Array>) => {
  const parts: Uint8Array[] = [];
  for await (const c of source) parts.push(c);
  return Buffer.concat(parts).toString();
};

describe('FsObjectStore versions', () => {
  it('gives a file rewritten in place with the same size and mtime a new etag', async () => {
    const store = new FsObjectStore(dir);
    for (const size of [10, 200_000]) {
      const key = `same-${size}.txt`;
      await writeFile(join(dir, key), 'a'.repeat(size));
      const first = await store.head(key);
      expect(first?.size).toBe(size);
      expect(await store.head(key)).toEqual(first);
      await rewriteInPlace(join(dir, key), 'b');
      const second = await store.head(key);
      expect(second?.size).toBe(size);
      expect(second?.etag).not.toBe(first?.etag);
    }
    expect(await store.head('missing.txt')).toBeUndefined();
  });

  it('refuses a versioned read of a file that changed since its head, before and after the bytes', async () => {
    const store = new FsObjectStore(dir);
    await writeFile(join(dir, 'read.txt'), 'hello world');
    const version = (await store.head('read.txt'))!;
    expect(await drain(store.read('read.txt', { start: 0, end: 5 }, version))).toBe('hello');
    await rewriteInPlace(join(dir, 'read.txt'), 'J');
    await expect(drain(store.read('read.txt', { start: 0, end: 5 }, version))).rejects.toThrow(/^read\.txt: changed since the job was planned/);

    // Changed while being read: the bytes came, the check after them refuses them.
    const now = (await store.head('read.txt'))!;
    const reading = store.read('read.txt', { start: 0, end: 5 }, now)[Symbol.asyncIterator]();
    expect(Buffer.from((await reading.next()).value as Uint8Array).toString()).toBe('Jello');
    await rewriteInPlace(join(dir, 'read.txt'), 'Y');
    await expect(reading.next()).rejects.toThrow(/^read\.txt: changed since the job was planned/);
  });
});

describe('runLocal on a file rewritten in place', () => {
  it('starts a new job and reads the new content when size and mtime are unchanged', async () => {
    const file = join(dir, 'values.csv');
    await writeFile(file, 'id,word\n1,alpha\n2,bravo\n');
    const config = parseConfig({ pipelines: [{ name: 'words', format: { type: 'csv' }, schema: { columns: { id: { type: 'integer' }, word: { type: 'string' } } } }] });
    const out = join(dir, 'out');
    const [first] = await runLocal({ config, files: [file], out, workers: 1 });
    expect(first!.status).toBe('SUCCEEDED');

    await rewriteInPlace(file, 'id,word\n1,delta\n2,gamma\n');
    const [second] = await runLocal({ config, files: [file], out, workers: 1 });
    expect(second!.status).toBe('SUCCEEDED');
    expect(second!.jobId).not.toBe(first!.jobId);
    const folder = join(out, 'results/words', second!.jobId);
    const parts = (await readdir(folder)).filter((f) => f.startsWith('part-'));
    const body = (await Promise.all(parts.map((p) => readFile(join(folder, p), 'utf8')))).join('');
    expect(body).toBe('{"id":1,"word":"delta"}\n{"id":2,"word":"gamma"}\n');
  });
});
