import type { ChunkResult } from '../process/chunk.js';

export const JobStatus = { PLANNED: 'PLANNED', RUNNING: 'RUNNING', SUCCEEDED: 'SUCCEEDED', FAILED: 'FAILED' } as const;
export type JobStatus = (typeof JobStatus)[keyof typeof JobStatus];

/** The JOB item: one per input object version and config. */
export interface JobRecord {
  readonly jobId: string;
  readonly pipeline: string;
  readonly input: { readonly key: string; readonly size: number; readonly etag: string; readonly versionId?: string };
  /** Local runs: the absolute folder `input.key` is relative to, so `sluice verify` works from any folder. */
  inputRoot?: string;
  status: JobStatus;
  readonly createdAt: string;
  updatedAt: string;
  chunks: number;
  attempts: number;
  /** The Step Functions execution of the latest attempt (cloud jobs). */
  execution?: string;
  error?: { readonly name: string; readonly message: string };
  reportKey?: string;
  successKey?: string;
  /** When the latest attempt started (a run, a plan): what its wall time counts from; absent, createdAt. */
  startedAt?: string;
}

/** The CHUNK item: written when a chunk finishes, so a resume skips it. */
export interface ChunkRecord {
  readonly jobId: string;
  readonly index: number;
  readonly status: 'DONE' | 'FAILED';
  readonly fingerprint: string;
  readonly attempts: number;
  readonly finishedAt: string;
  readonly result?: ChunkResult;
  readonly error?: { readonly name: string; readonly message: string };
}

/** One finished job's figures in its pipeline's run history, for trends across runs. */
export interface HistoryEntry {
  readonly jobId: string;
  readonly pipeline: string;
  readonly status: 'SUCCEEDED' | 'FAILED';
  /** When the job was created: the history's order, the same however often the job is finalized. */
  readonly createdAt: string;
  readonly finishedAt: string;
  readonly input: { readonly key: string; readonly size: number };
  readonly durationMs: number;
  readonly rowsIn: number;
  readonly rowsOut: number;
  readonly rowsRejected: number;
  readonly rowsFiltered: number;
  readonly rejectRatio: number;
  /** Per column, in the report's order (a list, so no column name can be taken for an object key). */
  readonly columns: readonly { readonly name: string; readonly nullRatio: number; readonly distinct: number; readonly min: string | null; readonly max: string | null }[];
}

/** Job and chunk checkpoints, and run history: JSON files locally, DynamoDB in AWS. */
export interface StateStore {
  getJob(jobId: string): Promise<JobRecord | undefined>;
  /** Creates the job unless it exists; true when this call created it. */
  createJob(job: JobRecord): Promise<boolean>;
  /** Overwrites the job record (fields of `job` win). */
  putJob(job: JobRecord): Promise<void>;
  /** Refreshes a RUNNING job's updatedAt, so the sweep does not take a long job for a stuck one. */
  touchJob(jobId: string, at: string): Promise<void>;
  getChunk(jobId: string, index: number): Promise<ChunkRecord | undefined>;
  putChunk(chunk: ChunkRecord): Promise<void>;
  /** Every chunk record of a job; with `results: false`, without their results (read those one at a time with getChunk). */
  listChunks(jobId: string, options?: { results?: boolean }): Promise<ChunkRecord[]>;
  /** Forgets every chunk of a job (for --force). */
  clearChunks(jobId: string): Promise<void>;
  /**
   * The jobs in one status, last updated before `updatedBefore` when given (ISO time): the sweep's
   * query of the status index, so its cost follows the jobs it may restart, not the files kept.
   */
  jobsWithStatus(status: JobStatus, options?: { readonly updatedBefore?: string }): AsyncIterable<JobRecord>;
  /** Adds a finished job to its pipeline's history; the same job again replaces its entry. */
  appendHistory(entry: HistoryEntry): Promise<void>;
  /** A pipeline's history, oldest first; with `last`, its last N entries; with `succeeded`, of succeeded jobs only. */
  history(pipeline: string, options?: { readonly last?: number; readonly succeeded?: boolean }): Promise<HistoryEntry[]>;
}
