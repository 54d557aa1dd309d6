import type { Collect } from '../config/schema.js';
import { HashingSink, type PartInfo } from '../formats/writers.js';
import { layout } from '../process/layout.js';
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
const PART_BYTES = 64 << 20;
const FLUSH_CHARS = 256 << 10;

/**
 * Orders values as DuckDB's ORDER BY does ascending: nulls last; numbers by value, strings by
 * code point (UTF-8 byte order), false before true. Values of different kinds (only in files
 * that drifted) order by kind, and lists and objects by their JSON text.
 */
export function compareValues(a: JsonValue | undefined, b: JsonValue | undefined): number {
  const an = a === null || a === undefined;
  const bn = b === null || b === undefined;
  if (an || bn) return an === bn ? 0 : an ? 1 : -1;
  const ka = kindRank(a);
  const kb = kindRank(b);
  if (ka !== kb) return ka - kb;
  if (typeof a === 'number') return a < (b as number) ? -1 : a > (b as number) ? 1 : 0;
  if (typeof a === 'boolean') return a === b ? 0 : a ? 1 : -1;
  if (typeof a === 'string') return compareCodePoints(a, b as string);
  return compareCodePoints(JSON.stringify(a), JSON.stringify(b));
}

function kindRank(v: JsonValue): number {
  return typeof v === 'boolean' ? 0 : typeof v === 'number' ? 1 : typeof v === 'string' ? 2 : Array.isArray(v) ? 3 : 4;
}

/** Compares UTF-16 strings in code point order: a surrogate (part of an astral character) sorts after every other unit. */
export function compareCodePoints(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    let x = a.charCodeAt(i);
    let y = b.charCodeAt(i);
    if (x === y) continue;
    x += x >= 0xe000 ? -0x800 : x >= 0xd800 ? 0x2000 : 0;
    y += y >= 0xe000 ? -0x800 : y >= 0xd800 ? 0x2000 : 0;
    return x - y;
  }
  return a.length - b.length;
}

/** The kind of a JSON value, as the schema check names it. */
export function kindOf(v: JsonValue): string {
  return Array.isArray(v) ? 'array' : v === null ? 'null' : typeof v;
}

/** Text appended to an object, written in blocks. */
class TextOut {
  private text = '';
  readonly sink: HashingSink;
  constructor(key: string, writer: ObjectWriter) {
    this.sink = new HashingSink(key, writer);
  }
  async add(line: string): Promise<void> {
    this.text += line;
    if (this.text.length >= FLUSH_CHARS) await this.flush();
  }
  /** Bytes written so far, with the text not yet flushed counted by its length. */
  get size(): number {
    return this.sink.bytes + this.text.length;
  }
  async flush(): Promise<void> {
    const t = this.text;
    this.text = '';
    if (t) await this.sink.write(t);
  }
}

/** A 32-bit FNV-1a hash of a string's UTF-16 units. */
function hash32(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

const own = (o: Record<string, JsonValue>, k: string): JsonValue => (Object.hasOwn(o, k) ? o[k]! : null);

/** Splits a tab-separated record into its first `n` fields and the rest (a JSON line, which may hold tabs). */
function fields(record: string, n: number): string[] {
  const out: string[] = [];
  let from = 0;
  for (let i = 0; i < n; i++) {
    const tab = record.indexOf('\t', from);
    out.push(record.slice(from, tab));
    from = tab + 1;
  }
  out.push(record.slice(from));
  return out;
}

/**
 * Combines the JSON lines of many files into one dataset, in bounded memory:
 * 1. scatter: every row goes to a hash partition of its dedupe key (or of its position), as a
 *    record of its file, its place in the file, its key, its keep value and its sort values;
 * 2. per partition: the row that stays for each key is chosen, and the partition's rows are
 *    sorted into a run (sort values, then file, then place);
 * 3. the runs are merged into parts of `partBytes`.
 * Only one partition's kept rows are in memory at once; the partitions grow with the input.
 */
export async function combine(store: ObjectStore, files: readonly CombineFile[], collect: Collect, temp: string, out: string, options: CombineOptions = {}): Promise<CombineResult> {
  const totalBytes = files.reduce((n, f) => n + f.parts.reduce((m, p) => m + p.bytes, 0), 0);
  const partitions = Math.max(1, Math.min(4096, Math.ceil(totalBytes / (options.partitionBytes ?? PARTITION_BYTES))));
  const scatterKey = (p: number) => `${temp}scatter-${p}.tsv`;
  const runKey = (p: number) => `${temp}run-${p}.tsv`;
  const result: CombinedFile[] = files.map(() => ({ rowsIn: 0, rowsAdded: 0, duplicatesDropped: 0, kinds: new Map() }));
  const keyColumns = collect.dedupe?.key ?? [];
  const keep = collect.dedupe?.keep ?? 'first';
  const by = typeof keep === 'object' ? ('max' in keep ? keep.max : keep.min) : undefined;
  const wantMax = typeof keep === 'object' && 'max' in keep;
  try {
    // 1. Scatter.
    const scatter = Array.from({ length: partitions }, (_, p) => new TextOut(scatterKey(p), store.writer(scatterKey(p))));
    for (let f = 0; f < files.length; f++) {
      const seen = result[f]!;
      let s = 0;
      for (const part of files[f]!.parts) {
        for await (const batch of lineBatches(store.read(part.key))) {
          for (const line of batch) {
            if (line === '') continue;
            const row = JSON.parse(line) as Record<string, JsonValue>;
            for (const name of Object.keys(row)) {
              const v = row[name]!;
              let kinds = seen.kinds.get(name);
              if (!kinds) seen.kinds.set(name, (kinds = new Set()));
              if (v !== null) kinds.add(kindOf(v));
            }
            const key = keyColumns.length ? JSON.stringify(keyColumns.map((c) => own(row, c))) : '';
            const cmp = by === undefined ? '' : JSON.stringify(own(row, by));
            const sort = JSON.stringify(collect.sort.map((c) => own(row, c)));
            const p = (keyColumns.length ? hash32(key) : s) % partitions;
            await scatter[p]!.add(`${f}\t${s}\t${key}\t${cmp}\t${sort}\t${line}\n`);
            s++;
          }
        }
      }
      seen.rowsIn = s;
    }
    for (const o of scatter) {
      await o.flush();
      await o.sink.commit(0);
    }
    const stop = options.beforeWrite?.(result);
    if (stop !== undefined) return { ok: false, files: result, reason: stop };

    // 2. Per partition: keep one row per key, sort into a run.
    for (let p = 0; p < partitions; p++) {
      interface Kept {
        readonly f: number;
        readonly s: number;
        readonly cmp: JsonValue;
        readonly sort: string;
        readonly line: string;
      }
      const keptByKey = new Map<string, Kept>();
      const all: Kept[] = [];
      for await (const batch of lineBatches(store.read(scatterKey(p)))) {
        for (const record of batch) {
          const [fText, sText, key, cmpText, sort, line] = fields(record, 5) as [string, string, string, string, string, string];
          const row: Kept = { f: Number(fText), s: Number(sText), cmp: by === undefined ? null : (JSON.parse(cmpText) as JsonValue), sort, line };
          if (!keyColumns.length) {
            all.push(row);
            continue;
          }
          const old = keptByKey.get(key);
          if (old === undefined) {
            keptByKey.set(key, row);
            continue;
          }
          // Records of a partition come in file order, so the first one seen is the first in the files.
          let replace: boolean;
          if (keep === 'first') replace = false;
          else if (keep === 'last') replace = true;
          else replace = row.cmp !== null && (old.cmp === null || (wantMax ? compareValues(row.cmp, old.cmp) > 0 : compareValues(row.cmp, old.cmp) < 0));
          result[(replace ? old : row).f]!.duplicatesDropped++;
          if (replace) keptByKey.set(key, row);
        }
      }
      await store.delete(scatterKey(p));
      const rows = keyColumns.length ? [...keptByKey.values()] : all;
      keptByKey.clear();
      const decorated = rows.map((r) => ({ r, sort: JSON.parse(r.sort) as JsonValue[] }));
      decorated.sort((a, b) => compareSorted(a.sort, a.r.f, a.r.s, b.sort, b.r.f, b.r.s));
      const run = new TextOut(runKey(p), store.writer(runKey(p)));
      for (const { r } of decorated) {
        result[r.f]!.rowsAdded++;
        await run.add(`${r.f}\t${r.s}\t${r.sort}\t${r.line}\n`);
      }
      await run.flush();
      await run.sink.commit(0);
    }

    // 3. Merge the runs.
    const parts = await mergeRuns(store, Array.from({ length: partitions }, (_, p) => runKey(p)), out, options.partBytes ?? PART_BYTES);
    return { ok: true, files: result, parts, partitions };
  } finally {
    const left: string[] = [];
    for await (const o of store.list(temp)) left.push(o.key);
    for (const key of left) await store.delete(key);
  }
}

function compareSorted(as: readonly JsonValue[], af: number, aS: number, bs: readonly JsonValue[], bf: number, bS: number): number {
  for (let i = 0; i < as.length; i++) {
    const c = compareValues(as[i], bs[i]);
    if (c !== 0) return c;
  }
  return af - bf || aS - bS;
}

interface RunHead {
  readonly f: number;
  readonly s: number;
  readonly sort: JsonValue[];
  readonly line: string;
}

/** Reads one sorted run record by record. */
class RunCursor {
  private batch: string[] = [];
  private at = 0;
  head: RunHead | undefined;
  constructor(private readonly batches: AsyncGenerator<string[]>) {}
  async next(): Promise<void> {
    while (this.at >= this.batch.length) {
      const n = await this.batches.next();
      if (n.done) {
        this.head = undefined;
        return;
      }
      this.batch = n.value;
      this.at = 0;
    }
    const [f, s, sort, line] = fields(this.batch[this.at++]!, 3) as [string, string, string, string];
    this.head = { f: Number(f), s: Number(s), sort: JSON.parse(sort) as JsonValue[], line };
  }
}

const before = (a: RunHead, b: RunHead) => compareSorted(a.sort, a.f, a.s, b.sort, b.f, b.s) < 0;

/** A k-way merge of sorted runs (a binary heap of their heads) into parts of about `partBytes`. */
async function mergeRuns(store: ObjectStore, runs: readonly string[], out: string, partBytes: number): Promise<PartInfo[]> {
  const heap: RunCursor[] = [];
  for (const key of runs) {
    const c = new RunCursor(lineBatches(store.read(key)));
    await c.next();
    if (c.head) heap.push(c);
  }
  const sift = (i: number) => {
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < heap.length && before(heap[l]!.head!, heap[m]!.head!)) m = l;
      if (r < heap.length && before(heap[r]!.head!, heap[m]!.head!)) m = r;
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
    await part.flush();
    parts.push(await part.sink.commit(rows));
    part = undefined;
    rows = 0;
  };
  while (heap.length) {
    const top = heap[0]!;
    if (!part) {
      const key = `${out}${layout.part(parts.length)}.jsonl`;
      part = new TextOut(key, store.writer(key));
    }
    await part.add(`${top.head!.line}\n`);
    rows++;
    if (part.size >= partBytes) await close();
    await top.next();
    if (!top.head) {
      heap[0] = heap[heap.length - 1]!;
      heap.pop();
    }
    if (heap.length) sift(0);
  }
  await close();
  for (const key of runs) await store.delete(key);
  return parts;
}
