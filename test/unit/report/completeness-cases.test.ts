import { describe, expect, it } from 'vitest';
import { DatasetRuleSchema, type DatasetRule } from '../../../shared/config/schema.js';
import { completenessGroups, completenessResult, GAPS_LISTED, gapText } from '../../../shared/report/completeness.js';
import type { SlotCoverage } from '../../../shared/rules/completeness.js';

type CompletenessRule = Extract<DatasetRule, { type: 'completeness' }>;
const rule = (extra: Record<string, unknown> = {}) => DatasetRuleSchema.parse({ type: 'completeness', name: 'c', column: 't', interval: '30m', ...extra }) as CompletenessRule;
/** Half-hourly coverage: slot s starts at s × 30 minutes after the epoch. */
const coverage = (ranges: Record<string, number[]>, counted: SlotCoverage['counted'] = {}): SlotCoverage => ({ rule: 0, column: 't', groupBy: [], intervalMs: 1_800_000, ranges, counted });
/** [s, s+1, s+2, s+3, …]: present slots with one missing between each. */
const everyOther = (slots: number) => Array.from({ length: slots }, (_, i) => [2 * i, 2 * i + 1]).flat();

describe('gapText', () => {
  it('shows a one-slot run once and a longer run as from … to', () => {
    expect(gapText({ from: 'A', to: 'A', slots: 1 })).toBe('A (1 slot)');
    expect(gapText({ from: 'A', to: 'B', slots: 2 })).toBe('A … B (2 slots)');
  });
});

describe('completenessGroups', () => {
  it('counts present slots against the span from first to last, and lists the missing runs', () => {
    expect(completenessGroups(coverage({ '["s1"]': [0, 2, 5, 6] }))).toEqual([
      { group: 's1', values: ['s1'], present: 3, expected: 6, ratio: 0.5, exact: true, gapCount: 1, gaps: [{ from: '1970-01-01T01:00:00.000Z', to: '1970-01-01T02:00:00.000Z', slots: 3 }] },
    ]);
    expect(completenessGroups(coverage({ '[]': [4, 8] }))).toEqual([{ group: '', values: [], present: 4, expected: 4, ratio: 1, exact: true, gapCount: 0, gaps: [] }]);
  });

  it('names a group by its values, null included, and skips a group with no slots', () => {
    const groups = completenessGroups(coverage({ '["x",1,null]': [0, 1], '["e"]': [] }));
    expect(groups.map((g) => [g.group, g.values])).toEqual([['x, 1, null', ['x', 1, null]]]);
  });

  it('lists the first 10 missing runs of a group and counts them all', () => {
    expect(GAPS_LISTED).toBe(10);
    const [g] = completenessGroups(coverage({ '[]': everyOther(13) }));
    expect(g!.gapCount).toBe(12);
    expect(g!.gaps.length).toBe(10);
    expect(g!.gaps[9]).toEqual({ from: '1970-01-01T09:30:00.000Z', to: '1970-01-01T09:30:00.000Z', slots: 1 });
    expect(completenessGroups(coverage({ '[]': everyOther(11) }))[0]!.gaps.length).toBe(10);
    expect(completenessGroups(coverage({ '[]': everyOther(10) }))[0]!.gaps.length).toBe(9);
  });

  it('reports a counted group as approximate, never with more present than expected', () => {
    expect(completenessGroups(coverage({}, { '["c"]': [50, 0, 100], '["d"]': [150, 10, 110], '["z"]': [0, 5, 5] }))).toEqual([
      { group: 'z', values: ['z'], present: 0, expected: 0, ratio: 0, exact: false, gapCount: 100_000, gaps: [] },
      { group: 'c', values: ['c'], present: 50, expected: 100, ratio: 0.5, exact: false, gapCount: 100_000, gaps: [] },
      { group: 'd', values: ['d'], present: 100, expected: 100, ratio: 1, exact: false, gapCount: 100_000, gaps: [] },
    ]);
  });

  it('orders groups by ratio, lowest first, then by key', () => {
    const groups = completenessGroups(coverage({ '["b"]': [0, 1, 2, 3], '["a"]': [0, 1, 2, 3], '["c"]': [0, 1, 3, 4], '["d"]': [0, 2] }));
    expect(groups.map((g) => [g.group, g.ratio])).toEqual([['c', 0.5], ['a', 2 / 3], ['b', 2 / 3], ['d', 1]]);
  });
});

describe('completenessResult', () => {
  it('passes at exactly its min, and fails below it, naming the missing runs', () => {
    expect(completenessResult('c', rule(), coverage({ '[]': [0, 4] }))).toEqual({
      name: 'c', type: 'completeness', severity: 'error', passed: true, ratio: 1,
      detail: '4 of 4 expected 30m slots (100.00%, min 100%)',
      groups: [{ group: '', values: [], present: 4, expected: 4, ratio: 1, exact: true, gapCount: 0, gaps: [] }],
    });
    const half = completenessResult('c', rule({ min: 0.5, severity: 'warn' }), coverage({ '[]': [0, 2, 4, 6] }));
    expect(half).toMatchObject({ passed: true, ratio: 4 / 6, severity: 'warn' });
    expect(half.detail).toBe('4 of 6 expected 30m slots (66.67%, min 50%); missing 1970-01-01T01:00:00.000Z … 1970-01-01T01:30:00.000Z (2 slots)');
    const low = completenessResult('c', rule({ min: 0.9 }), coverage({ '[]': [0, 2, 5, 6] }));
    expect([low.passed, low.ratio, low.detail]).toEqual([false, 0.5, '3 of 6 expected 30m slots (50.00%, min 90%); missing 1970-01-01T01:00:00.000Z … 1970-01-01T02:00:00.000Z (3 slots)']);
  });

  it('names three missing runs and counts the rest', () => {
    expect(completenessResult('c', rule(), coverage({ '[]': everyOther(5) })).detail).toBe(
      '5 of 9 expected 30m slots (55.56%, min 100%); missing 1970-01-01T00:30:00.000Z (1 slot), 1970-01-01T01:30:00.000Z (1 slot), 1970-01-01T02:30:00.000Z (1 slot) and 1 more run',
    );
    expect(completenessResult('c', rule(), coverage({ '[]': everyOther(6) })).detail).toMatch(/02:30:00\.000Z \(1 slot\) and 2 more runs$/);
    expect(completenessResult('c', rule(), coverage({ '[]': everyOther(4) })).detail).toMatch(/02:30:00\.000Z \(1 slot\)$/);
  });

  it('fails when no time was seen at all', () => {
    const none = { passed: false, ratio: 0, groups: [], detail: '0 of 0 expected 30m slots (0.00%, min 100%)' };
    expect(completenessResult('c', rule(), undefined)).toMatchObject(none);
    expect(completenessResult('c', rule({ min: 0 }), coverage({}))).toMatchObject({ ...none, detail: '0 of 0 expected 30m slots (0.00%, min 0%)' });
  });

  it('details each group by groupBy, lowest ratio first', () => {
    const r = completenessResult('c', rule({ groupBy: ['site'], min: 0.5 }), coverage({ '["a"]': [0, 4], '["b"]': [0, 1, 3, 4] }));
    expect([r.passed, r.ratio]).toEqual([true, 0.75]);
    expect(r.detail).toBe('6 of 8 expected 30m slots (75.00%, min 50%) over 2 groups by site; b: 2 of 4 (50.00%), missing 1970-01-01T00:30:00.000Z … 1970-01-01T01:00:00.000Z (2 slots); a: 4 of 4 (100.00%)');
    const one = completenessResult('c', rule({ groupBy: ['site', 'kind'] }), coverage({ '["a","x"]': [0, 1] }));
    expect(one.detail).toBe('1 of 1 expected 30m slots (100.00%, min 100%) over 1 group by site, kind; a, x: 1 of 1 (100.00%)');
  });

  it('details ten groups and counts the others', () => {
    const groups = (n: number) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`["g${String(i).padStart(2, '0')}"]`, [0, 1]]));
    const twelve = completenessResult('c', rule({ groupBy: ['site'] }), coverage(groups(12)));
    expect(twelve.detail).toMatch(/; g09: 1 of 1 \(100\.00%\); 2 more groups in the report$/);
    expect(twelve.detail).not.toContain('g10');
    expect(twelve.groups!.length).toBe(12);
    expect(completenessResult('c', rule({ groupBy: ['site'] }), coverage(groups(11))).detail).toMatch(/; g09: 1 of 1 \(100\.00%\); 1 more group in the report$/);
    expect(completenessResult('c', rule({ groupBy: ['site'] }), coverage(groups(10))).detail).toMatch(/; g09: 1 of 1 \(100\.00%\)$/);
  });

  it('says when a group is approximate', () => {
    expect(completenessResult('c', rule({ min: 0.4 }), coverage({}, { '[]': [50, 0, 100] })).detail).toBe('50 of 100 expected 30m slots (50.00%, min 40%); approximate: over 100,000 gaps');
    expect(completenessResult('c', rule({ groupBy: ['site'] }), coverage({}, { '["c"]': [50, 0, 100] })).detail).toBe(
      '50 of 100 expected 30m slots (50.00%, min 100%) over 1 group by site; c: 50 of 100 (50.00%), approximate: over 100,000 gaps',
    );
  });
});
