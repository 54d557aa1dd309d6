import { describe, expect, it } from 'vitest';
import { MAX_SLOT_RANGES, mergeSlotCoverage, slotCount, SlotCoverageBuilder, unionRanges, type SlotCoverage } from '../../../shared/rules/completeness.js';

const coverage = (ranges: Record<string, number[]>, counted: SlotCoverage['counted'] = {}): SlotCoverage => ({ rule: 3, column: 't', groupBy: ['site'], intervalMs: 1000, ranges, counted });

/** Coverage of rows [ms, site] with 1-second slots, grouped by the site at index 1. */
function built(rows: readonly (readonly [number | string | null, string | null])[], groupIndexes = [1]): SlotCoverage {
  const b = new SlotCoverageBuilder(2, 't', groupIndexes.length ? ['site'] : [], 1000, 0, groupIndexes);
  for (const row of rows) b.add(row);
  return b.result();
}

describe('unionRanges', () => {
  it('merges flat [start, end) lists into one canonical list', () => {
    const cases: [number[], number[], number[]][] = [
      [[], [], []],
      [[], [1, 2], [1, 2]],
      [[1, 2], [], [1, 2]],
      [[0, 2], [2, 4], [0, 4]],
      [[2, 4], [0, 2], [0, 4]],
      [[0, 2], [3, 4], [0, 2, 3, 4]],
      [[3, 4], [0, 2], [0, 2, 3, 4]],
      [[0, 5], [1, 2], [0, 5]],
      [[1, 2], [0, 5], [0, 5]],
      [[1, 3], [1, 2], [1, 3]],
      [[1, 2], [1, 3], [1, 3]],
      [[0, 1, 4, 5], [2, 3], [0, 1, 2, 3, 4, 5]],
      [[0, 3, 6, 9], [2, 7], [0, 9]],
      [[0, 1, 2, 3], [1, 2], [0, 3]],
      [[-5, -3], [-3, 0, 4, 6], [-5, 0, 4, 6]],
    ];
    expect(cases.map(([a, b]) => [a, b, unionRanges(a, b)])).toEqual(cases);
  });

  it('returns a new list, never one of its inputs', () => {
    const a = [1, 2];
    const b: number[] = [];
    expect(unionRanges(a, b)).not.toBe(a);
    expect(unionRanges(b, a)).not.toBe(a);
  });

  it('counts the slots of a list', () => {
    expect([[], [0, 5], [0, 2, 10, 13], [-4, -1]].map(slotCount)).toEqual([0, 5, 5, 3]);
  });
});

describe('mergeSlotCoverage', () => {
  it('unites the ranges of each group and sorts the group keys', () => {
    const merged = mergeSlotCoverage(coverage({ '["b"]': [0, 2], '["c"]': [5, 6] }), coverage({ '["a"]': [2, 3], '["b"]': [2, 4] }));
    expect(merged).toEqual(coverage({ '["a"]': [2, 3], '["b"]': [0, 4], '["c"]': [5, 6] }));
    expect(Object.keys(merged.ranges)).toEqual(['["a"]', '["b"]', '["c"]']);
  });

  // Finalize folds chunk after chunk into one coverage: copying every untouched group at each
  // step made a 10 GB job's finalize churn through ~900 MB of arrays and spike its memory.
  it('carries over a group that only one side has, without copying its ranges', () => {
    const a = coverage({ '["a"]': [0, 2], '["b"]': [5, 6] });
    const b = coverage({ '["b"]': [6, 8], '["c"]': [9, 10] });
    const merged = mergeSlotCoverage(a, b);
    expect(merged.ranges['["a"]']).toBe(a.ranges['["a"]']);
    expect(merged.ranges['["c"]']).toBe(b.ranges['["c"]']);
    expect(merged.ranges['["b"]']).toEqual([5, 8]);
  });

  it('takes the rule, column, grouping and interval of the first side', () => {
    const b = { ...coverage({}), rule: 9, column: 'x', groupBy: [], intervalMs: 5 };
    expect(mergeSlotCoverage(coverage({ '[]': [0, 1] }), b)).toEqual({ rule: 3, column: 't', groupBy: ['site'], intervalMs: 1000, ranges: { '[]': [0, 1] }, counted: {} });
  });

  it('adds counts once either side of a group counts: present summed, the outer first and end', () => {
    const cases: [SlotCoverage, SlotCoverage, SlotCoverage][] = [
      [coverage({}, { k: [10, 0, 20] }), coverage({ k: [30, 35] }), coverage({}, { k: [15, 0, 35] })],
      [coverage({ k: [30, 35] }), coverage({}, { k: [10, 0, 20] }), coverage({}, { k: [15, 0, 35] })],
      [coverage({}, { k: [1, 5, 10] }), coverage({}, { k: [2, 0, 8] }), coverage({}, { k: [3, 0, 10] })],
      [coverage({}, { k: [4, -8, -2] }), coverage({}, {}), coverage({}, { k: [4, -8, -2] })],
      [coverage({}, {}), coverage({}, { k: [4, -8, -2] }), coverage({}, { k: [4, -8, -2] })],
      [coverage({ k: [0, 2, 4, 5], j: [1, 2] }, {}), coverage({}, { k: [7, 10, 30] }), coverage({ j: [1, 2] }, { k: [10, 0, 30] })],
    ];
    for (const [a, b, merged] of cases) expect(mergeSlotCoverage(a, b)).toEqual(merged);
  });

  it('counts a group once its united ranges pass the bound, and keeps ranges at the bound', () => {
    const every = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => [2 * (from + i), 2 * (from + i) + 1]).flat();
    expect(MAX_SLOT_RANGES).toBe(100_000);
    const atBound = mergeSlotCoverage(coverage({ k: every(0, 50_000) }), coverage({ k: every(50_000, 100_000) }));
    expect(atBound.counted).toEqual({});
    expect(atBound.ranges.k!.length).toBe(200_000);
    const past = mergeSlotCoverage(coverage({ k: every(0, 50_000) }), coverage({ k: every(50_000, 100_001) }));
    expect(past).toEqual(coverage({}, { k: [100_001, 0, 200_001] }));
  });
});

describe('SlotCoverageBuilder, row by row', () => {
  it('extends the last range, starts a new one after a gap, and ignores repeats', () => {
    expect(built([[0, 'a'], [1000, 'a'], [2999, 'a'], [2000, 'a'], [5000, 'a'], [5500, 'a'], [6000, 'a']]).ranges).toEqual({ '["a"]': [0, 3, 5, 7] });
  });

  it('folds slots that arrive late into the ranges', () => {
    expect(built([[5000, 'a'], [6000, 'a'], [4000, 'a'], [1000, 'a'], [1000, 'a'], [0, 'a']]).ranges).toEqual({ '["a"]': [0, 2, 4, 7] });
    expect(built([[0, 'a'], [5000, 'a'], [9000, 'a'], [6000, 'a'], [2000, 'a']]).ranges).toEqual({ '["a"]': [0, 1, 2, 3, 5, 7, 9, 10] });
    expect(built([[0, 'a'], [5000, 'a'], [7000, 'a'], [5000, 'a'], [6000, 'a']]).ranges).toEqual({ '["a"]': [0, 1, 5, 8] });
  });

  it('takes the slot a time falls in, before 1970 too', () => {
    expect(built([[-1, 'a'], [999, 'a'], [-1000, 'a'], [1500, 'a']]).ranges).toEqual({ '["a"]': [-1, 2] });
  });

  it('keeps one group per distinct value, null and a missing column being one group', () => {
    const c = built([[0, 'a'], [0, 'b'], [1000, 'a'], [0, null], [3000, 'b'], [2000, 'b']]);
    expect(c.ranges).toEqual({ '["a"]': [0, 2], '["b"]': [0, 1, 2, 4], '[null]': [0, 1] });
    expect(built([[0, 'a'], [1000, 'b']], [5]).ranges).toEqual({ '[null]': [0, 2] });
    expect(built([[0, 'a'], [1000, 'b']], []).ranges).toEqual({ '[]': [0, 2] });
  });

  it('skips rows whose time is not a number', () => {
    expect(built([[null, 'a'], ['2024-01-01', 'a'], [3000, 'a']]).ranges).toEqual({ '["a"]': [3, 4] });
    expect(built([[null, 'a']]).ranges).toEqual({});
  });

  it('says which rule, column, grouping and interval it covers', () => {
    expect(built([[0, 'a']])).toEqual({ rule: 2, column: 't', groupBy: ['site'], intervalMs: 1000, ranges: { '["a"]': [0, 1] }, counted: {} });
  });

  it('keeps exactly the bound of ranges as ranges', () => {
    const b = new SlotCoverageBuilder(0, 't', [], 1, 0, []);
    for (let s = 0; s < 200_000; s += 2) b.add([s]);
    const c = b.result();
    expect(c.counted).toEqual({});
    expect(c.ranges['[]']!.length).toBe(200_000);
  });

  it('turns to counting as soon as a row passes the bound, before the chunk ends', () => {
    const b = new SlotCoverageBuilder(0, 't', [], 1, 0, []);
    for (let s = 0; s <= 200_000; s += 2) b.add([s]);
    // Inside the span once counting: not counted. Kept as ranges, it would have joined two.
    b.add([1]);
    b.add([200_002]);
    expect(b.result().counted).toEqual({ '[]': [100_002, 0, 200_003] });
  });

  it('folds late slots again after a result was taken', () => {
    const b = new SlotCoverageBuilder(0, 't', [], 1000, 0, []);
    b.add([0]);
    b.add([5000]);
    expect(b.result().ranges).toEqual({ '[]': [0, 1, 5, 6] });
    b.add([6000]);
    b.add([1000]);
    b.add([3000]);
    expect(b.result().ranges).toEqual({ '[]': [0, 2, 3, 4, 5, 7] });
  });

  it('past the bound, counts only slots beyond everything seen so far', () => {
    const b = new SlotCoverageBuilder(0, 't', [], 1, 0, []);
    // One range per slot: 100,001 ranges pass the bound.
    for (let s = 0; s <= 200_000; s += 2) b.add([s]);
    expect(b.result().counted).toEqual({ '[]': [100_001, 0, 200_001] });
    b.add([200_001]);
    b.add([5]);
    b.add([200_000]);
    expect(b.result().counted).toEqual({ '[]': [100_002, 0, 200_002] });
    b.add([-3]);
    b.add([-3]); // now the first slot: not beyond it
    b.add([300_000]);
    expect(b.result()).toEqual({ rule: 0, column: 't', groupBy: [], intervalMs: 1, ranges: {}, counted: { '[]': [100_004, -3, 300_001] } });
  });
});
