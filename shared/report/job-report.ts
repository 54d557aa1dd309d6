import type { ChunkStats } from './stats.js';

/** Outcome of one dataset rule across all chunks. */
export interface DatasetRuleResult {
  readonly name: string;
  readonly type: 'unique' | 'completeness' | 'rowCount';
  readonly severity: 'error' | 'warn';
  readonly passed: boolean;
  readonly detail: string;
  /** completeness: present / expected timestamps. */
  readonly ratio?: number;
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
  };
  readonly rejectRatio: number;
  /** The gate applied: the reject ratio may not exceed `maxRejectRatio`, and a job with rows in must have rows out. */
  readonly qualityGate: { readonly maxRejectRatio: number; readonly requireOutput: true; readonly passed: boolean };
  readonly datasetRules: readonly DatasetRuleResult[];
  readonly columns: readonly ColumnSummary[];
  readonly stats: ChunkStats;
  readonly outputs: { readonly results: number; readonly rejects: number; readonly successKey: string | undefined };
}
