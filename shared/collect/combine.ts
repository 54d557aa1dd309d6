import type { Collect } from '../config/schema.js';
import { HashingSink, type PartInfo } from '../formats/writers.js';
import { layout } from '../process/layout.js';
import { hashString } from '../report/hll.js';
import { lineBatches } from '../store/lines.js';
import type { ObjectStore, ObjectWriter } from '../store/object-store.js';

export type JsonValue = null | boolean | number | string | readonly JsonValue[] | { readonly [k: string]: JsonValue };

/** One file of a collection: its JSON lines result parts, in file order. */
export interface CombineFile {
  readonly key: string;
  readonly parts: readonly { readonly key: string; readonly bytes: number }[];
}

/** What the combine saw of one file. */
export interface CombinedFile {
  /** Rows in its results. */
  rowsIn: number;
  /** Its rows in the combined dataset. */
  rowsAdded: number;
  /** Its rows dropped because another row of the same key stayed. */
  duplicatesDropped: number;
  /** Columns of its rows, with the kinds of their non-null values (number, string, boolean, array, object). */
  readonly kinds: Map<string, Set<string>>;
}

export interface CombineOptions {
  /** Scatter bytes a partition is planned to hold; the rows kept of one partition are in memory at once. */
  readonly partitionBytes?: number;
  /** Bytes per output part. */
  readonly partBytes?: number;
  /** Called after the scatter, before any output is written: returning a reason stops the combine. */
  readonly beforeWrite?: (files: readonly CombinedFile[]) => string | undefined;
}

export type CombineResult = { readonly ok: true; readonly files: readonly CombinedFile[]; readonly parts: readonly PartInfo[]; readonly partitions: number } | { readonly ok: false; readonly files: readonly CombinedFile[]; readonly reason: string };

export const PARTITION_BYTES = 32 << 20;
/**
 * At most this many partitions: each holds an open file while the rows scatter, and each run a
 * read-ahead buffer while they merge. Past MAX_PARTITIONS × PARTITION_BYTES (8 GiB of records)
 * partitions grow instead, and so does the memory of the one being reduced.
 */
export const MAX_PARTITIONS = 256;
const PART_BYTES = 64 << 20;
const FLUSH_BYTES = 256 << 10;

const hex = new Array<string>(256);
for (let i = 0; i < 256; i++) hex[i] = i.toString(16).padStart(2, '0');
const f64 = new Float64Array(1);
const bytes = new Uint8Array(f64.buffer);
const LITTLE = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** Tags in the order kinds sort: booleans, numbers, strings, lists and objects, then nulls (nulls last). */
const NULL_KEY = 'z';

/**
 * A string whose plain comparison (`<`) orders values as DuckDB's ORDER BY does ascending:
 * numbers by value, strings by code point (UTF-8 byte order), false before true, nulls last.
 * Values of different kinds (only in files that drifted) order by kind, lists and objects by
 * their JSON text. It holds no tab or line break, so it can head a record of a temp file.
 */
export function orderKey(v: JsonValue): string {
  if (v === null) return NULL_KEY;
  if (typeof v === 'number') {
    // IEEE 754 bits, big-endian, with the sign flipped (and every bit of a negative): byte order is numeric order.
    f64[0] = v === 0 ? 0 : v;
    let out = 'n';
    const negative = (bytes[LITTLE ? 7 : 0]! & 0x80) !== 0;
    for (let i = 0; i < 8; i++) {
      const b = bytes[LITTLE ? 7 - i : i]!;
      out += hex[negative ? 0xff - b : i === 0 ? b | 0x80 : b];
    }
    return out;
  }
  if (typeof v === 'boolean') return v ? 'b1' : 'b0';
  return `${typeof v === 'string' ? 's' : 't'}${orderedText(typeof v === 'string' ? v : JSON.stringify(v))}\u0000`;
}

/**
 * Text that compares in code point order under UTF-16 comparison, with no character below
 * U+0020: those are escaped as U+0001 and a printable character (so U+0000 can end the text).
 * Characters from U+E000 and astral ones (surrogate pairs) get a prefix that puts astral ones last;
 * a lone surrogate sorts as U+FFFD, the character UTF-8 writes for it.
 */
function orderedText(s: string): string {
  // eslint-disable-next-line no-control-regex
  if (!/[\u0000-\u001f\ud800-\uffff]/.test(s)) return s;
  let out = '';
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20) out += `\u0001${String.fromCharCode(c + 0x20)}`;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
      out += `\ue001${s[i]}${s[i + 1]}`;
      i++;
    } else if (c >= 0xd800 && c <= 0xdfff) out += `\ue000${String.fromCharCode(0xfffd - 0xe000 + 0x20)}`;
    else if (c >= 0xe000) out += `\ue000${String.fromCharCode(c - 0xe000 + 0x20)}`;
    else out += s[i];
  }
  return out;
}

/** Fixed-width hex of a whole number below 2^52, so positions compare as text. */
function position(n: number, width: number): string {
  return n.toString(16).padStart(width, '0');
}

/** The kind of a JSON value, as the schema check names it. */
export function kindOf(v: JsonValue): string {
  return Array.isArray(v) ? 'array' : v === null ? 'null' : typeof v;
}

/** Text appended to an object, encoded into a block that is written when full. */
class TextOut {
  // Allocated at the first write: a partition that gets no rows costs nothing.
  private buf = Buffer.alloc(0);
  private pos = 0;
  readonly sink: HashingSink;
  constructor(key: string, writer: ObjectWriter) {
    this.sink = new HashingSink(key, writer);
  }
  /** Appends text; true when the block is full and the caller should `flush`. */
  add(text: string): boolean {
    // A UTF-16 unit is at most three bytes of UTF-8.
    if (this.buf.length - this.pos < text.length * 3) {
      const bigger = Buffer.allocUnsafe(Math.max(this.buf.length * 2, FLUSH_BYTES + (64 << 10), this.pos + text.length * 3));
      this.buf.copy(bigger, 0, 0, this.pos);
      this.buf = bigger;
    }
    this.pos += this.buf.write(text, this.pos, 'utf8');
    return this.pos >= FLUSH_BYTES;
  }
  /** Bytes written so far, those in the block included. */
  get size(): number {
    return this.sink.bytes + this.pos;
  }
  async flush(): Promise<void> {
    if (!this.pos) return;
    // The sink may hold on to the bytes until written: it gets its own block.
    const full = this.buf.subarray(0, this.pos);
    this.buf = Buffer.allocUnsafe(this.buf.length);
    this.pos = 0;
    await this.sink.write(full);
  }
  private done = false;
  async commit(rows: number): Promise<PartInfo> {
    await this.flush();
    this.done = true;
    return this.sink.commit(rows);
  }
  /** Drops what was written, unless committed: a failed combine leaves no temp file. */
  async abort(): Promise<void> {
    if (!this.done) await this.sink.abort().catch(() => undefined);
    this.done = true;
  }
}

const own = (o: Record<string, JsonValue>, k: string): JsonValue => (Object.hasOwn(o, k) ? o[k]! : null);

const FILE_DIGITS = 6;
const ROW_DIGITS = 13;

/**
 * Combines the JSON lines of many files into one dataset, in bounded memory:
 * 1. scatter: every row goes to a hash partition of its dedupe key (or of its position), as a
 *    record of its dedupe key, its keep value, its order key (sort values, then file, then place
 *    in the file, as one string that compares in that order) and its line;
 * 2. per partition: the row that stays for each key is chosen, and the partition's rows are
 *    sorted by order key into a run;
 * 3. the runs are merged into parts of `partBytes`.
 * Only one partition's kept rows are in memory at once; the partitions grow with the input.
 */
export async function combine(store: ObjectStore, files: readonly CombineFile[], collect: Collect, temp: string, out: string, options: CombineOptions = {}): Promise<CombineResult> {
  if (files.length >= 16 ** FILE_DIGITS) throw new Error(`a collection takes at most ${16 ** FILE_DIGITS - 1} files`);
  const totalBytes = files.reduce((n, f) => n + f.parts.reduce((m, p) => m + p.bytes, 0), 0);
  const partitions = Math.max(1, Math.min(MAX_PARTITIONS, Math.ceil(totalBytes / (options.partitionBytes ?? PARTITION_BYTES))));
  const scatterKey = (p: number) => `${temp}scatter-${p}.tsv`;
  const runKey = (p: number) => `${temp}run-${p}.tsv`;
  const result: CombinedFile[] = files.map(() => ({ rowsIn: 0, rowsAdded: 0, duplicatesDropped: 0, kinds: new Map() }));
  const keyColumns = collect.dedupe?.key ?? [];
  const keep = collect.dedupe?.keep ?? 'first';
  const by = typeof keep === 'object' ? ('max' in keep ? keep.max : keep.min) : undefined;
  const wantMax = typeof keep === 'object' && 'max' in keep;
  // The file of a run record, from the end of its order key.
  const writers: TextOut[] = [];
  const opened = (o: TextOut) => (writers.push(o), o);
  const fileOf = (row: string) => {
    const end = row.indexOf('\t');
    return parseInt(row.slice(end - FILE_DIGITS - ROW_DIGITS, end - ROW_DIGITS), 16);
  };
  try {
    // 1. Scatter. Without a key, rows go round the partitions by their place in the whole input.
    const scatter = Array.from({ length: partitions }, (_, p) => opened(new TextOut(scatterKey(p), store.writer(scatterKey(p)))));
    let total = 0;
    for (let f = 0; f < files.length; f++) {
      const seen = result[f]!;
      const at = position(f, FILE_DIGITS);
      let s = 0;
      for (const part of files[f]!.parts) {
        for await (const batch of lineBatches(store.read(part.key))) {
          for (const line of batch) {
            if (line === '') continue;
            const row = JSON.parse(line) as Record<string, JsonValue>;
            for (const name in row) {
              if (!Object.hasOwn(row, name)) continue;
              const v = row[name]!;
              let kinds = seen.kinds.get(name);
              if (!kinds) seen.kinds.set(name, (kinds = new Set()));
              if (v !== null) kinds.add(kindOf(v));
            }
            let order = '';
            for (const c of collect.sort) order += orderKey(own(row, c));
            order += at + position(s, ROW_DIGITS);
            let key = '';
            for (const c of keyColumns) key += `${JSON.stringify(own(row, c))},`;
            const cmp = by === undefined ? '' : orderKey(own(row, by));
            const p = (keyColumns.length ? hashString(key) : total) % partitions;
            if (scatter[p]!.add(`${key}\t${cmp}\t${order}\t${line}\n`)) await scatter[p]!.flush();
            s++;
            total++;
          }
        }
      }
      seen.rowsIn = s;
    }
    for (const o of scatter) await o.commit(0);
    const stop = options.beforeWrite?.(result);
    if (stop !== undefined) return { ok: false, files: result, reason: stop };

    // 2. Per partition: keep one row per key, sort into a run. A row is its run record, `order\tline`
    // (a slice of its scatter record): order keys are distinct and none is a prefix of another, so
    // the records sort as their order keys do, by the engine's own string sort.
    for (let p = 0; p < partitions; p++) {
      const keptByKey = new Map<string, string>();
      const keptCmp = new Map<string, string>();
      const all: string[] = [];
      for await (const batch of lineBatches(store.read(scatterKey(p)))) {
        for (const record of batch) {
          const t1 = record.indexOf('\t');
          const t2 = record.indexOf('\t', t1 + 1);
          const row = record.slice(t2 + 1);
          if (!keyColumns.length) {
            all.push(row);
            continue;
          }
          const key = record.slice(0, t1);
          const old = keptByKey.get(key);
          const cmp = by === undefined ? '' : record.slice(t1 + 1, t2);
          if (old === undefined) {
            keptByKey.set(key, row);
            if (by !== undefined) keptCmp.set(key, cmp);
            continue;
          }
          // Records of a partition come in file order, so the first one seen is the first in the files.
          // A null keep value is the greatest order key: it never beats a value, for max or min.
          let replace = keep === 'last';
          if (by !== undefined) {
            const was = keptCmp.get(key)!;
            replace = wantMax ? cmp !== NULL_KEY && (was === NULL_KEY || cmp > was) : cmp < was;
          }
          result[fileOf(replace ? old : row)]!.duplicatesDropped++;
          if (replace) {
            keptByKey.set(key, row);
            if (by !== undefined) keptCmp.set(key, cmp);
          }
        }
      }
      await store.delete(scatterKey(p));
      const rows = keyColumns.length ? [...keptByKey.values()] : all;
      keptByKey.clear();
      keptCmp.clear();
      rows.sort();
      const run = opened(new TextOut(runKey(p), store.writer(runKey(p))));
      for (const r of rows) {
        result[fileOf(r)]!.rowsAdded++;
        if (run.add(`${r}\n`)) await run.flush();
      }
      await run.commit(0);
    }

    // 3. Merge the runs.
    const parts = await mergeRuns(store, Array.from({ length: partitions }, (_, p) => runKey(p)), out, options.partBytes ?? PART_BYTES, opened);
    return { ok: true, files: result, parts, partitions };
  } finally {
    for (const o of writers) await o.abort();
    const left: string[] = [];
    for await (const o of store.list(temp)) left.push(o.key);
    for (const key of left) await store.delete(key);
  }
}

/** Reads one sorted run record by record: its head's order key and line. */
class RunCursor {
  private batch: string[] = [];
  private at = 0;
  order = '';
  line = '';
  done = false;
  constructor(private readonly batches: AsyncGenerator<string[]>) {}
  /** Moves to the next record; false when the batch is used up and `refill` must run first. */
  advance(): boolean {
    if (this.at >= this.batch.length) return false;
    const record = this.batch[this.at++]!;
    const tab = record.indexOf('\t');
    this.order = record.slice(0, tab);
    this.line = record.slice(tab + 1);
    return true;
  }
  async close(): Promise<void> {
    await this.batches.return(undefined);
  }
  async refill(): Promise<void> {
    for (;;) {
      const n = await this.batches.next();
      if (n.done) {
        this.done = true;
        return;
      }
      this.batch = n.value;
      this.at = 0;
      if (this.advance()) return;
    }
  }
}

/** A k-way merge of sorted runs (a binary heap of their heads) into parts of about `partBytes`. */
async function mergeRuns(store: ObjectStore, runs: readonly string[], out: string, partBytes: number, opened: (o: TextOut) => TextOut): Promise<PartInfo[]> {
  const heap: RunCursor[] = [];
  const cursors: RunCursor[] = [];
  try {
    for (const key of runs) {
      const c = new RunCursor(lineBatches(store.read(key)));
      cursors.push(c);
      await c.refill();
      if (!c.done) heap.push(c);
    }
    return await merge(store, heap, runs, out, partBytes, opened);
  } finally {
    // A run left unread (the merge failed) closes its file.
    for (const c of cursors) await c.close();
  }
}

async function merge(store: ObjectStore, heap: RunCursor[], runs: readonly string[], out: string, partBytes: number, opened: (o: TextOut) => TextOut): Promise<PartInfo[]> {
  const sift = (i: number) => {
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < heap.length && heap[l]!.order < heap[m]!.order) m = l;
      if (r < heap.length && heap[r]!.order < heap[m]!.order) m = r;
      if (m === i) return;
      [heap[i], heap[m]] = [heap[m]!, heap[i]!];
      i = m;
    }
  };
  for (let i = (heap.length >> 1) - 1; i >= 0; i--) sift(i);
  const parts: PartInfo[] = [];
  let part: TextOut | undefined;
  let rows = 0;
  const close = async () => {
    if (!part) return;
    parts.push(await part.commit(rows));
    part = undefined;
    rows = 0;
  };
  while (heap.length) {
    const top = heap[0]!;
    if (!part) {
      const key = `${out}${layout.part(parts.length)}.jsonl`;
      part = opened(new TextOut(key, store.writer(key)));
    }
    if (part.add(`${top.line}\n`)) await part.flush();
    rows++;
    if (part.size >= partBytes) await close();
    if (!top.advance()) await top.refill();
    if (top.done) {
      heap[0] = heap[heap.length - 1]!;
      heap.pop();
    }
    if (heap.length) sift(0);
  }
  await close();
  for (const key of runs) await store.delete(key);
  return parts;
}
