import { describe, expect, it } from 'vitest';
import { hllNew } from '../../../shared/report/hll.js';
import { distinctEstimate, emptyStats, mergeStats, ownEntry, ownSlot, SAMPLES_PER_RULE, splitStats, type ChunkStats, type ColumnProfile } from '../../../shared/report/stats.js';
import type { SlotCoverage } from '../../../shared/rules/completeness.js';

/** Registers with the given index → rank entries, base64 as a profile holds them. */
function hll(set: Record<number, number>): string {
  const r = hllNew();
  for (const [i, rank] of Object.entries(set)) r[Number(i)] = rank;
  return Buffer.from(r).toString('base64');
}

const profile = (p: Partial<ColumnProfile>): ColumnProfile => ({ count: 0, nulls: 0, min: null, max: null, hll: hll({}), ...p });
const coverage = (rule: number, ranges: Record<string, number[]>): SlotCoverage => ({ rule, column: 't', groupBy: [], intervalMs: 1000, ranges, counted: {} });
const sample = (line: number) => ({ line, message: `m${line}` });

describe('mergeStats, case by case', () => {
  it('adds every count field by field', () => {
    const a: ChunkStats = { ...emptyStats(), chunks: 1, rowsIn: 10, rowsOut: 7, rowsRejected: 2, rowsFiltered: 1, rowsWarned: 3, bytes: 1000, lines: 11, blankLines: 1, durationMs: 40 };
    const b: ChunkStats = { ...emptyStats(), chunks: 2, rowsIn: 20, rowsOut: 15, rowsRejected: 4, rowsFiltered: 1, rowsWarned: 0, bytes: 2500, lines: 23, blankLines: 2, durationMs: 60 };
    expect(mergeStats(a, b)).toEqual({
      ...emptyStats(),
      chunks: 3, rowsIn: 30, rowsOut: 22, rowsRejected: 6, rowsFiltered: 2, rowsWarned: 3, bytes: 3500, lines: 34, blankLines: 3, durationMs: 100,
    });
  });

  it('starts from zero counts and empty records', () => {
    expect(emptyStats()).toEqual({
      chunks: 0, rowsIn: 0, rowsOut: 0, rowsRejected: 0, rowsFiltered: 0, rowsWarned: 0, bytes: 0, lines: 0, blankLines: 0, skippedLines: 0, durationMs: 0,
      rules: {}, warnings: {}, columns: {}, coverage: [], rowsPerChunk: {},
    });
    expect(SAMPLES_PER_RULE).toBe(5);
  });

  it('adds rule counts and keeps the first five samples, those of the first stats first', () => {
    const a = { ...emptyStats(), rules: { min: { count: 3, samples: [1, 2, 3].map(sample) }, only_a: { count: 1, samples: [sample(9)] } } };
    const b = { ...emptyStats(), rules: { min: { count: 40, samples: [4, 5, 6, 7].map(sample) }, only_b: { count: 2, samples: [sample(8)] } } };
    expect(mergeStats(a, b).rules).toEqual({
      min: { count: 43, samples: [1, 2, 3, 4, 5].map(sample) },
      only_a: { count: 1, samples: [sample(9)] },
      only_b: { count: 2, samples: [sample(8)] },
    });
    expect(Object.keys(mergeStats(a, b).rules)).toEqual(['min', 'only_a', 'only_b']);
  });

  it('adds warning counts, a warning of one side counting as zero on the other', () => {
    const a = { ...emptyStats(), warnings: { w: 1, x: 5 } };
    const b = { ...emptyStats(), warnings: { w: 2, y: 1 } };
    expect(mergeStats(a, b).warnings).toEqual({ w: 3, x: 5, y: 1 });
  });

  it('merges column profiles: counts added, the smaller min and the larger max, registers by max', () => {
    const a = { ...emptyStats(), columns: { n: profile({ count: 5, nulls: 1, min: 3, max: 9, hll: hll({ 0: 2, 5: 1 }) }), s: profile({ count: 1, min: 'b', max: 'b' }) } };
    const b = { ...emptyStats(), columns: { n: profile({ count: 4, nulls: 2, min: -2, max: 7, hll: hll({ 0: 1, 6: 3 }) }), s: profile({ count: 2, min: 'a', max: 'c' }) } };
    expect(mergeStats(a, b).columns).toEqual({
      n: { count: 9, nulls: 3, min: -2, max: 9, hll: hll({ 0: 2, 5: 1, 6: 3 }) },
      s: { count: 3, nulls: 0, min: 'a', max: 'c', hll: hll({}) },
    });
    expect(mergeStats(b, a).columns.n).toEqual({ count: 9, nulls: 3, min: -2, max: 9, hll: hll({ 0: 2, 5: 1, 6: 3 }) });
  });

  it('takes the min and max of the side that has one when the other is null', () => {
    const withValues = profile({ count: 2, min: 1, max: 4 });
    const allNull = profile({ count: 3, nulls: 3 });
    const merged = (x: ColumnProfile, y: ColumnProfile) => mergeStats({ ...emptyStats(), columns: { c: x } }, { ...emptyStats(), columns: { c: y } }).columns.c;
    expect(merged(withValues, allNull)).toEqual({ count: 5, nulls: 3, min: 1, max: 4, hll: hll({}) });
    expect(merged(allNull, withValues)).toEqual({ count: 5, nulls: 3, min: 1, max: 4, hll: hll({}) });
    expect(merged(allNull, allNull)).toEqual({ count: 6, nulls: 6, min: null, max: null, hll: hll({}) });
    expect(merged(profile({ min: 5, max: 5 }), profile({ min: 5, max: 5 }))).toEqual(profile({ min: 5, max: 5 }));
    expect(merged(profile({ min: 0, max: 0 }), profile({ min: -1, max: 1 }))).toEqual(profile({ min: -1, max: 1 }));
  });

  it('keeps a column profile present on one side only as it is', () => {
    const only = profile({ count: 2, nulls: 1, min: 1, max: 2, hll: hll({ 3: 4 }) });
    expect(mergeStats({ ...emptyStats(), columns: { a: only } }, emptyStats()).columns).toEqual({ a: only });
    expect(mergeStats(emptyStats(), { ...emptyStats(), columns: { b: only } }).columns).toEqual({ b: only });
  });

  it('merges time coverage per rule and keeps it in rule order', () => {
    const a = { ...emptyStats(), coverage: [coverage(2, { '[]': [0, 5] })] };
    const b = { ...emptyStats(), coverage: [coverage(0, { '[]': [1, 2] }), coverage(2, { '[]': [5, 8, 10, 11] })] };
    expect(mergeStats(a, b).coverage).toEqual([coverage(0, { '[]': [1, 2] }), coverage(2, { '[]': [0, 8, 10, 11] })]);
    expect(mergeStats(b, a).coverage).toEqual([coverage(0, { '[]': [1, 2] }), coverage(2, { '[]': [0, 8, 10, 11] })]);
  });

  it('collects rows per chunk from both sides', () => {
    const a = { ...emptyStats(), rowsPerChunk: { '0': 10, '2': 5 } };
    const b = { ...emptyStats(), rowsPerChunk: { '1': 7 } };
    expect(mergeStats(a, b).rowsPerChunk).toEqual({ '0': 10, '2': 5, '1': 7 });
  });

  it('estimates distinct values of a merged profile from its registers', () => {
    expect(distinctEstimate(profile({}))).toBe(0);
    expect(distinctEstimate(profile({ hll: hll({ 0: 1, 1: 1, 2: 1 }) }))).toBe(3);
  });

  it('splits stats into ordered counts and foldable profiles and coverage', () => {
    const s: ChunkStats = {
      ...emptyStats(),
      chunks: 1, rowsIn: 4, rowsOut: 3, lines: 5,
      rules: { r: { count: 1, samples: [sample(2)] } },
      columns: { c: profile({ count: 3 }) },
      coverage: [coverage(0, { '[]': [0, 1] })],
      rowsPerChunk: { '0': 3 },
    };
    expect(splitStats(s)).toEqual({
      ordered: { ...emptyStats(), chunks: 1, rowsIn: 4, rowsOut: 3, lines: 5, rules: { r: { count: 1, samples: [sample(2)] } }, rowsPerChunk: { '0': 3 } },
      foldable: { ...emptyStats(), columns: { c: profile({ count: 3 }) }, coverage: [coverage(0, { '[]': [0, 1] })] },
    });
  });
});

describe('own entries', () => {
  it('reads only own entries, never inherited members', () => {
    const record: Record<string, number> = { a: 1 };
    expect(ownEntry(record, 'a')).toBe(1);
    expect(ownEntry(record, 'b')).toBeUndefined();
    expect(ownEntry(record, 'constructor')).toBeUndefined();
    expect(ownEntry(record, 'toString')).toBeUndefined();
  });

  it('defines a missing entry once, as an own enumerable property, "__proto__" included', () => {
    const record: Record<string, number[]> = {};
    ownSlot(record, '__proto__', () => []).push(1);
    ownSlot(record, '__proto__', () => [99]).push(2);
    ownSlot(record, 'constructor', () => [3]);
    expect(Object.keys(record)).toEqual(['__proto__', 'constructor']);
    expect(record['__proto__']).toEqual([1, 2]);
    expect(record['constructor']).toEqual([3]);
    expect(Object.getPrototypeOf(record)).toBe(Object.prototype);
    expect(JSON.stringify(record)).toBe('{"__proto__":[1,2],"constructor":[3]}');
    record['constructor'] = [4];
    expect(record['constructor']).toEqual([4]);
    delete record['constructor'];
    expect(Object.keys(record)).toEqual(['__proto__']);
  });
});
