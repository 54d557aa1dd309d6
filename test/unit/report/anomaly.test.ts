import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../../shared/config/load.js';
import { anomalyResult, metricOf, type JobFigures } from '../../../shared/report/anomaly.js';
import type { HistoryEntry } from '../../../shared/state/models.js';

const figures = (rowsOut: number, nullRatio = 0.1): JobFigures => ({ rowsIn: rowsOut + 2, rowsOut, rowsRejected: 2, rowsFiltered: 0, rejectRatio: 2 / (rowsOut + 2), durationMs: 1000, columns: [{ name: 'TA', nullRatio, distinct: 40, min: '-3', max: '25' }] });
const run = (jobId: string, rowsOut: number, status: HistoryEntry['status'] = 'SUCCEEDED'): HistoryEntry => ({ jobId, pipeline: 'p', status, createdAt: jobId, finishedAt: jobId, input: { key: 'k', size: 1 }, ...figures(rowsOut) });
const rule = (over: Record<string, unknown>) => {
  const r = parseConfig({ pipelines: [{ name: 'p', format: { type: 'csv' }, schema: { columns: { TA: { type: 'number' } } }, rules: { dataset: [{ type: 'anomaly', metric: 'rowsOut', ...over }] } }] }).pipelines[0]!.rules.dataset[0]!;
  if (r.type !== 'anomaly') throw new Error('not an anomaly rule');
  return r;
};
// rowsOut 900, 1000, 1100: mean 1000, population standard deviation 81.65.
const history = [run('1', 900), run('2', 1000), run('f', 10, 'FAILED'), run('3', 1100)];

describe('anomaly rules', () => {
  it('holds a relative change against the mean of the last succeeded runs', () => {
    expect(anomalyResult('rows', rule({ maxChange: 0.5 }), figures(1400), history)).toMatchObject({ passed: true, detail: 'rowsOut 1400: +40.0% against the mean 1000 of the last 3 run(s) (allowed ±50.0%)' });
    expect(anomalyResult('rows', rule({ maxChange: 0.5 }), figures(400), history)).toMatchObject({ passed: false, detail: 'rowsOut 400: -60.0% against the mean 1000 of the last 3 run(s) (allowed ±50.0%)' });
    // The failed run (10 rows out) is no baseline; the trend shows the runs held against, then this one.
    expect(anomalyResult('rows', rule({ maxChange: 0.5 }), figures(400), history).trend).toEqual({ metric: 'rowsOut', past: [{ jobId: '1', value: 900 }, { jobId: '2', value: 1000 }, { jobId: '3', value: 1100 }], current: 400 });
  });

  it('holds a distance in standard deviations, over the window only', () => {
    expect(anomalyResult('rows', rule({ stddevs: 2 }), figures(1163), history)).toMatchObject({ passed: true, detail: 'rowsOut 1163: 2.00 standard deviations (81.65) from the mean 1000 of the last 3 run(s) (allowed 2)' });
    expect(anomalyResult('rows', rule({ stddevs: 2 }), figures(1164), history)).toMatchObject({ passed: false });
    // window 2: runs 2 and 3, mean 1050, deviation 50.
    expect(anomalyResult('rows', rule({ stddevs: 1, window: 2, minRuns: 2 }), figures(1100), history)).toMatchObject({ passed: true, detail: 'rowsOut 1100: 1.00 standard deviations (50) from the mean 1050 of the last 2 run(s) (allowed 1)' });
    // No spread at all: only the same value passes.
    const flat = [run('1', 5), run('2', 5), run('3', 5)];
    expect([5, 6].map((v) => anomalyResult('rows', rule({ stddevs: 3 }), figures(v), flat).passed)).toEqual([true, false]);
    // Three runs of 0.1 are flat, whatever floating point makes of their mean.
    const tenths = ['1', '2', '3'].map((id) => ({ ...run(id, 1), rejectRatio: 0.1 }));
    expect(anomalyResult('r', rule({ metric: 'rejectRatio', stddevs: 0.5 }), { ...figures(1), rejectRatio: 0.1 }, tenths)).toMatchObject({ passed: true });
    expect(() => rule({ stddevs: 1, window: 2, minRuns: 3 })).toThrow('minRuns is more than the window holds');
  });

  it('checks bounds without history, passes a change with too little history and says so, and reads column metrics', () => {
    expect(anomalyResult('nulls', rule({ metric: 'nullRatio(TA)', max: 0.2 }), figures(10, 0.25), [])).toMatchObject({ passed: false, detail: 'nullRatio(TA) 0.2500 (allowed -∞..0.2)' });
    expect(anomalyResult('rows', rule({ maxChange: 0.1 }), figures(1), history.slice(0, 2))).toMatchObject({ passed: true, detail: 'rowsOut 1: not enough history to judge (2 of 3 runs)' });
    // The config refuses a column it does not know; one it cannot know (unknownColumns: keep) may be missing.
    expect(() => rule({ metric: 'distinct(NOPE)', min: 1 })).toThrow('pipelines[0].rules.dataset[0].metric: "NOPE" is not an output column');
    expect(anomalyResult('d', { ...rule({ metric: 'distinct(TA)', min: 1 }), metric: 'distinct(NOPE)' }, figures(1), [])).toMatchObject({ passed: false, detail: 'distinct(NOPE): this job has no such column' });
    expect(metricOf('distinct(TA)', figures(3))).toBe(40);
    expect(metricOf('rejectRatio', figures(8))).toBe(0.2);
    // From zero, any change is infinite.
    expect(anomalyResult('rows', rule({ maxChange: 5 }), figures(1), [run('1', 0), run('2', 0), run('3', 0)])).toMatchObject({ passed: false, detail: 'rowsOut 1: from 0 against the mean 0 of the last 3 run(s) (allowed ±500.0%)' });
  });

  it('fails a run whose rows out drop by half against stable history, under maxChange 0.2', () => {
    const stable = [run('1', 1000), run('2', 1010), run('3', 990), run('4', 1000)];
    expect(anomalyResult('rows', rule({ maxChange: 0.2 }), figures(1005), stable)).toMatchObject({ passed: true });
    expect(anomalyResult('rows', rule({ maxChange: 0.2 }), figures(500), stable)).toMatchObject({ passed: false, detail: 'rowsOut 500: -50.0% against the mean 1000 of the last 4 run(s) (allowed ±20.0%)' });
  });
});
