import type { ResourceRecord } from '../process/resources.js';
import type { ChunkStats } from './stats.js';

/** Outcome of one dataset rule across all chunks. */
export interface DatasetRuleResult {
  readonly name: string;
  readonly type: 'unique' | 'completeness' | 'rowCount' | 'anomaly';
  readonly severity: 'error' | 'warn';
  readonly passed: boolean;
  readonly detail: string;
  /** completeness: present / expected time slots, over all groups. */
  readonly ratio?: number;
  /** completeness: every group, lowest ratio first, with its first missing ranges. */
  readonly groups?: readonly CompletenessGroup[];
  /** anomaly: the metric in the runs it was held against, oldest first, and in this job (null: no such column). */
  readonly trend?: { readonly metric: string; readonly past: readonly { readonly jobId: string; readonly value: number }[]; readonly current: number | null };
}

/** One missing run of time slots: `from` is the start of its first slot, `to` the start of its last (inclusive). */
export interface SlotGap {
  readonly from: string;
  readonly to: string;
  readonly slots: number;
}

/** Completeness of one group: distinct slots present of those from its first to its last slot. */
export interface CompletenessGroup {
  /** The groupBy values joined with ", " (null as "null"); "" without groupBy. */
  readonly group: string;
  readonly values: readonly (string | number | boolean | null)[];
  readonly present: number;
  readonly expected: number;
  readonly ratio: number;
  /** False past MAX_SLOT_RANGES: counts are approximate and no gaps are listed. */
  readonly exact: boolean;
  /** Missing runs in all. */
  readonly gapCount: number;
  /** The first GAPS_LISTED missing runs, in time order. */
  readonly gaps: readonly SlotGap[];
}

/** Per-column summary for the report. min/max are display strings. */
export interface ColumnSummary {
  readonly name: string;
  readonly type: string;
  readonly count: number;
  readonly nulls: number;
  readonly min: string | null;
  readonly max: string | null;
  readonly distinct: number;
}

/** report.json: everything a person or a program needs to judge a job. */
export interface JobReport {
  readonly jobId: string;
  readonly pipeline: string;
  readonly input: { readonly key: string; readonly size: number; readonly etag: string };
  readonly status: 'SUCCEEDED' | 'FAILED';
  readonly failure?: string;
  readonly startedAt: string;
  readonly finishedAt: string;
  readonly plan: { readonly chunks: number; readonly method: string };
  readonly accounting: {
    readonly rowsIn: number;
    readonly rowsOut: number;
    readonly rowsRejected: number;
    readonly rowsFiltered: number;
    /** rowsIn === rowsOut + rowsRejected + rowsFiltered */
    readonly balanced: boolean;
    /** Lines that hold no row: blank ones, and those skipped on purpose (format.skipRows, comments), above the header or below it. */
    readonly blankLines?: number;
    readonly skippedLines?: number;
  };
  readonly rejectRatio: number;
  /** The gate applied: the reject ratio may not exceed `maxRejectRatio`, and a job with rows in must have rows out. */
  readonly qualityGate: { readonly maxRejectRatio: number; readonly requireOutput: true; readonly passed: boolean };
  readonly datasetRules: readonly DatasetRuleResult[];
  readonly columns: readonly ColumnSummary[];
  readonly stats: ChunkStats;
  readonly outputs: { readonly results: number; readonly rejects: number; readonly successKey: string | undefined };
  /** What the job cost: the whole job, each chunk's attempt that counted, each external run (chunks of older checkpoints have none). */
  readonly resources?: JobResources;
}

export interface JobResources {
  /** How each bottleneck label is chosen (BOTTLENECK_RULE). */
  readonly rule: string;
  readonly job: ResourceRecord;
  readonly chunks: readonly (ResourceRecord & { readonly index: number })[];
  readonly external: readonly (ResourceRecord & { readonly index: number })[];
}
