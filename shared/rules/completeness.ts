import type { Value } from './columns.js';

/**
 * Most present-slot ranges kept for one group. Past it the group is only counted (see
 * `SlotCoverage.counted`): its stats stop growing, the rule keeps working, and the report says
 * its numbers are approximate. A half-hourly year of one site with a few gaps is a handful of
 * ranges; 100,000 ranges (about 2 MB of JSON in a chunk's result) means some 100,000 gaps, which is almost always
 * an interval far finer than the data.
 */
export const MAX_SLOT_RANGES = 100_000;

/**
 * The time slots present for one `completeness` rule, per group: what a chunk reports and what
 * merges. A slot is `floor(t / intervalMs)`, so slots are aligned to the interval from the Unix
 * epoch (UTC midnight for `1d`); a timestamp off a slot boundary (10:07 with `30m`) counts for
 * the slot it falls in (10:00).
 */
export interface SlotCoverage {
  /** Index of the rule in `rules.dataset`. */
  rule: number;
  column: string;
  groupBy: string[];
  intervalMs: number;
  /**
   * Group key (the JSON array of the group's `groupBy` values; `[]` when there is no groupBy) →
   * present slots as sorted, disjoint, non-touching [start, end) ranges, flat: [s0, e0, s1, e1, …].
   * Keys are sorted, so equal coverage serializes to equal JSON.
   */
  ranges: Record<string, number[]>;
  /**
   * Groups past MAX_SLOT_RANGES: [present, first, end) where present is summed over the pieces
   * merged (a slot present in two chunks counts twice) and, inside a chunk once the bound is
   * passed, counts a slot only when it lies outside every slot seen so far (a late row inside
   * the span is not counted). Approximate; the report says so.
   */
  counted: Record<string, [present: number, first: number, end: number]>;
}

/** Union of two canonical flat range lists (sorted, disjoint, non-touching); the result is canonical too. */
export function unionRanges(a: readonly number[], b: readonly number[]): number[] {
  if (a.length === 0) return [...b];
  if (b.length === 0) return [...a];
  const out: number[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    let s: number;
    let e: number;
    if (j >= b.length || (i < a.length && a[i]! <= b[j]!)) {
      s = a[i]!;
      e = a[i + 1]!;
      i += 2;
    } else {
      s = b[j]!;
      e = b[j + 1]!;
      j += 2;
    }
    const n = out.length;
    if (n > 0 && s <= out[n - 1]!) {
      if (e > out[n - 1]!) out[n - 1] = e;
    } else out.push(s, e);
  }
  return out;
}

/** Number of slots in a flat range list. */
export function slotCount(ranges: readonly number[]): number {
  let n = 0;
  for (let k = 0; k < ranges.length; k += 2) n += ranges[k + 1]! - ranges[k]!;
  return n;
}

type Counted = [present: number, first: number, end: number];

const asCounted = (r: readonly number[]): Counted | undefined => (r.length ? [slotCount(r), r[0]!, r[r.length - 1]!] : undefined);

const addCounted = (x: Counted | undefined, y: Counted | undefined): Counted =>
  !x ? [...y!] : !y ? [...x] : [x[0] + y[0], Math.min(x[1], y[1]), Math.max(x[2], y[2])];

function sortedKeys<T>(record: Record<string, T>): Record<string, T> {
  const out: Record<string, T> = {};
  for (const k of Object.keys(record).sort()) out[k] = record[k]!;
  return out;
}

/** Merges the coverage of one rule from two pieces of a job: union of ranges per group. Associative and commutative below MAX_SLOT_RANGES. */
export function mergeSlotCoverage(a: SlotCoverage, b: SlotCoverage): SlotCoverage {
  const ranges: Record<string, number[]> = {};
  const counted: Record<string, Counted> = {};
  const keys = new Set([...Object.keys(a.ranges), ...Object.keys(b.ranges), ...Object.keys(a.counted), ...Object.keys(b.counted)]);
  for (const k of keys) {
    const ra = a.ranges[k];
    const rb = b.ranges[k];
    const bounded = () => addCounted(a.counted[k] ?? asCounted(ra ?? []), b.counted[k] ?? asCounted(rb ?? []));
    if (a.counted[k] || b.counted[k]) {
      counted[k] = bounded();
      continue;
    }
    // A group on one side only is carried over as it is, not copied: folding chunk after chunk
    // into a job's coverage would otherwise copy every group's ranges at each step (merged
    // coverage is never changed in place).
    const union = !ra ? rb! : !rb ? ra : unionRanges(ra, rb);
    if (union.length / 2 > MAX_SLOT_RANGES) counted[k] = bounded();
    else ranges[k] = union;
  }
  return { rule: a.rule, column: a.column, groupBy: a.groupBy, intervalMs: a.intervalMs, ranges: sortedKeys(ranges), counted: sortedKeys(counted) };
}

/** Ranges of sorted slots (repeats allowed). */
function collapse(sorted: readonly number[]): number[] {
  const out: number[] = [];
  for (const s of sorted) {
    const n = out.length;
    if (n > 0 && s <= out[n - 1]!) {
      if (s === out[n - 1]!) out[n - 1] = s + 1;
    } else out.push(s, s + 1);
  }
  return out;
}

/** Present slots of one group while a chunk runs: canonical ranges plus out-of-order slots waiting to be folded in. */
class GroupSlots {
  /** Canonical ranges; time-ordered rows land in the last one. */
  ranges: number[] = [];
  private pending: number[] = [];
  counted: Counted | undefined;

  add(slot: number): void {
    const c = this.counted;
    if (c) {
      // Bounded from here on: only a slot outside everything seen is known to be new.
      if (slot >= c[2]) {
        c[0]++;
        c[2] = slot + 1;
      } else if (slot < c[1]) {
        c[0]++;
        c[1] = slot;
      }
      return;
    }
    const r = this.ranges;
    const n = r.length;
    if (n === 0 || slot >= r[n - 1]!) {
      // The next slot extends the last range; a later one starts a range.
      if (n > 0 && slot === r[n - 1]!) r[n - 1] = slot + 1;
      else r.push(slot, slot + 1);
      if (r.length / 2 > MAX_SLOT_RANGES) this.fold();
    } else if (slot < r[n - 2]!) {
      this.pending.push(slot);
      if (this.pending.length >= Math.max(4096, n)) this.fold();
    }
    // Otherwise it is inside the last range: already present.
  }

  /** Folds the out-of-order slots into the ranges, and turns to counting past MAX_SLOT_RANGES. */
  fold(): void {
    if (this.counted) return;
    if (this.pending.length) this.ranges = unionRanges(this.ranges, collapse(this.pending.sort((x, y) => x - y)));
    this.pending = [];
    if (this.ranges.length / 2 > MAX_SLOT_RANGES) {
      this.counted = asCounted(this.ranges);
      this.ranges = [];
    }
  }
}

/**
 * Builds one chunk's `SlotCoverage` for a completeness rule from output rows. Cheap per row:
 * rows mostly arrive in time order and grouped, so the group of the previous row is reused when
 * its values repeat, and a slot usually extends the last range; others wait in a small list
 * that is sorted in once it grows and at the end.
 */
export class SlotCoverageBuilder {
  private readonly groups = new Map<string, GroupSlots>();
  private last: GroupSlots | undefined;
  private readonly lastValues: Value[];

  /**
   * `timeIndex` and `groupIndexes` point into the output row; a group column that is not in it
   * (-1) reads as null, as does a null value: null is a group of its own.
   */
  constructor(
    private readonly rule: number,
    private readonly column: string,
    private readonly groupBy: readonly string[],
    private readonly intervalMs: number,
    readonly timeIndex: number,
    readonly groupIndexes: readonly number[],
  ) {
    this.lastValues = groupIndexes.map(() => null);
  }

  /** Adds an output row; rows whose time is null are not counted. */
  add(values: readonly Value[]): void {
    const t = values[this.timeIndex];
    if (typeof t !== 'number') return;
    this.groupOf(values).add(Math.floor(t / this.intervalMs));
  }

  /** The same for a row given by its time (epoch ms) and its group's values in `groupBy` order, as the row kernel has them. */
  addGrouped(t: number, group: readonly Value[]): void {
    let same = this.last !== undefined;
    for (let i = 0; i < group.length && same; i++) same = group[i] === this.lastValues[i];
    if (!same) {
      for (let i = 0; i < group.length; i++) this.lastValues[i] = group[i]!;
      this.newGroup();
    }
    this.last!.add(Math.floor(t / this.intervalMs));
  }

  private groupOf(values: readonly Value[]): GroupSlots {
    const idx = this.groupIndexes;
    let same = this.last !== undefined;
    for (let i = 0; i < idx.length && same; i++) same = (values[idx[i]!] ?? null) === this.lastValues[i];
    if (same) return this.last!;
    for (let i = 0; i < idx.length; i++) this.lastValues[i] = values[idx[i]!] ?? null;
    return this.newGroup();
  }

  /** The group of `lastValues`, made current. */
  private newGroup(): GroupSlots {
    const key = JSON.stringify(this.lastValues);
    let g = this.groups.get(key);
    if (!g) this.groups.set(key, (g = new GroupSlots()));
    this.last = g;
    return g;
  }

  /** The chunk's coverage, canonical (sorted, merged ranges; sorted keys). */
  result(): SlotCoverage {
    const ranges: Record<string, number[]> = {};
    const counted: Record<string, Counted> = {};
    for (const [k, g] of this.groups) {
      g.fold();
      if (g.counted) counted[k] = [...g.counted];
      else ranges[k] = g.ranges;
    }
    return { rule: this.rule, column: this.column, groupBy: [...this.groupBy], intervalMs: this.intervalMs, ranges: sortedKeys(ranges), counted: sortedKeys(counted) };
  }
}
