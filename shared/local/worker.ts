import type { MessagePort } from 'node:worker_threads';
import { isRetryable } from '../errors.js';
import type { Pipeline } from '../config/schema.js';
import { finishJob, reduceJob, runChunk } from '../jobs/steps.js';
import type { EventPublisher, Log } from '../jobs/ports.js';
import type { JobReport } from '../report/job-report.js';
import type { ChunkRange, JobPlan } from '../plan/plan.js';
import type { ChunkProgress } from '../process/chunk.js';
import type { FailureInfo } from '../process/retry.js';
import { childEnvironment } from '../env.js';
import { FileStateStore } from './file-state-store.js';
import { FsObjectStore } from './fs-object-store.js';

/** One chunk as it is sent to a worker thread (structured-cloneable). */
export interface WorkerTask {
  readonly pipeline: Pipeline;
  readonly plan: JobPlan;
  readonly chunk: ChunkRange;
  readonly inputRoot: string;
  readonly outputRoot: string;
  /** Where the job and chunk records live (the run's FileStateStore). */
  readonly stateRoot: string;
  /** Where the chunk's progress (`ChunkProgress`) is posted while it runs; sent in the run's transferList. */
  readonly progress?: MessagePort;
  /** Least wall time between two progress messages (see `ChunkDeps.progressIntervalMs`). */
  readonly progressIntervalMs?: number;
  /** When the runner stops this attempt (epoch ms): an external program is killed before it. */
  readonly deadline?: number;
}

/**
 * A chunk's outcome. A failure's `recorded` says its chunk record already holds it; a thread
 * that dies or times out records nothing, and the runner does it.
 */
export type WorkerReply =
  | { readonly ok: true; readonly rowsIn: number; readonly skipped: boolean }
  | { readonly ok: false; readonly error: FailureInfo; readonly recorded: boolean }
  /** The chunk's record could not be read or written: no chunk's fault (the state disk), so the run stops. */
  | { readonly ok: false; readonly fatal: ErrorInfo };

/**
 * The run's records, remembering the first read or write of them that failed: a state disk
 * that fails is no chunk's fault, so the run stops, even when the flow only logged it (a FAILED
 * record it could not write).
 */
class ChunkState extends FileStateStore {
  failure: unknown;
  override getChunk(jobId: string, index: number): ReturnType<FileStateStore['getChunk']> {
    return this.remember(super.getChunk(jobId, index));
  }
  override putChunk(chunk: Parameters<FileStateStore['putChunk']>[0]): Promise<void> {
    return this.remember(super.putChunk(chunk));
  }
  private async remember<T>(call: Promise<T>): Promise<T> {
    try {
      return await call;
    } catch (e) {
      this.failure ??= e;
      throw e;
    }
  }
}

// The runner tells the user what happened; the thread has no one to log to, and locally no bus takes the job's events.
const quiet: Log = { info: () => undefined, warn: () => undefined, error: () => undefined };
const noEvents: EventPublisher = { publish: async () => undefined };

/**
 * A job to finalize, in a worker thread too: finalize's memory (every chunk's summary, the dataset
 * rules, the report) then lives in a heap with the chunks' capped generations, and the main
 * thread stays small.
 */
export interface FinalizeTask {
  readonly finalize: true;
  readonly pipeline: Pipeline;
  readonly plan: JobPlan;
  readonly outputRoot: string;
  readonly stateRoot: string;
}

/** A hash partition of a job's `unique` keys to reduce (see `reduceJob`), in a worker thread like a chunk. */
export interface ReduceWorkerTask {
  readonly reduce: true;
  readonly pipeline: Pipeline;
  readonly plan: JobPlan;
  readonly partition: number;
  readonly outputRoot: string;
}

export type ReduceReply = { readonly ok: true; readonly keys: number; readonly duplicates: number } | { readonly ok: false; readonly error: ErrorInfo };

/** The report as report.json has it, but for `stats.coverage`, which is empty here. */
export type FinalizeReply = { readonly ok: true; readonly report: JobReport; readonly reportKey: string } | { readonly ok: false; readonly fatal: ErrorInfo };

type ErrorInfo = { readonly name: string; readonly message: string; readonly code?: string; readonly path?: string };

function errorInfo(e: unknown): ErrorInfo {
  const error = e instanceof Error ? e : new Error(String(e));
  const { code, path } = e as NodeJS.ErrnoException;
  return { name: error.name, message: error.message, ...(code ? { code } : {}), ...(path ? { path } : {}) };
}

/** Worker-thread entry: the job flow's chunk step, or its finalize; errors come back as data so their names survive the thread boundary. */
export default async function runTask(task: WorkerTask | ReduceWorkerTask | FinalizeTask): Promise<WorkerReply | ReduceReply | FinalizeReply> {
  if ('reduce' in task) {
    try {
      const { keys, duplicates } = await reduceJob(task.pipeline, task.plan, task.partition, { objects: new FsObjectStore(task.outputRoot), log: quiet });
      return { ok: true, keys, duplicates };
    } catch (e) {
      return { ok: false, error: errorInfo(e) };
    }
  }
  if ('finalize' in task) {
    try {
      const deps = { objects: new FsObjectStore(task.outputRoot), state: new FileStateStore(task.stateRoot), log: quiet, events: noEvents };
      const { report, reportKey } = await finishJob(task.pipeline, task.plan, deps);
      // Without its slot ranges, most of a large job's report: copied to the main thread they
      // would sit in its heap too; report.json holds them.
      return { ok: true, report: { ...report, stats: { ...report.stats, coverage: [] } }, reportKey };
    } catch (e) {
      return { ok: false, fatal: errorInfo(e) };
    }
  }
  return runChunkTask(task);
}

async function runChunkTask(task: WorkerTask): Promise<WorkerReply> {
  const port = task.progress;
  const state = new ChunkState(task.stateRoot);
  try {
    const deps = { objects: new FsObjectStore(task.outputRoot), input: new FsObjectStore(task.inputRoot), state, log: quiet, childEnvironment };
    const { stats, skipped } = await runChunk(task.pipeline, task.plan, task.chunk, deps, { ...(port ? { onProgress: (p: ChunkProgress) => port.postMessage(p), progressIntervalMs: task.progressIntervalMs } : {}), ...(task.deadline !== undefined ? { deadline: task.deadline } : {}) });
    return { ok: true, rowsIn: stats.rowsIn, skipped };
  } catch (e) {
    const error = e instanceof Error ? e : new Error(String(e));
    if (state.failure !== undefined) return { ok: false, fatal: errorInfo(state.failure) };
    return { ok: false, error: { name: error.name, message: error.message, retryable: isRetryable(e) }, recorded: true };
  }
}
