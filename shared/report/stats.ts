import { mergeSlotCoverage, type SlotCoverage } from '../rules/completeness.js';
import { hllEstimate, hllMerge } from './hll.js';

export type { SlotCoverage } from '../rules/completeness.js';

/** Failures of one rule: how many rows, and the first few examples. */
export interface RuleTally {
  count: number;
  samples: { line: number; column?: string; value?: string; message: string }[];
}

/** Profile of one column. min/max are numbers (epoch ms for times) or strings. */
export interface ColumnProfile {
  count: number;
  nulls: number;
  min: number | string | null;
  max: number | string | null;
  /** HyperLogLog registers, base64. */
  hll: string;
}

/** Everything a chunk reports. Merging is associative, so chunks can be combined in any grouping. */
export interface ChunkStats {
  chunks: number;
  rowsIn: number;
  rowsOut: number;
  rowsRejected: number;
  rowsFiltered: number;
  rowsWarned: number;
  bytes: number;
  lines: number;
  blankLines: number;
  /** Lines skipped whole within the chunks: comments and skipRows lines after the header (those above it are the plan's). */
  skippedLines: number;
  durationMs: number;
  rules: Record<string, RuleTally>;
  warnings: Record<string, number>;
  columns: Record<string, ColumnProfile>;
  /** Present time slots per group, one entry per `completeness` rule, in rule order. */
  coverage: SlotCoverage[];
  /** Rows per chunk, by chunk index (for the report chart). */
  rowsPerChunk: Record<string, number>;
}

export const SAMPLES_PER_RULE = 5;

export function emptyStats(): ChunkStats {
  return {
    chunks: 0,
    rowsIn: 0,
    rowsOut: 0,
    rowsRejected: 0,
    rowsFiltered: 0,
    rowsWarned: 0,
    bytes: 0,
    lines: 0,
    blankLines: 0,
    skippedLines: 0,
    durationMs: 0,
    rules: {},
    warnings: {},
    columns: {},
    coverage: [],
    rowsPerChunk: {},
  };
}

const pickMin = (a: number | string | null, b: number | string | null) => (a === null ? b : b === null ? a : b < a ? b : a);
const pickMax = (a: number | string | null, b: number | string | null) => (a === null ? b : b === null ? a : b > a ? b : a);

/** An own entry of a record, or undefined: for a key such as "constructor" or "__proto__", never an inherited member. */
export function ownEntry<T>(record: Readonly<Record<string, T>>, key: string): T | undefined {
  return Object.hasOwn(record, key) ? record[key] : undefined;
}

/** The own entry of `record` at `key`, defined with `make()` when absent (an own property even for "__proto__"). */
export function ownSlot<T>(record: Record<string, T>, key: string, make: () => T): T {
  if (!Object.hasOwn(record, key)) Object.defineProperty(record, key, { value: make(), enumerable: true, writable: true, configurable: true });
  return record[key]!;
}

/**
 * Merges two records key by key (keys of `a`, then new keys of `b`), whatever the keys are named:
 * column and rule names come from the user, and "constructor" or "__proto__" are names too.
 */
function mergeByKey<T>(a: Readonly<Record<string, T>>, b: Readonly<Record<string, T>>, merge: (x: T | undefined, y: T | undefined) => T): Record<string, T> {
  // fromEntries defines own properties, so a "__proto__" key is an entry like any other.
  return Object.fromEntries([...new Set([...Object.keys(a), ...Object.keys(b)])].map((k) => [k, merge(ownEntry(a, k), ownEntry(b, k))]));
}

function mergeCounts(a: Record<string, number>, b: Record<string, number>): Record<string, number> {
  return mergeByKey(a, b, (x, y) => (x ?? 0) + (y ?? 0));
}

/** Combines two stats; `merge(a, merge(b, c))` equals `merge(merge(a, b), c)`. Samples keep the first few in order. */
export function mergeStats(a: ChunkStats, b: ChunkStats): ChunkStats {
  const rules = mergeByKey<RuleTally>(a.rules, b.rules, (x, y) => ({
    count: (x?.count ?? 0) + (y?.count ?? 0),
    samples: [...(x?.samples ?? []), ...(y?.samples ?? [])].slice(0, SAMPLES_PER_RULE),
  }));
  const columns = mergeByKey<ColumnProfile>(a.columns, b.columns, (x, y) =>
    !x || !y
      ? (x ?? y)!
      : {
          count: x.count + y.count,
          nulls: x.nulls + y.nulls,
          min: pickMin(x.min, y.min),
          max: pickMax(x.max, y.max),
          hll: Buffer.from(hllMerge(Buffer.from(x.hll, 'base64'), Buffer.from(y.hll, 'base64'))).toString('base64'),
        },
  );
  const coverage = [...a.coverage];
  for (const c of b.coverage) {
    const i = coverage.findIndex((x) => x.rule === c.rule);
    if (i === -1) coverage.push(c);
    else coverage[i] = mergeSlotCoverage(coverage[i]!, c);
  }
  coverage.sort((x, y) => x.rule - y.rule);
  return {
    chunks: a.chunks + b.chunks,
    rowsIn: a.rowsIn + b.rowsIn,
    rowsOut: a.rowsOut + b.rowsOut,
    rowsRejected: a.rowsRejected + b.rowsRejected,
    rowsFiltered: a.rowsFiltered + b.rowsFiltered,
    rowsWarned: a.rowsWarned + b.rowsWarned,
    bytes: a.bytes + b.bytes,
    lines: a.lines + b.lines,
    blankLines: a.blankLines + b.blankLines,
    // Checkpoints written before skipRows existed have no count.
    skippedLines: (a.skippedLines ?? 0) + (b.skippedLines ?? 0),
    durationMs: a.durationMs + b.durationMs,
    rules,
    warnings: mergeCounts(a.warnings, b.warnings),
    columns,
    coverage,
    rowsPerChunk: { ...a.rowsPerChunk, ...b.rowsPerChunk },
  };
}

/** Distinct-value estimate of a merged column profile. */
export function distinctEstimate(profile: ColumnProfile): number {
  return hllEstimate(Buffer.from(profile.hll, 'base64'));
}

/**
 * Splits stats into what finalize needs per chunk, in file order (counts, rule samples by
 * chunk-relative line), and what merges in any order (column profiles, time coverage). Holding
 * only the first per chunk and folding the second as chunks finish keeps the bulky part of a
 * job's stats (sketches and slot ranges) at one copy however many chunks it has.
 */
export function splitStats(s: ChunkStats): { ordered: ChunkStats; foldable: ChunkStats } {
  return { ordered: { ...s, columns: {}, coverage: [] }, foldable: { ...emptyStats(), columns: s.columns, coverage: s.coverage } };
}
