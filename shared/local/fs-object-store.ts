import { createReadStream, createWriteStream, type WriteStream } from 'node:fs';
import { mkdir, open as fsOpen, readdir, readFile, rename, rm, writeFile, type FileHandle } from 'node:fs/promises';
import { once } from 'node:events';
import { finished } from 'node:stream/promises';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { createHash, randomBytes } from 'node:crypto';
import { changedSincePlanned, type ObjectInfo, type ObjectStore, type ObjectVersion, type ObjectWriter } from '../store/object-store.js';

const READ_CHUNK = 1 << 20;

const SAMPLE_BYTES = 64 << 10;

/**
 * The version of an open file: size, mtime, ctime, inode and a sha256 of its first and last 64 KiB
 * (the whole file when smaller). A user can set mtime back (`touch -d`, fs.utimes) but not ctime,
 * and the sample catches a rewrite in place within one clock tick. Costs a stat and two reads.
 * `undefined` when the handle is not a regular file.
 */
async function versionOf(handle: FileHandle): Promise<{ size: number; etag: string; mtime: Date } | undefined> {
  const s = await handle.stat();
  if (!s.isFile()) return undefined;
  const hash = createHash('sha256');
  const headBytes = Math.min(SAMPLE_BYTES, s.size);
  hash.update(await readAt(handle, 0, headBytes));
  if (s.size > headBytes) {
    const tailStart = Math.max(headBytes, s.size - SAMPLE_BYTES);
    hash.update(await readAt(handle, tailStart, s.size - tailStart));
  }
  return { size: s.size, etag: `${s.size}-${Math.trunc(s.mtimeMs)}-${Math.trunc(s.ctimeMs)}-${s.ino}-${hash.digest('hex').slice(0, 16)}`, mtime: s.mtime };
}

/** `length` bytes at `position` (fewer if the file is shorter now); positional, so an open stream's offset is untouched. */
async function readAt(handle: FileHandle, position: number, length: number): Promise<Buffer> {
  const buffer = Buffer.alloc(length);
  let filled = 0;
  while (filled < length) {
    const { bytesRead } = await handle.read(buffer, filled, length - filled, position + filled);
    if (bytesRead === 0) break;
    filled += bytesRead;
  }
  return filled === length ? buffer : buffer.subarray(0, filled);
}

/** Objects as files under a root folder. Writes go to a temp file and appear by rename on commit. */
export class FsObjectStore implements ObjectStore {
  readonly root: string;
  constructor(root: string) {
    this.root = resolve(root);
  }

  /** Keys are relative to the root; a key that would leave the root is refused. */
  path(key: string): string {
    const p = resolve(this.root, key);
    // The root may itself end in a separator ("/").
    if (p !== this.root && !p.startsWith(this.root.endsWith(sep) ? this.root : this.root + sep)) throw new Error(`key escapes the store root: ${key}`);
    return p;
  }

  async head(key: string): Promise<ObjectInfo | undefined> {
    const v = await this.describe(key);
    return v && { key, size: v.size, etag: v.etag };
  }

  /** Size, etag and write time from one open handle, so all three describe the same file. */
  private async describe(key: string): Promise<{ size: number; etag: string; mtime: Date } | undefined> {
    let handle: FileHandle;
    try {
      handle = await fsOpen(this.path(key), 'r');
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'EISDIR') return undefined;
      throw e;
    }
    try {
      return await versionOf(handle);
    } finally {
      await handle.close();
    }
  }

  read(key: string, range?: { start: number; end: number }, version?: ObjectVersion): AsyncIterable<Uint8Array> {
    if (range && range.end <= range.start) return (async function* () {})();
    const open = () =>
      createReadStream(this.path(key), {
        highWaterMark: READ_CHUNK,
        ...(range ? { start: range.start, end: range.end - 1 } : {}),
      });
    if (!version) return open();
    // A local file has one version: the open file must be the one planned, before and after reading.
    const path = this.path(key);
    return (async function* () {
      let handle;
      try {
        handle = await fsOpen(path, 'r');
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw changedSincePlanned(key, version, 'deleted');
        throw e;
      }
      try {
        // The same etag as head(): the file read must be the version planned, before and after the bytes.
        const check = async () => {
          const now = (await versionOf(handle))?.etag ?? 'not a file';
          if (now !== version.etag) throw changedSincePlanned(key, version, now);
        };
        await check();
        yield* handle.createReadStream({ highWaterMark: READ_CHUNK, autoClose: false, ...(range ? { start: range.start, end: range.end - 1 } : {}) });
        await check();
      } finally {
        await handle.close();
      }
    })();
  }

  async readInto(key: string, position: number, into: Uint8Array): Promise<number> {
    const handle = await fsOpen(this.path(key), 'r');
    try {
      let filled = 0;
      while (filled < into.byteLength) {
        const { bytesRead } = await handle.read(into, filled, into.byteLength - filled, position + filled);
        if (bytesRead === 0) break;
        filled += bytesRead;
      }
      return filled;
    } finally {
      await handle.close();
    }
  }

  async get(key: string): Promise<Buffer | undefined> {
    try {
      return await readFile(this.path(key));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw e;
    }
  }

  async put(key: string, body: string | Uint8Array): Promise<void> {
    const target = this.path(key);
    await mkdir(dirname(target), { recursive: true });
    const temp = tempName(target);
    try {
      await writeFile(temp, body);
      await rename(temp, target);
    } catch (e) {
      await rm(temp, { force: true });
      throw e;
    }
  }

  writer(key: string): ObjectWriter {
    const target = this.path(key);
    const temp = tempName(target);
    let stream: WriteStream | undefined;
    let failed: Error | undefined;
    const open = async () => {
      if (stream) return stream;
      await mkdir(dirname(target), { recursive: true });
      stream = createWriteStream(temp, { highWaterMark: 8 << 20 });
      stream.on('error', (e) => (failed = e));
      await once(stream, 'open');
      return stream;
    };
    return {
      async write(chunk) {
        const s = await open();
        if (failed) throw failed;
        // Resolved once the bytes are in the file: the caller may then reuse the chunk's buffer.
        await new Promise<void>((resolve, reject) => s.write(chunk, (e) => (e ? reject(e) : resolve())));
      },
      async commit() {
        const s = await open();
        s.end();
        // finished() also settles for a stream that a write error has already closed; once('close') would wait forever.
        await finished(s).catch((e: Error) => void (failed ??= e));
        if (failed) {
          await rm(temp, { force: true });
          throw failed;
        }
        await rename(temp, target);
      },
      async abort() {
        if (stream) {
          stream.destroy();
          await finished(stream).catch(() => undefined);
        }
        await rm(temp, { force: true });
      },
    };
  }

  async *list(prefix: string): AsyncIterable<ObjectInfo> {
    const dir = this.path(prefix.endsWith('/') ? prefix : dirname(prefix) + '/');
    const walk = async function* (this: FsObjectStore, d: string): AsyncIterable<ObjectInfo> {
      let entries;
      try {
        entries = await readdir(d, { withFileTypes: true });
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'ENOENT') return;
        throw e;
      }
      for (const entry of entries.sort((a, b) => (a.name < b.name ? -1 : 1))) {
        const full = join(d, entry.name);
        if (entry.isDirectory()) yield* walk.call(this, full);
        else if (!entry.name.includes('.sluice-tmp-')) {
          const key = relative(this.root, full).split(sep).join('/');
          if (key.startsWith(prefix)) {
            const v = await this.describe(key);
            if (v) yield { key, size: v.size, etag: v.etag, lastModified: v.mtime.toISOString() };
          }
        }
      }
    };
    yield* walk.call(this, dir);
  }

  /** Removes temp files a killed process left under a prefix; they were never visible as objects. */
  async removeTemporaries(prefix: string): Promise<number> {
    let removed = 0;
    const walk = async (d: string): Promise<void> => {
      const entries = await readdir(d, { withFileTypes: true }).catch(() => []);
      for (const e of entries) {
        const full = join(d, e.name);
        if (e.isDirectory()) await walk(full);
        else if (e.name.includes('.sluice-tmp-')) {
          await rm(full, { force: true });
          removed++;
        }
      }
    };
    await walk(this.path(prefix));
    return removed;
  }

  async delete(key: string): Promise<void> {
    await rm(this.path(key), { force: true });
  }
}

function tempName(target: string): string {
  return `${target}.sluice-tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
}
