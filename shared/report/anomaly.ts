import { ANOMALY_METRIC } from '../config/schema.js';
import type { DatasetRule } from '../config/schema.js';
import type { HistoryEntry } from '../state/models.js';
import type { ColumnSummary, DatasetRuleResult } from './job-report.js';

type AnomalyRule = Extract<DatasetRule, { type: 'anomaly' }>;

/** The figures of one job an anomaly metric reads: the current job's, or a history entry's. */
export type JobFigures = Pick<HistoryEntry, 'rowsIn' | 'rowsOut' | 'rowsRejected' | 'rowsFiltered' | 'rejectRatio' | 'durationMs' | 'columns'>;

/** A report's column summaries as history and anomaly rules read them. */
export function columnFigures(columns: readonly ColumnSummary[]): JobFigures['columns'] {
  return columns.map((c) => ({ name: c.name, nullRatio: c.count === 0 ? 0 : c.nulls / c.count, distinct: c.distinct, min: c.min, max: c.max }));
}

/** A metric's value for one job; undefined when the job has no such column. */
export function metricOf(metric: string, job: JobFigures): number | undefined {
  const m = ANOMALY_METRIC.exec(metric);
  if (!m) return undefined;
  if (m[2] === undefined) return job[metric as 'rowsIn'];
  const column = job.columns.find((c) => c.name === m[3]);
  return column ? (m[2] === 'nullRatio' ? column.nullRatio : column.distinct) : undefined;
}

const show = (v: number) => (Number.isInteger(v) ? String(v) : v.toPrecision(4));

/**
 * An anomaly rule against the pipeline's history: the last `window` succeeded jobs before this
 * one. Bounds need no history; a change or a distance in standard deviations needs `minRuns`
 * runs, and passes (saying so) with fewer. The result carries the trend for the report's chart.
 */
export function anomalyResult(name: string, rule: AnomalyRule, current: JobFigures, history: readonly HistoryEntry[]): DatasetRuleResult {
  const base = history.filter((h) => h.status === 'SUCCEEDED').slice(-rule.window);
  const past = base.flatMap((h) => {
    const v = metricOf(rule.metric, h);
    return v === undefined ? [] : [{ jobId: h.jobId, value: v }];
  });
  const value = metricOf(rule.metric, current);
  const common = { name, type: 'anomaly' as const, severity: rule.severity, trend: { metric: rule.metric, past, current: value ?? null } };
  if (value === undefined) return { ...common, passed: false, detail: `${rule.metric}: this job has no such column` };
  if (rule.min !== undefined || rule.max !== undefined) {
    const passed = (rule.min === undefined || value >= rule.min) && (rule.max === undefined || value <= rule.max);
    return { ...common, passed, detail: `${rule.metric} ${show(value)} (allowed ${rule.min ?? '-∞'}..${rule.max ?? '∞'})` };
  }
  if (past.length < rule.minRuns) return { ...common, passed: true, detail: `${rule.metric} ${show(value)}: not enough history to judge (${past.length} of ${rule.minRuns} runs)` };
  const mean = past.reduce((n, p) => n + p.value, 0) / past.length;
  const of = `the mean ${show(mean)} of the last ${past.length} run(s)`;
  if (rule.maxChange !== undefined) {
    const change = mean === 0 ? (value === 0 ? 0 : Infinity) : (value - mean) / Math.abs(mean);
    const passed = Math.abs(change) <= rule.maxChange;
    const pct = Number.isFinite(change) ? `${change >= 0 ? '+' : ''}${(change * 100).toFixed(1)}%` : 'from 0';
    return { ...common, passed, detail: `${rule.metric} ${show(value)}: ${pct} against ${of} (allowed ±${(rule.maxChange * 100).toFixed(1)}%)` };
  }
  const sd = Math.sqrt(past.reduce((n, p) => n + (p.value - mean) ** 2, 0) / past.length);
  const k = rule.stddevs!;
  // A spread within rounding (three runs of 0.1 have a mean of 0.10000000000000002) is none.
  const flat = sd <= 1e-12 * Math.max(1, Math.abs(mean));
  const distance = flat ? (Math.abs(value - mean) <= 1e-12 * Math.max(1, Math.abs(mean)) ? 0 : Infinity) : Math.abs(value - mean) / sd;
  const passed = distance <= k;
  return { ...common, passed, detail: `${rule.metric} ${show(value)}: ${Number.isFinite(distance) ? distance.toFixed(2) : '∞'} standard deviations (${show(sd)}) from ${of} (allowed ${k})` };
}
