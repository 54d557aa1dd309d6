import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { hashString, hllAdd, hllNew } from '../../../shared/report/hll.js';
import { distinctEstimate, emptyStats, mergeStats, splitStats, type ChunkStats } from '../../../shared/report/stats.js';
import { SlotCoverageBuilder } from '../../../shared/rules/completeness.js';

const sketch = fc.array(fc.string({ maxLength: 4 }), { maxLength: 20 }).map((values) => {
  const r = hllNew();
  for (const v of values) hllAdd(r, hashString(v));
  return Buffer.from(r).toString('base64');
});

const HOUR = 3_600_000;
/** Hourly coverage by site of one chunk, built as a chunk builds it. */
function coverageOf(day: number, slots: readonly (readonly [string | null, number])[]) {
  const b = new SlotCoverageBuilder(1, 't', ['site'], HOUR, 0, [1]);
  for (const [site, h] of slots) b.add([day * 24 * HOUR + h * HOUR, site]);
  return b.result();
}

const stats: fc.Arbitrary<ChunkStats> = fc
  .record({
    index: fc.integer({ min: 0, max: 50 }),
    rowsOut: fc.nat(1000),
    rowsRejected: fc.nat(50),
    rowsFiltered: fc.nat(50),
    lines: fc.nat(2000),
    rule: fc.constantFrom('min', 'max', 'type', 'r1'),
    ruleCount: fc.integer({ min: 1, max: 9 }),
    min: fc.integer({ min: -100, max: 100 }),
    span: fc.nat(100),
    hll: sketch,
    day: fc.integer({ min: -5, max: 5 }).chain((d) => fc.constantFrom(d, 18000 + d)),
    slots: fc.array(fc.tuple(fc.constantFrom('a', 'b', null), fc.integer({ min: -3, max: 40 })), { maxLength: 30 }),
  })
  .map((g) => ({
    ...emptyStats(),
    chunks: 1,
    rowsIn: g.rowsOut + g.rowsRejected + g.rowsFiltered,
    rowsOut: g.rowsOut,
    rowsRejected: g.rowsRejected,
    rowsFiltered: g.rowsFiltered,
    lines: g.lines,
    rules: { [g.rule]: { count: g.ruleCount, samples: Array.from({ length: Math.min(g.ruleCount, 5) }, (_, i) => ({ line: g.index * 100 + i, message: g.rule })) } },
    columns: { v: { count: g.rowsOut, nulls: 1, min: g.min, max: g.min + g.span, hll: g.hll } },
    coverage: [coverageOf(g.day, g.slots)],
    rowsPerChunk: { [String(g.index)]: g.rowsOut },
  }));

describe('mergeStats', () => {
  it('is associative', () => {
    fc.assert(
      fc.property(stats, stats, stats, (a, b, c) => {
        expect(mergeStats(a, mergeStats(b, c))).toEqual(mergeStats(mergeStats(a, b), c));
      }),
      { numRuns: 300 },
    );
  });

  it('gives the same totals when profiles and coverage are folded in finishing order', () => {
    fc.assert(
      fc.property(fc.array(stats, { minLength: 1, maxLength: 8 }), fc.func(fc.integer()), (chunks, key) => {
        const inOrder = chunks.reduce(mergeStats, emptyStats());
        const finishing = chunks.map((s, i) => ({ s, k: key(i) })).sort((a, b) => a.k - b.k).map((x) => x.s);
        const folded = finishing.reduce((acc, s) => mergeStats(acc, splitStats(s).foldable), emptyStats());
        const merged = chunks.map((s) => splitStats(s).ordered).reduce(mergeStats, folded);
        expect(merged).toEqual(inOrder);
      }),
      { numRuns: 200 },
    );
  });

  it('has the empty stats as identity', () => {
    fc.assert(
      fc.property(stats, (a) => {
        expect(mergeStats(emptyStats(), a)).toEqual(a);
        expect(mergeStats(a, emptyStats())).toEqual(a);
      }),
    );
  });

  it('adds counts, keeps the extreme values and the first samples', () => {
    const a = { ...emptyStats(), rowsIn: 3, rules: { r: { count: 4, samples: [1, 2, 3, 4].map((line) => ({ line, message: 'm' })) } } };
    const b = { ...emptyStats(), rowsIn: 2, rules: { r: { count: 3, samples: [7, 8, 9].map((line) => ({ line, message: 'm' })) } } };
    const m = mergeStats(a, b);
    expect(m.rowsIn).toBe(5);
    expect(m.rules.r!.count).toBe(7);
    expect(m.rules.r!.samples.map((s) => s.line)).toEqual([1, 2, 3, 4, 7]);
  });
});

describe('distinct estimate', () => {
  it('is within 5% for 100,000 distinct values split over two merged chunks', () => {
    const a = hllNew();
    const b = hllNew();
    for (let i = 0; i < 100_000; i++) hllAdd(i % 2 ? a : b, hashString(`value-${i}`));
    const p = (r: Uint8Array) => ({ count: 0, nulls: 0, min: null, max: null, hll: Buffer.from(r).toString('base64') });
    const merged = mergeStats({ ...emptyStats(), columns: { v: p(a) } }, { ...emptyStats(), columns: { v: p(b) } });
    expect(Math.abs(distinctEstimate(merged.columns.v!) - 100_000)).toBeLessThan(5_000);
  });
});

describe('mergeStats with names of Object.prototype members', () => {
  it('merges columns, rules and warnings named "constructor", "__proto__" or "toString" like any other', () => {
    const hll = Buffer.from(hllNew()).toString('base64');
    const profile = (count: number, min: number, max: number) => ({ count, nulls: 1, min, max, hll });
    // Parsed from JSON, as a checkpoint is read back: "__proto__" is then an own key.
    const a: ChunkStats = {
      ...emptyStats(),
      ...(JSON.parse(`{"columns":{"constructor":${JSON.stringify(profile(3, 1, 5))},"__proto__":${JSON.stringify(profile(2, 0, 0))}},"rules":{"toString":{"count":1,"samples":[{"line":1,"message":"m"}]}},"warnings":{"__proto__":2}}`) as Partial<ChunkStats>),
    };
    const b: ChunkStats = { ...emptyStats(), columns: { constructor: profile(4, -1, 3), hasOwnProperty: profile(1, 7, 7) }, rules: { constructor: { count: 2, samples: [] } }, warnings: { constructor: 1 } };
    const merged = mergeStats(a, b);
    expect(Object.keys(merged.columns)).toEqual(['constructor', '__proto__', 'hasOwnProperty']);
    expect(merged.columns['constructor']).toEqual({ count: 7, nulls: 2, min: -1, max: 5, hll });
    expect(merged.columns['__proto__']).toEqual({ count: 2, nulls: 1, min: 0, max: 0, hll });
    expect(Object.hasOwn(merged.columns, '__proto__')).toBe(true);
    expect(Object.getPrototypeOf(merged.columns)).toBe(Object.prototype);
    expect(JSON.stringify(merged.rules)).toBe('{"toString":{"count":1,"samples":[{"line":1,"message":"m"}]},"constructor":{"count":2,"samples":[]}}');
    expect(JSON.stringify(merged.warnings)).toBe('{"__proto__":2,"constructor":1}');
    // Merged again, as a rerun folds checkpointed stats, and serialized the same.
    expect(JSON.stringify(mergeStats(emptyStats(), JSON.parse(JSON.stringify(merged)) as ChunkStats))).toBe(JSON.stringify(merged));
  });
});
