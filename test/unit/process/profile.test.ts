import { describe, expect, it } from 'vitest';
import { ColumnProfiler } from '../../../shared/process/profile.js';
import { distinctEstimate, emptyStats } from '../../../shared/report/stats.js';

describe('ColumnProfiler', () => {
  it('profiles columns named "__proto__" and "constructor" as own entries', () => {
    const profiler = new ColumnProfiler([
      { name: '__proto__', type: 'string' },
      { name: 'constructor', type: 'integer' },
    ]);
    profiler.add(['b', 2]);
    profiler.add(['a', null]);
    const stats = emptyStats();
    profiler.into(stats);
    expect(Object.keys(stats.columns)).toEqual(['__proto__', 'constructor']);
    expect(Object.getPrototypeOf(stats.columns)).toBe(Object.prototype);
    expect(stats.columns['__proto__']).toMatchObject({ count: 2, nulls: 0, min: 'a', max: 'b' });
    expect(stats.columns['constructor']).toMatchObject({ count: 2, nulls: 1, min: 2, max: 2 });
    expect(Object.keys(JSON.parse(JSON.stringify(stats.columns)) as object)).toEqual(['__proto__', 'constructor']);
  });

  it('counts true and false as two distinct values', () => {
    const profiler = new ColumnProfiler([{ name: 'ok', type: 'boolean' }]);
    for (const v of [true, false, true, null]) profiler.add([v]);
    const stats = emptyStats();
    profiler.into(stats);
    expect(distinctEstimate(stats.columns.ok!)).toBe(2);
  });
});
