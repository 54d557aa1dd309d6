import type { Value } from './columns.js';

/** One value of a key tuple in generated code: its JS expression, a test that it is null, and what it can be. */
export interface KeyPart {
  readonly js: string;
  /** A JS test that the value is null; for kind 'any', `js === null` is tested instead. */
  readonly isNull?: string;
  readonly kind: 'string' | 'number' | 'any';
}

/**
 * Statements that hash a key tuple into the locals `a` and `b` (declared by the caller): two
 * independent 32-bit halves, no bigint on the hot path. Uses `F64` and `U32` (see
 * `keyHashHelpers`). The one definition of a key's hash: `KeyHashes.add` and the row kernel are
 * both generated from it.
 */
export function keyHashCode(parts: readonly KeyPart[]): string {
  const lines = ['a = 0x811c9dc5; b = 0x01234567;'];
  // mix(h, x, k): h = imul(h ^ x, k), then h ^ (h >>> 15), unsigned; written out so no call is left in the loop.
  const mix = (h: string, x: string, k: string) => `${h} = Math.imul(${h} ^ ${x}, ${k}); ${h} = (${h} ^ (${h} >>> 15)) >>> 0;`;
  const str = (v: string) => `for (let i = 0; i < ${v}.length; i++) { const c = ${v}.charCodeAt(i); a = Math.imul(a ^ c, 0x01000193); b = Math.imul(b ^ c, 0x5bd1e995); }`;
  const num = (v: string) => `F64[0] = ${v}; ${mix('a', 'U32[0]', '0x85ebca6b')} ${mix('a', 'U32[1]', '0xc2b2ae35')} ${mix('b', 'U32[1]', '0x27d4eb2f')} ${mix('b', 'U32[0]', '0x165667b1')}`;
  const other = (v: string) => `${mix('a', `(${v} === null ? 0x9e3779b9 : ${v} ? 1 : 2)`, '0x85ebca6b')} ${mix('b', `(${v} === null ? 0x7f4a7c15 : ${v} ? 1 : 2)`, '0x27d4eb2f')}`;
  const nul = `${mix('a', '0x9e3779b9', '0x85ebca6b')} ${mix('b', '0x7f4a7c15', '0x27d4eb2f')}`;
  parts.forEach((p, k) => {
    const v = `kv${k}`;
    lines.push(`{ const ${v} = ${p.js};`);
    if (p.kind === 'any') lines.push(`if (typeof ${v} === 'string') { ${str(v)} } else if (typeof ${v} === 'number') { ${num(v)} } else { ${other(v)} }`);
    else lines.push(`if (${p.isNull ?? 'false'}) { ${nul} } else { ${p.kind === 'string' ? str(v) : num(v)} }`);
    // Separator, so ("ab","c") and ("a","bc") differ.
    lines.push(`${mix('a', String(0xff + k), '0x85ebca6b')} ${mix('b', String(0xff + k), '0x27d4eb2f')} }`);
  });
  return lines.join('\n');
}

/** The names `keyHashCode` uses, bound to their values. */
export function keyHashHelpers(): Record<string, unknown> {
  const F64 = new Float64Array(1);
  return { F64, U32: new Uint32Array(F64.buffer) };
}

/**
 * Collects 64-bit hashes of a key tuple per row. A chunk writes them sorted (8 bytes per row),
 * and the reduce of each hash partition merges that partition's stretch of every chunk's run, so a
 * `unique` check needs no more memory than one chunk's keys, and its merges run in parallel.
 */
export class KeyHashes {
  private hi = new Uint32Array(1024);
  private lo = new Uint32Array(1024);
  private size = 0;
  /** Hashes the output row's key columns and adds the hash. */
  readonly add: (values: readonly Value[]) => void;
  constructor(indexes: readonly number[]) {
    const helpers = keyHashHelpers();
    const code = keyHashCode(indexes.map((i) => ({ js: `values[${i}]`, kind: 'any' as const })));
    const names = Object.keys(helpers);
    const hash = new Function(...names, 'keys', `"use strict"; return function add(values) { let a = 0, b = 0;\n${code}\nkeys.push(a >>> 0, b >>> 0); };`);
    this.add = hash(...names.map((n) => helpers[n]), this) as (values: readonly Value[]) => void;
  }

  /** Adds a key's hash halves, as `keyHashCode` leaves them. */
  push(a: number, b: number): void {
    if (this.size === this.hi.length) {
      const hi = new Uint32Array(this.size * 2);
      const lo = new Uint32Array(this.size * 2);
      hi.set(this.hi);
      lo.set(this.lo);
      this.hi = hi;
      this.lo = lo;
    }
    this.hi[this.size] = a;
    this.lo[this.size] = b;
    this.size++;
  }

  /**
   * The chunk's key run: a header (see `runHeaderBytes`) that says where each of `partitions`
   * hash partitions starts, then the sorted hashes as little-endian u64 bytes.
   */
  sortedBytes(partitions: number): Buffer {
    const n = this.size;
    const header = runHeaderBytes(partitions);
    const bytes = new ArrayBuffer(header + n * 8);
    const keys = new BigUint64Array(bytes, header, n);
    const halves = new Uint32Array(bytes, header, 2 * n);
    for (let i = 0; i < n; i++) {
      halves[2 * i] = this.lo[i]!;
      halves[2 * i + 1] = this.hi[i]!;
    }
    keys.sort();
    const head = new Uint32Array(bytes, 0, partitions + 3);
    head[0] = RUN_MAGIC;
    head[1] = partitions;
    let k = 0;
    for (let p = 0; p < partitions; p++) {
      while (k < n && partitionOf(halves[2 * k + 1]!, partitions) < p) k++;
      head[2 + p] = k;
    }
    head[2 + partitions] = n;
    return Buffer.from(bytes);
  }
}

/**
 * Hash partitions of a job's keys, each checked by a reduce of its own, in parallel: one per
 * 512 MB of input (about 5 million flux rows, 43 MB of hashes), at most 256. By bytes, not
 * chunks: each reduce reads every chunk's run header, so partitions × chunks requests.
 */
export function reducePartitions(inputBytes: number): number {
  return Math.max(1, Math.min(MAX_PARTITIONS, Math.ceil(inputBytes / PARTITION_BYTES)));
}
const PARTITION_BYTES = 512 * 2 ** 20;
const MAX_PARTITIONS = 256;

/** The partition of a hash, by its high half: each partition is one stretch of a sorted run. */
export const partitionOf = (hi: number, partitions: number): number => Math.floor((hi * partitions) / 2 ** 32);

/** "SRN1", the first word of a key run. */
const RUN_MAGIC = 0x314e5253;

/**
 * Bytes before a run's hashes: u32 words magic, partitions, then the first key of each partition
 * and the key count (partitions + 3 words), padded to 8 so the hashes stay aligned.
 */
export function runHeaderBytes(partitions: number): number {
  return Math.ceil(((partitions + 3) * 4) / 8) * 8;
}

/** Reads `into.byteLength` bytes of a stored object from `position`. */
async function readFully(run: Omit<SortedRun, 'size'>, position: number, into: Uint8Array): Promise<number> {
  if (run.readInto) return run.readInto(position, into);
  let n = 0;
  for await (const c of run.read(position, position + into.byteLength)) {
    into.set(c, n);
    n += c.byteLength;
  }
  return n;
}

/**
 * The stretch of a stored key run (`sortedBytes`) that holds one partition's hashes, as a sorted
 * run of its own: one read of the run's header, none of its hashes. `name` says which run in an error.
 */
export async function partitionOfRun(run: Omit<SortedRun, 'size'>, partition: number, partitions: number, name: string): Promise<SortedRun> {
  const header = runHeaderBytes(partitions);
  const head = new Uint32Array(header / 4);
  const n = await readFully(run, 0, new Uint8Array(head.buffer));
  if (n !== header || head[0] !== RUN_MAGIC || head[1] !== partitions) {
    const found = n < header ? `${n} bytes` : head[0] !== RUN_MAGIC ? 'no key run header' : `${head[1]} partition(s)`;
    throw new Error(`${name}: not a key run of ${partitions} partition(s) (${found}); rerun the job with --force`);
  }
  const first = head[2 + partition]!;
  const end = head[3 + partition]!;
  if (!(first <= end && end <= head[2 + partitions]!)) throw new Error(`${name}: partition ${partition} lies outside the run (keys ${first}-${end} of ${head[2 + partitions]})`);
  const base = header + first * 8;
  return {
    size: (end - first) * 8,
    read: (start, stop) => run.read(base + start, base + stop),
    ...(run.readInto ? { readInto: (position: number, into: Uint8Array) => run.readInto!(base + position, into) } : {}),
  };
}

/** A sorted run as a byte range that can be read a window at a time. */
export interface SortedRun {
  readonly size: number;
  read(start: number, end: number): AsyncIterable<Uint8Array>;
  /** Fills `into` from `position`, when the store can (see ObjectStore.readInto): no buffer per window. */
  readInto?(position: number, into: Uint8Array): Promise<number>;
}

/**
 * Bytes a run's window holds, at most and at least. Each run has two windows, the one being
 * merged and the next being read, so a merge does not wait for every read. All windows together
 * stay under WINDOWS_BUDGET, however many runs: many chunks get smaller windows.
 */
const RUN_WINDOW = 256 * 1024;
const MIN_WINDOW = 4 * 1024;
const WINDOWS_BUDGET = 16 << 20;

/**
 * Reads one sorted run of little-endian u64 hashes as (hi, lo) pairs, a window at a time, into
 * two buffers of its own that it reuses: a merge of 10 GB of hashes allocates no window per read.
 */
class RunCursor {
  private current: Uint32Array;
  private next: Uint32Array;
  /** Words of `current` filled, and the next word to read. */
  private words = 0;
  private pos = 0;
  /** Where the next window starts in the run, and the read filling `next`, if one is going. */
  private at = 0;
  private reading: Promise<number> | undefined;
  hi = 0;
  lo = 0;
  constructor(
    private readonly run: SortedRun,
    window: number,
  ) {
    this.current = new Uint32Array(window / 4);
    this.next = new Uint32Array(window / 4);
  }

  /** Moves to the next hash within the window: false when the window is used up (then `refill`). */
  step(): boolean {
    if (this.pos >= this.words) return false;
    this.lo = this.current[this.pos]!;
    this.hi = this.current[this.pos + 1]!;
    this.pos += 2;
    return true;
  }

  /** Fills `next` with the run's next window; resolves to the words read (0 at the end of the run). */
  private readAhead(): Promise<number> {
    const start = this.at;
    const end = Math.min(this.run.size, start + this.next.byteLength);
    this.at = end;
    if (start >= end) return Promise.resolve(0);
    const read = readFully(this.run, start, new Uint8Array(this.next.buffer, 0, end - start));
    return read.then((n) => {
      if (n !== end - start) throw new Error(`a sorted run read ${n} bytes for ${end - start}`);
      // A trailing piece shorter than a key (a run cut short) is no key.
      return Math.floor(n / 8) * 2;
    });
  }

  /** Moves to the next window (read ahead while this one was merged) and its first hash; false at the end of the run. */
  async refill(): Promise<boolean> {
    const words = await (this.reading ?? this.readAhead());
    if (words === 0) return false;
    [this.current, this.next] = [this.next, this.current];
    this.words = words;
    this.pos = 0;
    this.reading = this.readAhead();
    // A failed read ahead surfaces at the next refill; until then it must not count as unhandled.
    this.reading.catch(() => undefined);
    return this.step();
  }
}

const less = (a: RunCursor, b: RunCursor) => a.hi < b.hi || (a.hi === b.hi && a.lo < b.lo);

/** First windows read at once when a merge starts. */
const FIRST_READS = 32;

/**
 * Counts duplicate keys across sorted runs with a k-way heap merge, streaming each run, so
 * memory stays at two windows per run whatever the file size, all of them within `windowsBudget`
 * bytes (16 MiB by default; a larger budget means larger windows, so fewer reads).
 */
export async function countDuplicates(runs: readonly SortedRun[], windowsBudget = WINDOWS_BUDGET): Promise<number> {
  const heap: RunCursor[] = [];
  // A multiple of 8 bytes, so a window never splits a hash; two per run.
  const window = Math.max(MIN_WINDOW, Math.min(RUN_WINDOW, Math.floor(windowsBudget / 2 / Math.max(1, runs.length) / 8) * 8));
  // The first window of every run, a few dozen reads at a time: one after the other, 16,000 chunks'
  // runs would take 16,000 round trips to S3 before the merge starts.
  const cursors = runs.map((run) => new RunCursor(run, window));
  for (let i = 0; i < cursors.length; i += FIRST_READS) {
    const batch = cursors.slice(i, i + FIRST_READS);
    const filled = await Promise.all(batch.map((c) => c.refill()));
    batch.forEach((c, k) => filled[k] && heap.push(c));
  }
  const siftDown = (i: number) => {
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < heap.length && less(heap[l]!, heap[m]!)) m = l;
      if (r < heap.length && less(heap[r]!, heap[m]!)) m = r;
      if (m === i) return;
      [heap[i], heap[m]] = [heap[m]!, heap[i]!];
      i = m;
    }
  };
  for (let i = (heap.length >> 1) - 1; i >= 0; i--) siftDown(i);
  let duplicates = 0;
  let first = true;
  let lastHi = 0;
  let lastLo = 0;
  while (heap.length) {
    const top = heap[0]!;
    if (!first && top.hi === lastHi && top.lo === lastLo) duplicates++;
    first = false;
    lastHi = top.hi;
    lastLo = top.lo;
    // Most steps stay within a window: no await (and no promise) for them.
    const moved = top.step() || (await top.refill());
    if (!moved) {
      heap[0] = heap[heap.length - 1]!;
      heap.pop();
    }
    siftDown(0);
  }
  return duplicates;
}
