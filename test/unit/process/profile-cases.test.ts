import { describe, expect, it } from 'vitest';
import { ColumnProfiler } from '../../../shared/process/profile.js';
import { distinctEstimate, emptyStats } from '../../../shared/report/stats.js';
import type { Value } from '../../../shared/rules/columns.js';

/** The profile of one column after the given values, in order. */
function profileOf(type: 'integer' | 'number' | 'string' | 'boolean', values: Value[]) {
  const profiler = new ColumnProfiler([{ name: 'c', type }]);
  for (const v of values) profiler.add([v]);
  const stats = emptyStats();
  profiler.into(stats);
  const p = stats.columns.c!;
  return { count: p.count, nulls: p.nulls, min: p.min, max: p.max, distinct: distinctEstimate(p) };
}

describe('ColumnProfiler, case by case', () => {
  it('keeps the smallest and largest value whatever their order', () => {
    const cases: [Value[], Value, Value][] = [
      [[3, 1, 2], 1, 3],
      [[1, 3, 2], 1, 3],
      [[2, 3, 1], 1, 3],
      [[-5], -5, -5],
      [['b', 'c', 'a', 'b'], 'a', 'c'],
      [[null, 7, null], 7, 7],
      [[null], null, null],
    ];
    for (const [values, min, max] of cases) expect({ values, ...profileOf(typeof values.find((v) => v !== null) === 'string' ? 'string' : 'number', values) }).toMatchObject({ values, min, max });
  });

  it('counts values and nulls', () => {
    expect(profileOf('integer', [1, null, 2, null, null])).toMatchObject({ count: 5, nulls: 3 });
    expect(profileOf('integer', [])).toEqual({ count: 0, nulls: 0, min: null, max: null, distinct: 0 });
  });

  it('sketches distinct numbers, strings and booleans apart', () => {
    expect(profileOf('number', [1, 2, 3, 2, 1]).distinct).toBe(3);
    expect(profileOf('number', [0.5, 1.5, 2.5, 3.5]).distinct).toBe(4);
    expect(profileOf('string', ['a', 'b', 'a']).distinct).toBe(2);
    expect(profileOf('boolean', [true, true, false]).distinct).toBe(2);
    expect(profileOf('boolean', [true, true])).toMatchObject({ distinct: 1, min: null, max: null });
  });
});
