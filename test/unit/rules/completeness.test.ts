import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../../shared/config/load.js';
import type { DatasetRule } from '../../../shared/config/schema.js';
import { completenessResult } from '../../../shared/report/completeness.js';
import { emptyStats, mergeStats, type ChunkStats } from '../../../shared/report/stats.js';
import { MAX_SLOT_RANGES, mergeSlotCoverage, SlotCoverageBuilder, unionRanges, type SlotCoverage } from '../../../shared/rules/completeness.js';

const HALF_HOUR = 1_800_000;
const T0 = Date.UTC(2019, 0, 1); // slot 859,296 of 30 minutes since the epoch
const S0 = T0 / HALF_HOUR;

type Row = readonly [site: string | null, ms: number | null];

/** A chunk's coverage of rows [site, time], as processChunk builds it for `groupBy: [SITE_ID]` (or none). */
function coverageOf(rows: readonly Row[], grouped = true): SlotCoverage {
  const b = new SlotCoverageBuilder(0, 'TIMESTAMP_START', grouped ? ['SITE_ID'] : [], HALF_HOUR, 1, grouped ? [0] : []);
  for (const [site, t] of rows) b.add([site, t]);
  return b.result();
}

function rule(extra: Record<string, unknown>): Extract<DatasetRule, { type: 'completeness' }> {
  const config = parseConfig({
    pipelines: [
      {
        name: 'p',
        schema: { columns: { SITE_ID: {}, TIMESTAMP_START: { type: 'timestamp' } } },
        rules: { dataset: [{ type: 'completeness', name: 'halfhourly', column: 'TIMESTAMP_START', interval: '30m', ...extra }] },
      },
    ],
  });
  return config.pipelines[0]!.rules.dataset[0] as Extract<DatasetRule, { type: 'completeness' }>;
}

const withCoverage = (c: SlotCoverage): ChunkStats => ({ ...emptyStats(), coverage: [c] });

describe('SlotCoverageBuilder', () => {
  it('keeps distinct slots as ranges, whatever the order and repeats of the rows', () => {
    const rows: Row[] = [0, 1, 1, 2, 5, 6, 4, 0, 10, 3, 9].map((s) => ['US-Ha1', T0 + s * HALF_HOUR]);
    expect(coverageOf(rows).ranges).toEqual({ '["US-Ha1"]': [S0, S0 + 7, S0 + 9, S0 + 11] });
  });

  it('folds a long run of rows in reverse time order into one range', () => {
    const rows: Row[] = Array.from({ length: 20_000 }, (_, i) => ['US-Ha1', T0 + (9_999 - (i % 10_000)) * HALF_HOUR]);
    expect(coverageOf(rows).ranges).toEqual({ '["US-Ha1"]': [S0, S0 + 10_000] });
  });

  it('counts a timestamp off a slot boundary for the slot it falls in', () => {
    const at = (h: number, m: number) => Date.UTC(2019, 0, 1, h, m);
    const c = coverageOf([['US-Ha1', at(10, 0)], ['US-Ha1', at(10, 7)], ['US-Ha1', at(10, 29)], ['US-Ha1', at(11, 7)]]);
    expect(c.ranges).toEqual({ '["US-Ha1"]': [S0 + 20, S0 + 21, S0 + 22, S0 + 23] });
  });

  it('puts null group values in a group of their own and skips rows without a time', () => {
    const c = coverageOf([['US-Ha1', T0], [null, T0], ['null', T0 + HALF_HOUR], ['US-Ha1', null]]);
    expect(c.ranges).toEqual({ '["US-Ha1"]': [S0, S0 + 1], '["null"]': [S0 + 1, S0 + 2], '[null]': [S0, S0 + 1] });
  });

  it('turns a group past the range bound into counts, and the report says they are approximate', () => {
    // Every other half hour: one range per row.
    const rows: Row[] = Array.from({ length: MAX_SLOT_RANGES + 5 }, (_, i) => ['US-Ha1', T0 + 2 * i * HALF_HOUR]);
    const c = coverageOf(rows);
    expect(c.ranges).toEqual({});
    expect(c.counted).toEqual({ '["US-Ha1"]': [100_005, S0, S0 + 200_009] });
    const r = completenessResult('halfhourly', rule({ groupBy: ['SITE_ID'], min: 0.4 }), c);
    expect(r.detail).toBe('100005 of 200009 expected 30m slots (50.00%, min 40%) over 1 group by SITE_ID; US-Ha1: 100005 of 200009 (50.00%), approximate: over 100,000 gaps');
    expect(r.passed).toBe(true);
  });
});

describe('unionRanges', () => {
  it('merges overlapping and touching ranges', () => {
    expect(unionRanges([0, 2, 5, 7, 20, 21], [2, 3, 6, 9, 10, 11, 30, 31])).toEqual([0, 3, 5, 9, 10, 11, 20, 21, 30, 31]);
    expect(unionRanges([], [4, 5])).toEqual([4, 5]);
  });
});

describe('completenessResult', () => {
  it('counts 2 of 21 half hours present 20 times each as 2 of 21, 9.52%, and fails at min 90%', () => {
    const rows: Row[] = [];
    for (let i = 0; i < 20; i++) rows.push(['US-Ha1', T0], ['US-Ha1', T0 + 20 * HALF_HOUR]);
    const r = completenessResult('halfhourly', rule({ min: 0.9 }), coverageOf(rows, false));
    expect(r.detail).toBe('2 of 21 expected 30m slots (9.52%, min 90%); missing 2019-01-01T00:30:00.000Z … 2019-01-01T09:30:00.000Z (19 slots)');
    expect(r.ratio).toBe(2 / 21);
    expect(r.passed).toBe(false);
  });

  it('gives each site its own span and names the missing runs of the incomplete one', () => {
    const day = Date.UTC(2019, 0, 3);
    const rows: Row[] = [];
    for (let s = 0; s < 48; s++) {
      rows.push(['DE-Tha', day + s * HALF_HOUR]);
      if (s < 20 || s > 25) rows.push(['US-Ha1', day + s * HALF_HOUR]);
    }
    // A site seen in one half hour only: expected 1, present 1.
    rows.push(['CA-Oas', day]);
    const r = completenessResult('halfhourly', rule({ groupBy: ['SITE_ID'], min: 0.95 }), coverageOf(rows));
    expect(r.detail).toBe(
      '91 of 97 expected 30m slots (93.81%, min 95%) over 3 groups by SITE_ID; ' +
        'US-Ha1: 42 of 48 (87.50%), missing 2019-01-03T10:00:00.000Z … 2019-01-03T12:30:00.000Z (6 slots); ' +
        'CA-Oas: 1 of 1 (100.00%); DE-Tha: 48 of 48 (100.00%)',
    );
    expect(r.groups!.map((g) => [g.group, g.present, g.expected, g.gapCount, g.gaps])).toEqual([
      ['US-Ha1', 42, 48, 1, [{ from: '2019-01-03T10:00:00.000Z', to: '2019-01-03T12:30:00.000Z', slots: 6 }]],
      ['CA-Oas', 1, 1, 0, []],
      ['DE-Tha', 48, 48, 0, []],
    ]);
    expect(r.passed).toBe(false);
  });

  it('lists the first 10 missing runs of a group and says how many more there are', () => {
    // Present every third half hour over 40 slots: 13 runs of 2 missing slots.
    const rows: Row[] = Array.from({ length: 14 }, (_, i) => ['US-Ha1', T0 + 3 * i * HALF_HOUR]);
    const r = completenessResult('halfhourly', rule({ groupBy: ['SITE_ID'] }), coverageOf(rows));
    expect(r.groups![0]!.gaps).toHaveLength(10);
    expect(r.groups![0]!.gaps[9]).toEqual({ from: '2019-01-01T14:00:00.000Z', to: '2019-01-01T14:30:00.000Z', slots: 2 });
    expect(r.detail).toBe(
      '14 of 40 expected 30m slots (35.00%, min 100%) over 1 group by SITE_ID; US-Ha1: 14 of 40 (35.00%), missing ' +
        '2019-01-01T00:30:00.000Z … 2019-01-01T01:00:00.000Z (2 slots), 2019-01-01T02:00:00.000Z … 2019-01-01T02:30:00.000Z (2 slots), ' +
        '2019-01-01T03:30:00.000Z … 2019-01-01T04:00:00.000Z (2 slots) and 10 more runs',
    );
  });

  it('fails a rule that saw no time at all', () => {
    expect(completenessResult('halfhourly', rule({}), undefined)).toMatchObject({ passed: false, ratio: 0, detail: '0 of 0 expected 30m slots (0.00%, min 100%)' });
  });
});

/** Rows of a few sites over a few days, in any order, with repeats and off-boundary minutes. */
const rowsArb = fc.array(
  fc.tuple(fc.constantFrom('US-Ha1', 'DE-Tha', null), fc.integer({ min: 0, max: 300 }), fc.integer({ min: 0, max: 29 })).map(([site, s, m]): Row => [site, T0 + s * HALF_HOUR + m * 60_000]),
  { maxLength: 200 },
);
/** Rows cut into chunks at sorted positions. */
const chunked = rowsArb.chain((rows) =>
  fc.uniqueArray(fc.integer({ min: 0, max: rows.length }), { maxLength: 6 }).map((cuts) => {
    const at = [0, ...cuts.sort((a, b) => a - b), rows.length];
    return { rows, chunks: at.slice(1).map((end, i) => rows.slice(at[i], end)) };
  }),
);

describe('merging slot coverage', () => {
  it('is associative: merge(a, merge(b, c)) equals merge(merge(a, b), c)', () => {
    fc.assert(
      fc.property(rowsArb, rowsArb, rowsArb, (a, b, c) => {
        const [x, y, z] = [a, b, c].map((r) => withCoverage(coverageOf(r)));
        expect(mergeStats(x!, mergeStats(y!, z!))).toEqual(mergeStats(mergeStats(x!, y!), z!));
      }),
      { numRuns: 200 },
    );
  });

  it('gives the single-pass coverage and result for any chunking, in any merge order', () => {
    fc.assert(
      fc.property(chunked, fc.func(fc.integer()), ({ rows, chunks }, key) => {
        const whole = coverageOf(rows);
        const finishing = chunks.map((c, i) => ({ c: coverageOf(c), k: key(i) })).sort((a, b) => a.k - b.k).map((x) => x.c);
        const merged = finishing.reduce((acc, c) => mergeSlotCoverage(acc, c), coverageOf([]));
        expect(merged).toEqual(whole);
        expect(JSON.stringify(merged)).toBe(JSON.stringify(whole));
        const r = rule({ groupBy: ['SITE_ID'], min: 0.5 });
        expect(completenessResult('c', r, merged)).toEqual(completenessResult('c', r, whole));
      }),
      { numRuns: 300 },
    );
  });
});
